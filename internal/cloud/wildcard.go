package cloud

import (
	"strings"
	"unicode/utf8"
)

// EC2 filter values are patterns: * matches any run of characters (none included), ? exactly
// one character, and a backslash makes the next character literal (\*, \?, \\). This is the
// one implementation of that rule in albctl: the simulator's filters and fault rules, and
// every lookup of a source by pattern, call MatchWildcard; every exact lookup sends
// EscapeWildcard's result. docs/aws-semantics.md ("Filter values") has the sources.

// wildTok is one element of a compiled pattern.
type wildTok struct {
	star bool   // * : any run of characters
	one  bool   // ? : exactly one character
	lit  string // otherwise: these bytes, literally
}

// compileWildcard splits a pattern into literals, ? and *. Adjacent literals are merged and
// runs of * collapse into one, so the matcher never revisits an equivalent state. A trailing
// lone backslash is a literal backslash (it escapes nothing).
func compileWildcard(p string) []wildTok {
	var toks []wildTok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, wildTok{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(p); {
		switch c := p[i]; {
		case c == '*':
			flush()
			if len(toks) == 0 || !toks[len(toks)-1].star {
				toks = append(toks, wildTok{star: true})
			}
			i++
		case c == '?':
			flush()
			toks = append(toks, wildTok{one: true})
			i++
		case c == '\\' && i+1 < len(p):
			_, n := utf8.DecodeRuneInString(p[i+1:])
			lit.WriteString(p[i+1 : i+1+n])
			i += 1 + n
		default:
			_, n := utf8.DecodeRuneInString(p[i:])
			lit.WriteString(p[i : i+n])
			i += n
		}
	}
	flush()
	return toks
}

// MatchWildcard reports whether s matches the EC2 filter pattern p. It never recurses and
// never backtracks past the last *: the greedy two-pointer match runs in O(len(p)·len(s))
// at worst and near linear time in practice, so no pattern can stall a lookup (docs/security.md).
func MatchWildcard(p, s string) bool {
	return matchTokens(compileWildcard(p), s)
}

// matchTokens is MatchWildcard on a compiled pattern. Only the last * seen is a point to
// come back to: a later * subsumes every choice an earlier one could make, which is why
// one restart point suffices and the classic exponential recursion is unnecessary.
func matchTokens(toks []wildTok, s string) bool {
	ti, si := 0, 0
	star, mark := -1, 0 // the last * token, and where in s its run ends now
	for si < len(s) {
		if ti < len(toks) {
			switch t := toks[ti]; {
			case t.star:
				star, mark = ti, si
				ti++
				continue
			case t.one:
				_, n := utf8.DecodeRuneInString(s[si:])
				ti, si = ti+1, si+n
				continue
			case strings.HasPrefix(s[si:], t.lit):
				ti, si = ti+1, si+len(t.lit)
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Let the last * take one more character, and match the rest from there again.
		_, n := utf8.DecodeRuneInString(s[mark:])
		mark += n
		ti, si = star+1, mark
	}
	for ti < len(toks) && toks[ti].star {
		ti++
	}
	return ti == len(toks)
}

// Wildcard is a compiled EC2 filter pattern, for matching one pattern against many values.
type Wildcard struct{ toks []wildTok }

// CompileWildcard compiles p once.
func CompileWildcard(p string) Wildcard { return Wildcard{compileWildcard(p)} }

// Match reports whether s matches the pattern.
func (w Wildcard) Match(s string) bool { return matchTokens(w.toks, s) }

// EscapeWildcard returns the filter value that matches exactly s and nothing else: every *,
// ? and backslash gets a backslash before it.
func EscapeWildcard(s string) string {
	if !strings.ContainsAny(s, `*?\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '*' || c == '?' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
