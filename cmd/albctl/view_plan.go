package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/plan"
)

// PlanFormatVersion is the version of the JSON plan schema (docs/plan-json.md). It changes
// when a field changes meaning or goes away; new fields do not change it.
const PlanFormatVersion = "1"

// planJSON is the document `plan -json` and `show -json` print.
type planJSON struct {
	FormatVersion string `json:"format_version"`
	Target        string `json:"target"`
	// TargetVerified is false in show -json: the target is what the plan file says, which
	// anyone who can edit the file can change; apply checks it (docs/security.md).
	TargetVerified bool           `json:"target_verified"`
	Changes        bool           `json:"changes"`
	Summary        map[string]int `json:"summary"`
	Steps          []plan.Step    `json:"steps"`
	Warnings       []string       `json:"warnings"`
	// Rehearsal is set by plan -rehearse: what clients would see (rehearse.go).
	Rehearsal *trafficReportJSON `json:"rehearsal,omitempty"`
}

func newPlanJSON(header string, p *plan.Plan) planJSON {
	doc := planJSON{
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

func renderPlanJSON(w io.Writer, header string, p *plan.Plan) error {
	return writeJSON(w, newPlanJSON(header, p))
}

func writeJSON(w io.Writer, doc planJSON) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// symbol is the Terraform-like mark of a step: + adds capacity or config, ~ changes something
// in place, - takes something away, = checks or waits without changing anything.
func symbol(k plan.Kind) string {
	switch k {
	case plan.EnableStickiness, plan.AssociateInstanceProfile, plan.ModifyHealthCheck:
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
	plan.TerminateInstance, plan.TrimZones, plan.DeregisterImage,
}

// kindOrder returns the kinds present in m, in kindSequence's order and then, for kinds this
// file does not know yet, by name.
func kindOrder[V any](m map[plan.Kind]V) []plan.Kind {
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

// plural says "1 step", "2 steps".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// planWarning is one warning a reviewer must see, with the number of the step it is about
// (0: the plan as a whole).
type planWarning struct {
	Step int
	ID   string
	Text string
}

// planWarnings lists every warning once: those of steps first, in step order, then the
// plan's others.
func planWarnings(p *plan.Plan) []planWarning {
	var out []planWarning
	seen := map[string]bool{}
	for i, s := range p.Steps {
		if s.Warning != "" {
			out = append(out, planWarning{Step: i + 1, ID: s.ID, Text: s.Warning})
			seen[s.Warning] = true
		}
	}
	for _, w := range p.Warnings {
		if !seen[w] {
			out = append(out, planWarning{Text: w})
			seen[w] = true
		}
	}
	return out
}

// writeWarningList prints warnings as a list, each marked "!" and, on a terminal, in red.
func writeWarningList(w io.Writer, ws []planWarning, colour bool) {
	for _, warn := range ws {
		fmt.Fprintf(w, "  %s %s\n", paint(colour, bold+red, "!"), paint(colour, red, warn.text()))
	}
}

func (warn planWarning) text() string {
	if warn.Step > 0 {
		return fmt.Sprintf("step %d (%s): %s", warn.Step, warn.ID, warn.Text)
	}
	return warn.Text
}

// writeWarningsWrapped is writeWarningList wrapped at maxWidth, for the compact plan.
func writeWarningsWrapped(w io.Writer, ws []planWarning, colour bool) {
	for _, warn := range ws {
		var b strings.Builder
		writeWrapped(&b, "    ", 4, warn.text()) // the room of "  ! "
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

// renderPlanCompact prints the plan a step a line, with its warnings in full: apply
// -auto-approve's view, where nobody reads the plan to approve it (docs/apply.md).
// Without list, the steps are left to the progress lines (the simulator: docs/apply.md).
func renderPlanCompact(w io.Writer, header string, p *plan.Plan, colour, list bool) {
	fmt.Fprintf(w, "albctl: %s\n\n", header)
	if p.Empty() {
		renderPlanHuman(io.Discard, header, p, colour)
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
		line := fmt.Sprintf("  %2d. %s %-*s  %s", i+1, symbol(s.Kind), width, s.ID, s.Resource)
		if s.Warning != "" {
			line += "  " + strings.SplitN(s.Warning, ":", 2)[0]
		}
		if len(line) > maxWidth {
			line = line[:maxWidth-3] + "..."
		}
		fmt.Fprintln(w, paint(colour && s.Warning != "", bold+red, line))
	}
	writeSummary(w, p, colour)
}

// writeSummary prints the summary line and the warnings under it, wrapped at maxWidth.
func writeSummary(w io.Writer, p *plan.Plan, colour bool) {
	ws := planWarnings(p)
	text := "Plan: " + summary(p)
	if len(ws) > 0 {
		text += ", " + plural(len(ws), "warning") + ":"
	} else {
		text += "."
	}
	var b strings.Builder
	writeWrapped(&b, "", 2, text)
	out := b.String()
	if colour {
		out = strings.Replace(out, "Plan:", paint(colour, bold, "Plan:"), 1)
	}
	fmt.Fprint(w, out)
	writeWarningsWrapped(w, ws, colour)
}

// paint wraps text in an ANSI colour when colour is on.
func paint(colour bool, code, text string) string {
	if !colour || code == "" {
		return text
	}
	return code + text + reset
}

func symbolColour(k plan.Kind) string {
	switch symbol(k) {
	case "+":
		return green
	case "~":
		return yellow
	case "=":
		return bold
	}
	return red
}

// renderPlanHuman prints the plan for people: the target, each step with its reason, what it
// asks AWS and what it waits for, and the summary line with the warnings repeated under it.
// colour adds Terraform's colours to the symbols and the warnings (terminals only).
func renderPlanHuman(w io.Writer, header string, p *plan.Plan, colour bool) {
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
		fmt.Fprintf(w, "\n  %2d. %s %s  %s\n", i+1, paint(colour, symbolColour(s.Kind), symbol(s.Kind)), paint(colour, bold, s.ID), s.Resource)
		fmt.Fprintf(w, "        why:   %s\n", s.Reason)
		if d := details(&s); d != "" {
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
	ws := planWarnings(p)
	for _, warn := range ws {
		if warn.Step == 0 {
			fmt.Fprintf(w, "\n%s %s\n", paint(colour, bold+red, "Warning:"), warn.Text)
		}
	}
	fmt.Fprintf(w, "\n%s %s", paint(colour, bold, "Plan:"), summary(p))
	if len(ws) > 0 {
		fmt.Fprintf(w, ", %s:\n", paint(colour, bold+red, plural(len(ws), "warning")))
		writeWarningList(w, ws, colour)
		return
	}
	fmt.Fprintln(w, ".")
}

func summary(p *plan.Plan) string {
	counts := map[plan.Kind]int{}
	for _, s := range p.Steps {
		counts[s.Kind]++
	}
	var parts []string
	for _, k := range kindOrder(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return fmt.Sprintf("%s (%s)", plural(len(p.Steps), "step"), strings.Join(parts, ", "))
}

// details says, in one line, exactly what the step will ask AWS to do.
func details(s *plan.Step) string {
	switch {
	case s.Image != nil:
		reboot := "rebooting the source"
		if s.Image.NoReboot {
			reboot = "without a reboot"
		}
		return fmt.Sprintf("CreateImage of %s named %q, %s", s.Image.SourceInstanceID, s.Image.Name, reboot)
	case s.Launch != nil && s.Kind == plan.ValidateLaunch:
		return fmt.Sprintf("RunInstances with DryRun: %s from %s in %s (%s), %s", s.Launch.InstanceType, s.Launch.ImageID, s.Launch.SubnetID, s.Launch.AZ, profileText(s.Launch.IAMProfile))
	case s.Launch != nil:
		image := s.Launch.ImageID
		if image == "" {
			image = "the image of " + s.Launch.ImageStep
		}
		d := fmt.Sprintf("RunInstances %s from %s in %s (%s), %s", s.Launch.InstanceType, image, s.Launch.SubnetID, s.Launch.AZ, profileText(s.Launch.IAMProfile))
		if s.Launch.Replaces != "" {
			d += ", replacing " + s.Launch.Replaces
		}
		return d
	case s.Associate != nil:
		return fmt.Sprintf("AssociateIamInstanceProfile %s to %s", s.Associate.IAMProfile, s.Associate.InstanceID)
	case s.Stickiness != nil:
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(s.Stickiness.Attributes)) {
			kv = append(kv, k+"="+s.Stickiness.Attributes[k])
		}
		return "ModifyTargetGroupAttributes " + strings.Join(kv, " ")
	case s.Zones != nil:
		d := "SetSubnets " + strings.Join(s.Zones.SubnetIDs, ", ") + " (" + strings.Join(s.Zones.AZs, ", ") + ")"
		if len(s.Zones.Removed) > 0 {
			d += "; removes " + strings.Join(s.Zones.Removed, ", ") + " once every kept zone has a healthy target"
		}
		return d
	case s.Target != nil && s.Kind == plan.RegisterTarget:
		id := s.Target.InstanceID
		if id == "" {
			id = "the instance of " + s.Target.InstanceStep
		}
		d := fmt.Sprintf("RegisterTargets %s port %d, then wait until healthy", id, s.Target.Port)
		if rb := s.Target.Rollback; rb != nil {
			d += " (at most " + rb.HealthTimeout.String()
			if rb.Auto {
				d += "; else deregister and terminate it, and stop"
			} else {
				d += "; else stop"
			}
			d += ")"
		}
		return d
	case s.Target != nil:
		return fmt.Sprintf("DeregisterTargets %s port %d (it drains for the deregistration delay)", s.Target.InstanceID, s.Target.Port)
	case s.Terminate != nil:
		if len(s.Terminate.DrainFrom) > 0 {
			return "TerminateInstances " + s.Terminate.InstanceID + " once it has drained"
		}
		return "TerminateInstances " + s.Terminate.InstanceID
	case s.HealthCheck != nil:
		return "ModifyTargetGroup " + healthCheckText(s.HealthCheck)
	case s.Wait != nil:
		return "wait " + s.Wait.Duration.String()
	case s.Gate != nil:
		return gateText(s.Gate)
	case s.Cleanup != nil:
		d := "DeregisterImage " + s.Cleanup.ImageID
		if len(s.Cleanup.SnapshotIDs) > 0 {
			d += ", then DeleteSnapshot " + strings.Join(s.Cleanup.SnapshotIDs, ", ")
		}
		return d
	}
	return ""
}

func profileText(p string) string {
	if p == "" {
		return "no IAM instance profile"
	}
	return "IAM instance profile " + p
}

// healthCheckText lists the health-check settings a modify_health_check step sets.
func healthCheckText(h *plan.HealthCheckParams) string {
	var kv []string
	if h.Path != nil {
		kv = append(kv, "path="+*h.Path)
	}
	if h.IntervalSeconds != nil {
		kv = append(kv, fmt.Sprintf("interval=%ds", *h.IntervalSeconds))
	}
	if h.TimeoutSeconds != nil {
		kv = append(kv, fmt.Sprintf("timeout=%ds", *h.TimeoutSeconds))
	}
	if h.HealthyThreshold != nil {
		kv = append(kv, fmt.Sprintf("healthy_threshold=%d", *h.HealthyThreshold))
	}
	if h.UnhealthyThreshold != nil {
		kv = append(kv, fmt.Sprintf("unhealthy_threshold=%d", *h.UnhealthyThreshold))
	}
	if h.Matcher != nil {
		kv = append(kv, "matcher="+*h.Matcher)
	}
	return strings.Join(kv, " ")
}

// gateText says what a gate step calls and what it undoes on a breach.
func gateText(g *plan.GateParams) string {
	d := "wait " + g.Bake.String() + " while"
	if len(g.Alarms) > 0 {
		d += " DescribeAlarms " + strings.Join(g.Alarms, ", ") + " stay out of ALARM;"
	}
	if g.Max5xxPercent != nil || g.MaxP95Latency > 0 {
		d += " then GetMetricData over the bake and the same time before the apply (" + strings.Join(g.Names(), ", ") + ", per zone and in all);"
	}
	back := fmt.Sprintf("RegisterTargets the %d old member(s) again", len(g.Rollback.Restore))
	if n := len(g.Rollback.Relaunch); n > 0 { // old members terminated: relaunched (docs/plans.md)
		back = fmt.Sprintf("RunInstances the %d terminated old member(s) anew from the image they ran and RegisterTargets them", n)
		if len(g.Rollback.Restore) > 0 {
			back = fmt.Sprintf("RegisterTargets the %d old member(s) again, RunInstances the %d terminated one(s) anew from the image they ran and register them", len(g.Rollback.Restore), n)
		}
	}
	return fmt.Sprintf("%s on a breach %s, wait until healthy, then deregister and terminate the %d new one(s), tag the image rolled back, and stop",
		d, back, len(g.Rollback.Remove))
}
