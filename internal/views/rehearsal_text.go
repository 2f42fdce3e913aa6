package views

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// The small text helpers the rehearsal's views share with the plan's and apply's. Plural,
// Round, MaxWidth, WriteWrapped and MarkdownText are the ones cmd/albctl's plan and apply views
// use too: when those views move here, one copy of each stays.

// writeTable prints rows in columns, indented by two spaces: the first left columns
// left-aligned, the others (numbers) right-aligned.
func writeTable(w io.Writer, rows [][]string, left int) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(" ")
		for i, c := range r {
			b.WriteString(" ")
			if i < left {
				fmt.Fprintf(&b, "%-*s", widths[i], c)
			} else {
				fmt.Fprintf(&b, "%*s", widths[i], c)
			}
			if i < len(r)-1 {
				b.WriteString(" ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// pct is a share as a percentage with one decimal: "33.3%".
func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// offset is a time from the first step, to the second: "-1m0s", "4m36s".
func offset(d time.Duration) string {
	d = Round(d)
	if d < 0 {
		return "-" + (-d).String()
	}
	return d.String()
}
