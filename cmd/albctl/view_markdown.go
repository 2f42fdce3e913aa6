package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/specs"
)

// renderPlanMarkdown prints a plan as a pull-request comment (GitHub-flavoured markdown):
// a one-line title, the warnings first and in full, the summary line, and the steps folded
// away in a <details> block so that a long plan does not bury the conversation.
func renderPlanMarkdown(w io.Writer, header string, p *plan.Plan) {
	renderPlanMarkdownWith(w, header, p, nil)
}

// renderPlanMarkdownWith adds, when rehearsed is set, what clients would see right under
// the summary line, before the folded steps: it is what a reviewer weighs.
func renderPlanMarkdownWith(w io.Writer, header string, p *plan.Plan, rehearsed func(io.Writer)) {
	ws := planWarnings(p)
	title := "no changes"
	if !p.Empty() {
		title = plural(len(p.Steps), "step")
	}
	if len(ws) > 0 {
		title += ", " + plural(len(ws), "warning")
	}
	fmt.Fprintf(w, "### albctl plan: %s\n\n", title)
	for _, warn := range ws {
		fmt.Fprintln(w, "> [!WARNING]")
		if warn.Step > 0 {
			fmt.Fprintf(w, "> **Step %d** (`%s`): %s\n\n", warn.Step, warn.ID, mdText(warn.Text))
		} else {
			fmt.Fprintf(w, "> %s\n\n", mdText(warn.Text))
		}
	}
	fmt.Fprintf(w, "Target: %s\n\n", mdText(header))
	if p.Empty() {
		fmt.Fprintln(w, "No changes. The world matches the spec.")
		return
	}
	fmt.Fprintf(w, "**Plan:** %s.\n\n", summary(p))
	writeMarkdownGates(w, p)
	if rehearsed != nil {
		rehearsed(w)
	}
	fmt.Fprintf(w, "<details><summary>The %s, in order</summary>\n\n", plural(len(p.Steps), "step"))
	fmt.Fprintln(w, "| # | | Step | Resource | Why | After |")
	fmt.Fprintln(w, "|--:|:-:|---|---|---|---|")
	index := map[string]int{}
	for i, s := range p.Steps {
		index[s.ID] = i + 1
	}
	for i, s := range p.Steps {
		var nums []int
		for _, d := range s.DependsOn {
			nums = append(nums, index[d])
		}
		slices.Sort(nums)
		var after []string
		for _, n := range nums {
			after = append(after, strconv.Itoa(n))
		}
		mark := symbol(s.Kind)
		if s.Warning != "" {
			mark += " ⚠️"
		}
		fmt.Fprintf(w, "| %d | `%s` | `%s` | %s | %s | %s |\n", i+1, mark, s.ID, mdText(s.Resource), mdText(s.Reason), strings.Join(after, ", "))
	}
	fmt.Fprintln(w, "\n</details>")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "<details><summary>The API calls</summary>")
	fmt.Fprintln(w)
	for i, s := range p.Steps {
		if d := details(&s); d != "" {
			fmt.Fprintf(w, "%d. %s\n", i+1, mdText(d))
		}
	}
	fmt.Fprintln(w, "\n</details>")
}

// mdText makes free text safe inside a markdown table cell or quote: one line, no pipe that
// would end the cell, no HTML.
func mdText(s string) string {
	return strings.NewReplacer("\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// writeRehearsalMarkdown is the "What clients would see" section of plan -rehearse
// -markdown (docs/review.md): per listener the worst moment in a sentence, the phase table,
// the verdict under it, and a mermaid xychart that GitHub draws inline.
func writeRehearsalMarkdown(w io.Writer, r *rehearsal, stack *specs.Stack) {
	fmt.Fprintln(w, "#### What clients would see")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Rehearsal on a copy of %s (nothing is written back; seed %d", mdText(r.world), r.seed)
	if r.faults != "" {
		fmt.Fprintf(w, ", faults from `%s`", mdText(r.faults))
	}
	if r.err != nil {
		fmt.Fprintf(w, "): **the plan stopped** after %s simulated: %s\n\n", round(r.res.Elapsed()), mdText(r.err.Error()))
	} else {
		fmt.Fprintf(w, "): the plan ran to the end in %s simulated.\n\n", round(r.res.Elapsed()))
	}
	l := r.log
	if len(l.timeline.listeners()) == 0 {
		fmt.Fprintln(w, "No load balancer has a listener: no client traffic to show.")
		return
	}
	for _, key := range l.timeline.listeners() {
		fmt.Fprintf(w, "**%s**: %s\n\n", mdText(key), mdText(l.worstMoment(key)))
		rows := l.phaseRows(key)
		fmt.Fprintln(w, "| "+strings.Join(rows[0], " | ")+" |")
		fmt.Fprintln(w, "|---|---|"+strings.Repeat("--:|", len(rows[0])-2))
		for _, row := range rows[1:] {
			for i := range row {
				row[i] = mdText(row[i])
			}
			if l.outage(row[0]) {
				row[0] = "**" + row[0] + " (OUTAGE)**"
			}
			fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
		}
		fmt.Fprintf(w, "\n%s\n\n", mdText(l.verdict(key, stack)))
		l.writeMermaidChart(w, key)
	}
}

// writeMarkdownGates lists a rollout's gates, so a reviewer sees what the rollout watches
// and where it pauses (docs/plans.md, "Gates, checkpoints and rollback").
func writeMarkdownGates(w io.Writer, p *plan.Plan) {
	first := true
	for _, s := range p.Steps {
		g := s.Gate
		if g == nil {
			continue
		}
		if first {
			fmt.Fprintln(w, "**Gates:**")
			fmt.Fprintln(w)
			first = false
		}
		fmt.Fprintf(w, "- `%s`: fleet %s at %d%% (%d of %d replaced), for %s: %s; a breach restores %d old member(s)\n",
			s.ID, mdText(g.Fleet), g.Checkpoint, g.Replaced, g.Total, g.Bake, mdText(strings.Join(g.Names(), ", ")), len(g.Rollback.Restore)+len(g.Rollback.Relaunch))
	}
	if !first {
		fmt.Fprintln(w)
	}
}
