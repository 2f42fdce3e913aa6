package views

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/plan"
)

// RenderPlanMarkdown prints a plan as a pull-request comment (GitHub-flavoured markdown):
// a one-line title, the warnings first and in full, the summary line, and the steps folded
// away in a <details> block so that a long plan does not bury the conversation.
func RenderPlanMarkdown(w io.Writer, header string, p *plan.Plan) {
	RenderPlanMarkdownWith(w, header, p, nil)
}

// RenderPlanMarkdownWith adds, when rehearsed is set, what clients would see right under
// the summary line, before the folded steps: it is what a reviewer weighs.
func RenderPlanMarkdownWith(w io.Writer, header string, p *plan.Plan, rehearsed func(io.Writer)) {
	ws := PlanWarnings(p)
	title := "no changes"
	if !p.Empty() {
		title = Plural(len(p.Steps), "step")
	}
	if len(ws) > 0 {
		title += ", " + Plural(len(ws), "warning")
	}
	fmt.Fprintf(w, "### albctl plan: %s\n\n", title)
	for _, warn := range ws {
		fmt.Fprintln(w, "> [!WARNING]")
		if warn.Step > 0 {
			fmt.Fprintf(w, "> **Step %d** (`%s`): %s\n\n", warn.Step, warn.ID, MarkdownText(warn.Text))
		} else {
			fmt.Fprintf(w, "> %s\n\n", MarkdownText(warn.Text))
		}
	}
	fmt.Fprintf(w, "Target: %s\n\n", MarkdownText(header))
	if p.Empty() {
		fmt.Fprintln(w, "No changes. The world matches the spec.")
		return
	}
	fmt.Fprintf(w, "**Plan:** %s.\n\n", Summary(p))
	writeMarkdownGates(w, p)
	if rehearsed != nil {
		rehearsed(w)
	}
	fmt.Fprintf(w, "<details><summary>The %s, in order</summary>\n\n", Plural(len(p.Steps), "step"))
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
		mark := Symbol(s.Kind)
		if s.Warning != "" {
			mark += " ⚠️"
		}
		fmt.Fprintf(w, "| %d | `%s` | `%s` | %s | %s | %s |\n", i+1, mark, s.ID, MarkdownText(s.Resource), MarkdownText(s.Reason), strings.Join(after, ", "))
	}
	fmt.Fprintln(w, "\n</details>")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "<details><summary>The API calls</summary>")
	fmt.Fprintln(w)
	for i, s := range p.Steps {
		if d := Details(&s); d != "" {
			fmt.Fprintf(w, "%d. %s\n", i+1, MarkdownText(d))
		}
	}
	fmt.Fprintln(w, "\n</details>")
}

// MarkdownText makes free text safe inside a markdown table cell or quote: one line, no pipe that
// would end the cell, no HTML.
func MarkdownText(s string) string {
	return strings.NewReplacer("\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
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
			s.ID, MarkdownText(g.Fleet), g.Checkpoint, g.Replaced, g.Total, g.Bake, MarkdownText(strings.Join(g.Names(), ", ")), len(g.Rollback.Restore)+len(g.Rollback.Relaunch))
	}
	if !first {
		fmt.Fprintln(w)
	}
}
