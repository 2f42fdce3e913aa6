package views

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/albctl/albctl/internal/plan"
)

// kindColor gives each step kind a fill in the graph, so a reviewer sees the phases at once:
// images and launches (blue), configuration (yellow), traffic (green), removal (red).
var kindColor = map[plan.Kind]string{
	plan.CreateImage:              "#cfe2ff",
	plan.LaunchInstance:           "#cfe2ff",
	plan.AssociateInstanceProfile: "#fff3cd",
	plan.EnableStickiness:         "#fff3cd",
	plan.AddZones:                 "#fff3cd",
	plan.RegisterTarget:           "#d1e7dd",
	plan.TrimZones:                "#f8d7da",
	plan.DeregisterTarget:         "#f8d7da",
	plan.TerminateInstance:        "#f8d7da",
	plan.ValidateLaunch:           "#cfe2ff",
	plan.ModifyHealthCheck:        "#fff3cd",
	plan.Wait:                     "#d1e7dd",
	plan.Gate:                     "#d1e7dd",
	plan.DeregisterImage:          "#f8d7da",
	plan.TagSnapshots:             "#fff3cd",
}

// otherColor fills kinds the table above does not know yet.
const otherColor = "#e2e3e5"

func fillOf(k plan.Kind) string {
	if c, ok := kindColor[k]; ok {
		return c
	}
	return otherColor
}

// sharedGroup holds the steps that belong to no one zone: images, the target group, the ALB.
const sharedGroup = "stack"

// stepZones says which Availability Zone each step acts in, "" for none: launches and targets
// carry their AZ; a termination is in the zone of the instance it terminates.
func stepZones(p *plan.Plan) map[string]string {
	zones := map[string]string{}
	byInstance := map[string]string{}
	for _, s := range p.Steps {
		switch {
		case s.Launch != nil:
			zones[s.ID] = s.Launch.AZ
		case s.Target != nil:
			zones[s.ID] = s.Target.AZ
			if s.Target.InstanceID != "" {
				byInstance[s.Target.InstanceID] = s.Target.AZ
			}
		}
	}
	for _, s := range p.Steps {
		if s.Terminate != nil {
			zones[s.ID] = byInstance[s.Terminate.InstanceID]
		}
		if s.Associate != nil {
			zones[s.ID] = byInstance[s.Associate.InstanceID]
		}
	}
	return zones
}

// graphGroups returns the groups in display order (the shared one first, then zones by name)
// with their steps' indexes in plan order.
func graphGroups(p *plan.Plan) (names []string, members map[string][]int) {
	zones := stepZones(p)
	members = map[string][]int{}
	for i, s := range p.Steps {
		g := zones[s.ID]
		if g == "" {
			g = sharedGroup
		}
		members[g] = append(members[g], i)
	}
	for g := range members {
		if g != sharedGroup {
			names = append(names, g)
		}
	}
	slices.Sort(names)
	if _, ok := members[sharedGroup]; ok {
		names = append([]string{sharedGroup}, names...)
	}
	return names, members
}

func groupTitle(g string) string {
	if g == sharedGroup {
		return "image, target group, load balancer"
	}
	return "zone " + g
}

// warningMark is how a step with a warning (an OUTAGE) stands out in the picture.
const warningMark = "⚠ "

// warningLabel is the first word of a warning ("OUTAGE" in "OUTAGE: CreateImage reboots…"),
// or "WARNING".
func warningLabel(w string) string {
	if head, _, ok := strings.Cut(w, ":"); ok && head != "" && strings.ToUpper(head) == head && !strings.Contains(head, " ") {
		return head
	}
	return "WARNING"
}

// RenderGraph draws the step graph in format "dot" or "mermaid" (docs/review.md): steps
// grouped by zone, coloured by kind, steps with a warning outlined in red and labelled, a
// legend of the kinds used, and the plan's warnings in full as comments.
func RenderGraph(w io.Writer, p *plan.Plan, format string) error {
	g := newStepGraph(p)
	switch format {
	case "dot":
		g.writeDot(w)
	case "mermaid":
		g.writeMermaid(w)
	default:
		return fmt.Errorf("-graph must be dot or mermaid, not %q", format)
	}
	return nil
}

// stepGraph is a plan laid out for drawing: its groups in display order with their steps'
// indexes, and the kinds it uses, for the legend.
type stepGraph struct {
	p        *plan.Plan
	names    []string
	members  map[string][]int
	kinds    []plan.Kind
	warnings bool
}

func newStepGraph(p *plan.Plan) stepGraph {
	names, members := graphGroups(p)
	kinds := map[plan.Kind]bool{}
	for _, s := range p.Steps {
		kinds[s.Kind] = true
	}
	return stepGraph{p: p, names: names, members: members, kinds: KindOrder(kinds), warnings: len(PlanWarnings(p)) > 0}
}

