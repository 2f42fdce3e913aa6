package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/views"
)

// This file joins the rehearsal's records (rehearse.go, traffic.go) to internal/views until
// the rehearsal's rendering moves there too.

// applyTraffic is a trafficLog as the apply view reads it (views.Traffic).
type applyTraffic struct {
	log   *trafficLog
	stack *specs.Stack
}

func (a applyTraffic) WriteText(w io.Writer) { a.log.write(w, a.stack) }

func (a applyTraffic) Samples() []views.TrafficSample {
	var out []views.TrafficSample
	for _, e := range a.log.entries {
		out = append(out, views.TrafficSample{At: e.at, Elapsed: e.at.Sub(a.log.start), Listener: views.ListenerTraffic(e.t)})
	}
	return out
}

// writeRehearsalMarkdown is the "What clients would see" section of plan -rehearse
// -markdown (docs/review.md): per listener the worst moment in a sentence, the phase table,
// the verdict under it, and a mermaid xychart that GitHub draws inline.
func writeRehearsalMarkdown(w io.Writer, r *rehearsal, stack *specs.Stack) {
	fmt.Fprintln(w, "#### What clients would see")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Rehearsal on a copy of %s (nothing is written back; seed %d", views.MarkdownText(r.world), r.seed)
	if r.faults != "" {
		fmt.Fprintf(w, ", faults from `%s`", views.MarkdownText(r.faults))
	}
	if r.err != nil {
		fmt.Fprintf(w, "): **the plan stopped** after %s simulated: %s\n\n", round(r.res.Elapsed()), views.MarkdownText(r.err.Error()))
	} else {
		fmt.Fprintf(w, "): the plan ran to the end in %s simulated.\n\n", round(r.res.Elapsed()))
	}
	l := r.log
	if len(l.timeline.listeners()) == 0 {
		fmt.Fprintln(w, "No load balancer has a listener: no client traffic to show.")
		return
	}
	for _, key := range l.timeline.listeners() {
		fmt.Fprintf(w, "**%s**: %s\n\n", views.MarkdownText(key), views.MarkdownText(l.worstMoment(key)))
		rows := l.phaseRows(key)
		fmt.Fprintln(w, "| "+strings.Join(rows[0], " | ")+" |")
		fmt.Fprintln(w, "|---|---|"+strings.Repeat("--:|", len(rows[0])-2))
		for _, row := range rows[1:] {
			for i := range row {
				row[i] = views.MarkdownText(row[i])
			}
			if l.outage(row[0]) {
				row[0] = "**" + row[0] + " (OUTAGE)**"
			}
			fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
		}
		fmt.Fprintf(w, "\n%s\n\n", views.MarkdownText(l.verdict(key, stack)))
		l.writeMermaidChart(w, key)
	}
}

// plural and round are the views' own, for the rehearsal's rendering still in this package.
func plural(n int, noun string) string { return views.Plural(n, noun) }

func round(d time.Duration) time.Duration { return views.Round(d) }
