package main

import (
	"fmt"
	"io"
	"strings"
)

// maxWidth is the width human output wraps to: CI logs and terminals show it whole.
const maxWidth = 120

// writeWrapped prints words wrapped at maxWidth, the first line after first, the others
// indented by indent spaces. The plan's views use it here; internal/views has the
// rehearsal's copy, and these go there with the plan's views.
func writeWrapped(w io.Writer, first string, indent int, text string) {
	line := first
	for i, word := range strings.Fields(text) {
		if i > 0 && len(line)+1+len(word) > maxWidth {
			fmt.Fprintln(w, line)
			line = strings.Repeat(" ", indent) + word
			continue
		}
		if i > 0 {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, line)
}