// label is a node's text: its number, kind and resource, under a warning's label if any;
// nl is the format's line break.
func label(i int, s plan.Step, nl string) string {
	l := fmt.Sprintf("%d. %s%s%s", i+1, s.Kind, nl, s.Resource)
	if s.Warning != "" {
		l = warningMark + warningLabel(s.Warning) + nl + l
	}
	return l
}

// writeDot draws the graph in Graphviz's DOT language.
func (g stepGraph) writeDot(w io.Writer) {
	fmt.Fprintln(w, "digraph albctl_plan {")
	fmt.Fprintln(w, "  rankdir=LR;")
	fmt.Fprintln(w, `  node [shape=box, style="rounded,filled", fontname="Helvetica"];`)
	for gi, name := range g.names {
		fmt.Fprintf(w, "  subgraph cluster_%d {\n    label=%q;\n    style=dashed;\n", gi, groupTitle(name))
		for _, i := range g.members[name] {
			s := g.p.Steps[i]
			extra := ""
			if s.Warning != "" {
				extra = `, color="#dc3545", penwidth=3, fontcolor="#dc3545"`
			}
			fmt.Fprintf(w, "    %q [label=%q, fillcolor=%q%s];\n", s.ID, label(i, s, "\n"), fillOf(s.Kind), extra)
		}
		fmt.Fprintln(w, "  }")
	}
	for _, s := range g.p.Steps {
		for _, d := range s.DependsOn {
			fmt.Fprintf(w, "  %q -> %q;\n", d, s.ID)
		}
	}
	fmt.Fprintln(w, "  subgraph cluster_legend {\n    label=\"legend\";\n    style=solid;")
	for _, k := range g.kinds {
		fmt.Fprintf(w, "    %q [label=%q, fillcolor=%q];\n", "legend_"+string(k), string(Symbol(k)+" "+string(k)), fillOf(k))
	}
	if g.warnings {
		fmt.Fprintf(w, "    \"legend_warning\" [label=%q, fillcolor=\"#ffffff\", color=\"#dc3545\", penwidth=3, fontcolor=\"#dc3545\"];\n", warningMark+"step with a warning")
	}
	fmt.Fprintln(w, "  }")
	writeGraphWarnings(w, g.p, "  // ")
	fmt.Fprintln(w, "}")
}

// writeMermaid draws the graph as a mermaid flowchart, which GitHub renders in a comment.
func (g stepGraph) writeMermaid(w io.Writer) {
	fmt.Fprintln(w, "flowchart LR")
	ids := map[string]string{}
	for i, s := range g.p.Steps {
		ids[s.ID] = fmt.Sprintf("s%d", i+1)
	}
	for gi, name := range g.names {
		fmt.Fprintf(w, "  subgraph g%d[\"%s\"]\n", gi, groupTitle(name))
		for _, i := range g.members[name] {
			s := g.p.Steps[i]
			l := strings.ReplaceAll(label(i, s, "<br/>"), `"`, "#quot;")
			fmt.Fprintf(w, "    %s[\"%s\"]:::%s\n", ids[s.ID], l, s.Kind)
		}
		fmt.Fprintln(w, "  end")
	}
	for _, s := range g.p.Steps {
		for _, d := range s.DependsOn {
			fmt.Fprintf(w, "  %s --> %s\n", ids[d], ids[s.ID])
		}
	}
	g.writeMermaidLegend(w)
	for _, s := range g.p.Steps {
		if s.Warning != "" {
			fmt.Fprintf(w, "  class %s warning\n", ids[s.ID])
		}
	}
	writeGraphWarnings(w, g.p, "  %% ")
}

// writeMermaidLegend draws the legend of the kinds used and defines their classes' fills.
func (g stepGraph) writeMermaidLegend(w io.Writer) {
	fmt.Fprintln(w, "  subgraph legend[\"legend\"]")
	for _, k := range g.kinds {
		fmt.Fprintf(w, "    legend_%s[\"%s %s\"]:::%s\n", k, Symbol(k), k, k)
	}
	if g.warnings {
		fmt.Fprintf(w, "    legend_warning[\"%sstep with a warning\"]:::warning\n", warningMark)
	}
	fmt.Fprintln(w, "  end")
	for _, k := range g.kinds {
		fmt.Fprintf(w, "  classDef %s fill:%s\n", k, fillOf(k))
	}
	fmt.Fprintln(w, "  classDef warning stroke:#dc3545,stroke-width:4px,color:#dc3545")
}

// writeGraphWarnings repeats the plan's warnings in full as comments, so a graph pasted alone
// still carries them.
func writeGraphWarnings(w io.Writer, p *plan.Plan, prefix string) {
	for _, warn := range PlanWarnings(p) {
		text := warn.Text
		if warn.Step > 0 {
			text = fmt.Sprintf("step %d (%s): %s", warn.Step, warn.ID, warn.Text)
		}
		fmt.Fprintf(w, "%sWARNING %s\n", prefix, strings.ReplaceAll(text, "\n", " "))
	}
}
