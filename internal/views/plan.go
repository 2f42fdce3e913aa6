package views

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/plan"
)

// PlanFormatVersion is the version of the JSON plan schema (docs/plan-json.md). It changes
// when a field changes meaning or goes away; new fields do not change it.
const PlanFormatVersion = "1"

// PlanJSON is the document `plan -json` and `show -json` print.
type PlanJSON struct {
	FormatVersion string `json:"format_version"`
	Target        string `json:"target"`
	// TargetVerified is false in show -json: the target is what the plan file says, which
	// anyone who can edit the file can change; apply checks it (docs/security.md).
	TargetVerified bool           `json:"target_verified"`
	Changes        bool           `json:"changes"`
	Summary        map[string]int `json:"summary"`
	Steps          []plan.Step    `json:"steps"`
	Warnings       []string       `json:"warnings"`
	// Rehearsal is set by plan -rehearse: what clients would see (docs/plan-json.md). It is
	// the rehearsal's own document, which the rehearsal builds; nil leaves the field out.
	Rehearsal any `json:"rehearsal,omitempty"`
}

func NewPlanJSON(header string, p *plan.Plan) PlanJSON {
	doc := PlanJSON{
		FormatVersion:  PlanFormatVersion,
		Target:         header,
		TargetVerified: true,
		Changes:        !p.Empty(),
		Summary:        map[string]int{},
		Steps:          p.Steps,
		Warnings:       p.Warnings,
	}
	if doc.Steps == nil {
		doc.Steps = []plan.Step{}
	}
	if doc.Warnings == nil {
		doc.Warnings = []string{}
	}
	for _, s := range p.Steps {
		doc.Summary[string(s.Kind)]++
	}
	return doc
}

func RenderPlanJSON(w io.Writer, header string, p *plan.Plan) error {
	return WritePlanJSON(w, NewPlanJSON(header, p))
}

func WritePlanJSON(w io.Writer, doc PlanJSON) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// Symbol is the Terraform-like mark of a step: + adds capacity or config, ~ changes something
// in place, - takes something away, = checks or waits without changing anything.
func Symbol(k plan.Kind) string {
	switch k {
	case plan.EnableStickiness, plan.AssociateInstanceProfile, plan.ModifyHealthCheck, plan.TagSnapshots:
		return "~"
	case plan.TrimZones, plan.DeregisterTarget, plan.TerminateInstance, plan.DeregisterImage:
		return "-"
	case plan.ValidateLaunch, plan.Wait, plan.Gate:
		return "="
	}
	return "+"
}

var kindSequence = []plan.Kind{
	plan.ValidateLaunch, plan.CreateImage, plan.ModifyHealthCheck, plan.LaunchInstance, plan.AssociateInstanceProfile,
	plan.EnableStickiness, plan.AddZones, plan.RegisterTarget, plan.Wait, plan.Gate, plan.DeregisterTarget,
	plan.TerminateInstance, plan.TrimZones, plan.TagSnapshots, plan.DeregisterImage,
}

