package views

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/rehearse"
)

// WriteRehearsalMarkdown is the "What clients would see" section of plan -rehearse
// -markdown (docs/review.md): per listener the worst moment in a sentence, the phase table,
// the verdict under it, and a mermaid xychart that GitHub draws inline.
func WriteRehearsalMarkdown(w io.Writer, r *rehearse.Report) {
	fmt.Fprintln(w, "#### What clients would see")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Rehearsal on a copy of %s (nothing is written back; seed %d", MarkdownText(r.World), r.Seed)
	if r.Faults != "" {
		fmt.Fprintf(w, ", faults from `%s`", MarkdownText(r.Faults))
	}
	if r.Error != "" {
		fmt.Fprintf(w, "): **the plan stopped** after %s simulated: %s\n\n", Round(r.Elapsed), MarkdownText(r.Error))
	} else {
		fmt.Fprintf(w, "): the plan ran to the end in %s simulated.\n\n", Round(r.Elapsed))
	}
	if len(r.Listeners) == 0 {
		fmt.Fprintln(w, "No load balancer has a listener: no client traffic to show.")
		return
	}
	for _, l := range r.Listeners {
		fmt.Fprintf(w, "**%s**: %s\n\n", MarkdownText(l.Key), MarkdownText(worstText(l.Worst)))
		writePhasesMarkdown(w, l)
		fmt.Fprintf(w, "\n%s\n\n", MarkdownText(verdictText(l.Verdict)))
		writeMermaidChart(w, r, l)
	}
}

// writePhasesMarkdown is the phase table of one listener, an outage step in bold.
func writePhasesMarkdown(w io.Writer, l rehearse.Listener) {
	rows := phaseRows(l)
	fmt.Fprintln(w, "| "+strings.Join(rows[0], " | ")+" |")
	fmt.Fprintln(w, "|---|---|"+strings.Repeat("--:|", len(rows[0])-2))
	for i, row := range rows[1:] {
		for j := range row {
			row[j] = MarkdownText(row[j])
		}
		if l.Phases[i].Outage {
			row[0] = "**" + row[0] + " (OUTAGE)**"
		}
		fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
	}
}

// writeMermaidChart draws the listener's requests as a mermaid xychart, which GitHub renders
// inline in a comment (docs/review.md): bars for the share failed, a line for the share
// served, a point per rehearse.BarEvery from the start of the before window.
func writeMermaidChart(w io.Writer, r *rehearse.Report, l rehearse.Listener) {
	n := len(l.Bars)
	if n == 0 {
		return
	}
	var failed, served []string
	for _, st := range l.Bars {
		failed = append(failed, strconv.FormatFloat(math.Round(1000*st.Failed())/10, 'f', -1, 64))
		served = append(served, strconv.FormatFloat(math.Round(1000*st.Served)/10, 'f', -1, 64))
	}
	fmt.Fprintln(w, "```mermaid")
	fmt.Fprintln(w, "xychart-beta")
	fmt.Fprintf(w, "    title \"%s: requests failed (bars) and served (line), %%\"\n", mermaidText(l.Key))
	fmt.Fprintf(w, "    x-axis \"simulated seconds from the first step\" %d --> %d\n", int(r.From.Seconds()), int((r.From + time.Duration(n)*rehearse.BarEvery).Seconds()))
	fmt.Fprintln(w, "    y-axis \"% of requests\" 0 --> 100")
	fmt.Fprintf(w, "    bar [%s]\n", strings.Join(failed, ", "))
	fmt.Fprintf(w, "    line [%s]\n", strings.Join(served, ", "))
	fmt.Fprintln(w, "```")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "A point per %s of simulated time; the steps' windows are in the table above.\n\n", rehearse.BarEvery)
}

// mermaidText keeps a title inside its double quotes.
func mermaidText(s string) string { return strings.ReplaceAll(s, `"`, "'") }
