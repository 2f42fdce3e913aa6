package cloud

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatchWildcard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p, s string
		want bool
	}{
		{"web", "web", true},
		{"web", "web2", false},
		{"web", "we", false},
		{"w*", "web", true},
		{"*b", "web", true},
		{"*", "", true},
		{"**", "", true},
		{"", "", true},
		{"", "a", false},
		{"?", "", false},
		{"w?b", "web", true},
		{"w?b", "wb", false},
		{"w?b", "weeb", false},
		{"?", "é", true}, // one character, two bytes
		{"??", "é", false},
		{`w\*`, "w*", true},
		{`w\*`, "wx", false},
		{`w\?`, "w?", true},
		{`w\?`, "wx", false},
		{`a\\b`, `a\b`, true},
		{`a\b`, "ab", true}, // a backslash before an ordinary character is just an escape
		{`a\`, `a\`, true},  // a trailing backslash escapes nothing: it is literal
		{`a\`, "a", false},  //
		{`\*amazon\?\\`, `*amazon?\`, true},
		{`\*amazon\?\\`, `xamazony\`, false},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"a*a*a*b", strings.Repeat("a", 60), false},
		{strings.Repeat("*?", 16) + "#", strings.Repeat("x", 40), false},
		{strings.Repeat("*?", 16) + "#", strings.Repeat("x", 40) + "#", true},
		{"web-*-1?", "web-blue-1a", true},
		{"web-*-1?", "web-blue-2a", false},
	}
	for _, tt := range tests {
		if got := MatchWildcard(tt.p, tt.s); got != tt.want {
			t.Errorf("MatchWildcard(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

// wildcardRegexp translates an EC2 pattern into an RE2 expression (linear time, and an
// independent implementation): the oracle the fast matcher is checked against.
func wildcardRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '*':
			b.WriteString(".*")
		case c == '?':
			b.WriteString(".")
		case c == '\\' && i+1 < len(p):
			i++
			j := i + 1
			for j < len(p) && p[j]&0xC0 == 0x80 { // the rest of a multi-byte character
				j++
			}
			b.WriteString(regexp.QuoteMeta(p[i:j]))
			i = j - 1
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// TestMatchWildcardAgreesWithRegexp compares the matcher with the RE2 translation on many
// random short patterns and strings over a small alphabet (where * and ? choices collide).
func TestMatchWildcardAgreesWithRegexp(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(alphabet string, n int) string {
		var b strings.Builder
		for range r.IntN(n + 1) {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 20000 {
		p, s := pick(`ab*?\`, 8), pick(`ab*?\`, 10)
		if got, want := MatchWildcard(p, s), wildcardRegexp(p).MatchString(s); got != want {
			t.Fatalf("MatchWildcard(%q, %q) = %v, the regexp says %v", p, s, got, want)
		}
	}
}

func TestEscapeWildcard(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"web", "", `*`, `?`, `\`, `a*b?c\d`, `*amazon?\`, "é*", `"${x}"`} {
		esc := EscapeWildcard(s)
		if !MatchWildcard(esc, s) {
			t.Errorf("EscapeWildcard(%q) = %q does not match %q itself", s, esc, s)
		}
		for _, other := range []string{s + "x", "x" + s, strings.Replace(s, "*", "xx", 1), strings.Replace(s, "?", "x", 1), ""} {
			if other != s && MatchWildcard(esc, other) {
				t.Errorf("EscapeWildcard(%q) = %q also matches %q", s, esc, other)
			}
		}
	}
	if got := EscapeWildcard(`*amazon?\`); got != `\*amazon\?\\` {
		t.Errorf("EscapeWildcard(`*amazon?\\`) = %q, want AWS's own example `\\*amazon\\?\\\\`", got)
	}
}

func FuzzMatchWildcard(f *testing.F) {
	f.Add("*a?b*", "xxaxbyy")
	f.Add(`\*\?\\`, `*?\`)
	f.Fuzz(func(t *testing.T, p, s string) {
		if len(p) > 64 || len(s) > 256 || !utf8.ValidString(p) {
			return // RE2 refuses a pattern that is not UTF-8
		}
		if got, want := MatchWildcard(p, s), wildcardRegexp(p).MatchString(s); got != want {
			t.Fatalf("MatchWildcard(%q, %q) = %v, the regexp says %v", p, s, got, want)
		}
		if !MatchWildcard(EscapeWildcard(s), s) {
			t.Fatalf("the escaped %q does not match itself", s)
		}
	})
}

// BenchmarkMatchWildcardAdversarial is issue 17's pattern, "*?" sixteen times and a "#",
// against a 40-character value: exponential for a backtracking matcher.
func BenchmarkMatchWildcardAdversarial(b *testing.B) {
	p, s := strings.Repeat("*?", 16)+"#", strings.Repeat("x", 40)
	for b.Loop() {
		if MatchWildcard(p, s) {
			b.Fatal("matched")
		}
	}
}