// KindOrder returns the kinds present in m, in kindSequence's order and then, for kinds this
// file does not know yet, by name.
func KindOrder[V any](m map[plan.Kind]V) []plan.Kind {
	var out []plan.Kind
	for _, k := range kindSequence {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	var rest []plan.Kind
	for k := range m {
		if !slices.Contains(kindSequence, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// Plural says "1 step", "2 steps".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Warning is one warning a reviewer must see, with the number of the step it is about
// (0: the plan as a whole).
type Warning struct {
	Step int
	ID   string
	Text string
}

// PlanWarnings lists every warning once: those of steps first, in step order, then the
// plan's others.
func PlanWarnings(p *plan.Plan) []Warning {
	var out []Warning
	seen := map[string]bool{}
	for i, s := range p.Steps {
		if s.Warning != "" {
			out = append(out, Warning{Step: i + 1, ID: s.ID, Text: s.Warning})
			seen[s.Warning] = true
		}
	}
	for _, w := range p.Warnings {
		if !seen[w] {
			out = append(out, Warning{Text: w})
			seen[w] = true
		}
	}
	return out
}

// WriteWarningList prints warnings as a list, each marked "!" and, on a terminal, in red.
func WriteWarningList(w io.Writer, ws []Warning, colour bool) {
	for _, warn := range ws {
		fmt.Fprintf(w, "  %s %s\n", paint(colour, bold+red, "!"), paint(colour, red, warn.text()))
	}
}

func (warn Warning) text() string {
	if warn.Step > 0 {
		return fmt.Sprintf("step %d (%s): %s", warn.Step, warn.ID, warn.Text)
	}
	return warn.Text
}

// writeWarningsWrapped is WriteWarningList wrapped at MaxWidth, for the compact plan.
func writeWarningsWrapped(w io.Writer, ws []Warning, colour bool) {
	for _, warn := range ws {
		var b strings.Builder
		WriteWrapped(&b, "    ", 4, warn.text()) // the room of "  ! "
		for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			line = strings.TrimPrefix(line, "    ")
			mark := " "
			if i == 0 {
				mark = paint(colour, bold+red, "!")
			}
			fmt.Fprintf(w, "  %s %s\n", mark, paint(colour, red, line))
		}
	}
}

// RenderPlanCompact prints the plan a step a line, with its warnings in full: apply
// -auto-approve's view, where nobody reads the plan to approve it (docs/apply.md).
// Without list, the steps are left to the progress lines (the simulator: docs/apply.md).
func RenderPlanCompact(w io.Writer, header string, p *plan.Plan, colour, list bool) {
	fmt.Fprintf(w, "albctl: %s\n\n", header)
	if p.Empty() {
		RenderPlanHuman(io.Discard, header, p, colour)
		fmt.Fprintln(w, "No changes. The world matches the spec.")
		return
	}
	if !list {
		writeSummary(w, p, colour)
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintln(w, "albctl will take these steps (-auto-approve; 'albctl plan' shows why):")
	width := 0
	for _, s := range p.Steps {
		width = max(width, len(s.ID))
	}
	for i, s := range p.Steps {
		line := fmt.Sprintf("  %2d. %s %-*s  %s", i+1, Symbol(s.Kind), width, s.ID, s.Resource)
		if s.Warning != "" {
			line += "  " + strings.SplitN(s.Warning, ":", 2)[0]
		}
		if len(line) > MaxWidth {
			line = line[:MaxWidth-3] + "..."
		}
		fmt.Fprintln(w, paint(colour && s.Warning != "", bold+red, line))
	}
	writeSummary(w, p, colour)
}

// writeSummary prints the summary line and the warnings under it, wrapped at MaxWidth.
func writeSummary(w io.Writer, p *plan.Plan, colour bool) {
	ws := PlanWarnings(p)
	text := "Plan: " + Summary(p)
	if len(ws) > 0 {
		text += ", " + Plural(len(ws), "warning") + ":"
	} else {
		text += "."
	}
	var b strings.Builder
	WriteWrapped(&b, "", 2, text)
	out := b.String()
	if colour {
		out = strings.Replace(out, "Plan:", paint(colour, bold, "Plan:"), 1)
	}
	fmt.Fprint(w, out)
	writeWarningsWrapped(w, ws, colour)
}

// The ANSI codes of Terraform's colours, used on terminals only (docs/apply.md).
const (
	green  = "\033[32m"
	yellow = "\033[33m"
	red    = "\033[31m"
	bold   = "\033[1m"
	dim    = "\033[2m"
	reset  = "\033[0m"
)

// paint wraps text in an ANSI colour when colour is on.
func paint(colour bool, code, text string) string {
	if !colour || code == "" {
		return text
	}
	return code + text + reset
}

func symbolColour(k plan.Kind) string {
	switch Symbol(k) {
	case "+":
		return green
	case "~":
		return yellow
	case "=":
		return bold
	}
	return red
}

// RenderPlanHuman prints the plan for people: the target, each step with its reason, what it
// asks AWS and what it waits for, and the summary line with the warnings repeated under it.
// colour adds Terraform's colours to the symbols and the warnings (terminals only).
func RenderPlanHuman(w io.Writer, header string, p *plan.Plan, colour bool) {
	fmt.Fprintf(w, "albctl: %s\n\n", header)
	if p.Empty() {
		for _, warn := range p.Warnings {
			fmt.Fprintf(w, "%s %s\n\n", paint(colour, bold+red, "Warning:"), warn)
		}
		fmt.Fprintln(w, "No changes. The world matches the spec.")
		return
	}
	if len(p.Steps) == 1 {
		fmt.Fprintln(w, "albctl will take this step:")
	} else {
		fmt.Fprintf(w, "albctl will take these %d steps, in this order:\n", len(p.Steps))
	}
	index := map[string]int{}
	for i, s := range p.Steps {
		index[s.ID] = i + 1
	}
	for i, s := range p.Steps {
		fmt.Fprintf(w, "\n  %2d. %s %s  %s\n", i+1, paint(colour, symbolColour(s.Kind), Symbol(s.Kind)), paint(colour, bold, s.ID), s.Resource)
		fmt.Fprintf(w, "        why:   %s\n", s.Reason)
		if d := Details(&s); d != "" {
			fmt.Fprintf(w, "        what:  %s\n", d)
		}
		if len(s.DependsOn) > 0 {
			var after []int
			for _, d := range s.DependsOn {
				after = append(after, index[d])
			}
			slices.Sort(after)
			var nums []string
			for _, n := range after {
				nums = append(nums, strconv.Itoa(n))
			}
			fmt.Fprintf(w, "        after: %s\n", strings.Join(nums, ", "))
		}
		if s.Warning != "" {
			fmt.Fprintf(w, "        %s\n", paint(colour, bold+red, "!!! "+s.Warning))
		}
	}
	ws := PlanWarnings(p)
	for _, warn := range ws {
		if warn.Step == 0 {
			fmt.Fprintf(w, "\n%s %s\n", paint(colour, bold+red, "Warning:"), warn.Text)
		}
	}
	fmt.Fprintf(w, "\n%s %s", paint(colour, bold, "Plan:"), Summary(p))
	if len(ws) > 0 {
		fmt.Fprintf(w, ", %s:\n", paint(colour, bold+red, Plural(len(ws), "warning")))
		WriteWarningList(w, ws, colour)
		return
	}
	fmt.Fprintln(w, ".")
}

func Summary(p *plan.Plan) string {
	counts := map[plan.Kind]int{}
	for _, s := range p.Steps {
		counts[s.Kind]++
	}
	var parts []string
	for _, k := range KindOrder(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return fmt.Sprintf("%s (%s)", Plural(len(p.Steps), "step"), strings.Join(parts, ", "))
}

// MaxWidth is the width human output wraps to: CI logs and terminals show it whole.
const MaxWidth = 120

// WriteWrapped prints words wrapped at MaxWidth, the first line after first, the others
// indented by indent spaces.
func WriteWrapped(w io.Writer, first string, indent int, text string) {
	line := first
	for i, word := range strings.Fields(text) {
		if i > 0 && len(line)+1+len(word) > MaxWidth {
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
