package planfile

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// maxExcerpt bounds what an error message quotes of a value it refuses: a forged field may be
// hundreds of megabytes long.
const maxExcerpt = 80

// maxHeader bounds the recorded target show prints: long enough for any real world path.
const maxHeader = 4096

// clippedError is an error whose message quotes the input it refuses, cut to a short
// excerpt: a decoder's "unknown field" or a step ID may be hundreds of megabytes long.
type clippedError struct{ err error }

func (e clippedError) Error() string { return clip(shortenTokens(e.err.Error()), 8*maxExcerpt) }

func (e clippedError) Unwrap() error { return e.err }

func clipErr(err error) error { return clippedError{err} }

// shortenTokens cuts every run of characters without a space or a quote that is longer than
// maxExcerpt to an excerpt, so that a message keeps its words around a huge value.
func shortenTokens(msg string) string {
	var b strings.Builder
	for len(msg) > 0 {
		i := strings.IndexAny(msg, " \"'`\n")
		if i < 0 {
			i = len(msg)
		}
		b.WriteString(excerpt(msg[:i]))
		if i < len(msg) {
			b.WriteByte(msg[i])
			i++
		}
		msg = msg[i:]
	}
	return b.String()
}

// clipLines clips each line of a message to n runes.
func clipLines(msg string, n int) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = clip(l, n)
	}
	return strings.Join(lines, "\n")
}

// excerpt is at most maxExcerpt runes of s, with the length of what was cut.
func excerpt(s string) string { return clip(s, maxExcerpt) }

// clip is at most n runes of s, with the length of what was cut.
func clip(s string, n int) string {
	r := []rune(s[:min(len(s), 4*n)])
	if len(r) <= n && len(s) <= 4*n {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes in all)", string(r[:min(len(r), n)]), len(s))
}

// printable replaces control characters (a forged header could move the cursor or clear the
// screen) with U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func describe(s string) string {
	if s == "" {
		return "none"
	}
	return strconv.Quote(s)
}

// RecordedHeader is the target the plan says it was made for, as show prints it: the file's
// word, cut to a real header's length and with control characters replaced.
func (sp *Plan) RecordedHeader() string { return printable(clip(sp.Target.Header, maxHeader)) }
