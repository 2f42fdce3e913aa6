package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/albctl/albctl/plan"
)

// PlanFormatVersion is the version of the JSON plan schema (docs/plan-json.md). It changes
// when a field changes meaning or goes away; new fields do not change it.
const PlanFormatVersion = "1"

// planJSON is the document `plan -json` and `show -json` print.
type planJSON struct {
	FormatVersion string         `json:"format_version"`
	Target        string         `json:"target"`
	Changes       bool           `json:"changes"`
	Summary       map[string]int `json:"summary"`
	Steps         []plan.Step    `json:"steps"`
	Warnings      []string       `json:"warnings"`
}

func newPlanJSON(header string, p *plan.Plan) planJSON {
	doc := planJSON{
		FormatVersion: PlanFormatVersion,
		Target:        header,
		Changes:       !p.Empty(),
		Summary:       map[string]int{},
		Steps:         p.Steps,
		Warnings:      p.Warnings,
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
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(newPlanJSON(header, p))
}

// symbol is the Terraform-like mark of a step: + adds capacity or config, ~ changes something
// in place, - takes something away.
func symbol(k plan.Kind) string {
	switch k {
	case plan.EnableStickiness, plan.AssociateInstanceProfile:
		return "~"
	case plan.TrimZones, plan.DeregisterTarget, plan.TerminateInstance:
		return "-"
	}
	return "+"
}

var kindSequence = []plan.Kind{
	plan.CreateImage, plan.LaunchInstance, plan.AssociateInstanceProfile, plan.EnableStickiness,
	plan.AddZones, plan.RegisterTarget, plan.TrimZones, plan.DeregisterTarget, plan.TerminateInstance,
}

func renderPlanHuman(w io.Writer, header string, p *plan.Plan) {
	fmt.Fprintf(w, "albctl: %s\n\n", header)
	if p.Empty() {
		for _, warn := range p.Warnings {
			fmt.Fprintf(w, "Warning: %s\n\n", warn)
		}
		fmt.Fprintln(w, "No changes. The world matches the spec.")
		return
	}
	fmt.Fprintf(w, "albctl will take these %d steps, in this order:\n", len(p.Steps))
	index := map[string]int{}
	for i, s := range p.Steps {
		index[s.ID] = i + 1
	}
	for i, s := range p.Steps {
		fmt.Fprintf(w, "\n  %2d. %s %s  %s\n", i+1, symbol(s.Kind), s.ID, s.Resource)
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
			fmt.Fprintf(w, "        !!! %s\n", s.Warning)
		}
	}
	var stepWarnings []string
	for _, s := range p.Steps {
		if s.Warning != "" {
			stepWarnings = append(stepWarnings, s.Warning)
		}
	}
	for _, warn := range p.Warnings {
		if !slices.Contains(stepWarnings, warn) {
			fmt.Fprintf(w, "\nWarning: %s\n", warn)
		}
	}
	fmt.Fprintf(w, "\nPlan: %s.\n", summary(p))
}

func summary(p *plan.Plan) string {
	counts := map[plan.Kind]int{}
	for _, s := range p.Steps {
		counts[s.Kind]++
	}
	var parts []string
	for _, k := range kindSequence {
		if n := counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return fmt.Sprintf("%d steps (%s)", len(p.Steps), strings.Join(parts, ", "))
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
	case s.Launch != nil:
		image := s.Launch.ImageID
		if image == "" {
			image = "the image of " + s.Launch.ImageStep
		}
		profile := "no IAM instance profile"
		if s.Launch.IAMProfile != "" {
			profile = "IAM instance profile " + s.Launch.IAMProfile
		}
		return fmt.Sprintf("RunInstances %s from %s in %s (%s), %s", s.Launch.InstanceType, image, s.Launch.SubnetID, s.Launch.AZ, profile)
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
		return fmt.Sprintf("RegisterTargets %s port %d, then wait until healthy", id, s.Target.Port)
	case s.Target != nil:
		return fmt.Sprintf("DeregisterTargets %s port %d, then wait for draining to end", s.Target.InstanceID, s.Target.Port)
	case s.Terminate != nil:
		return "TerminateInstances " + s.Terminate.InstanceID
	}
	return ""
}
