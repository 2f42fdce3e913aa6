package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/albctl/albctl/plan"
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
}

func renderGraph(w io.Writer, p *plan.Plan, format string) error {
	switch format {
	case "dot":
		fmt.Fprintln(w, "digraph albctl_plan {")
		fmt.Fprintln(w, "  rankdir=LR;")
		fmt.Fprintln(w, `  node [shape=box, style="rounded,filled", fontname="Helvetica"];`)
		for i, s := range p.Steps {
			fmt.Fprintf(w, "  %q [label=%q, fillcolor=%q];\n", s.ID, fmt.Sprintf("%d. %s\n%s", i+1, s.Kind, s.Resource), kindColor[s.Kind])
		}
		for _, s := range p.Steps {
			for _, d := range s.DependsOn {
				fmt.Fprintf(w, "  %q -> %q;\n", d, s.ID)
			}
		}
		fmt.Fprintln(w, "}")
	case "mermaid":
		fmt.Fprintln(w, "flowchart LR")
		ids := map[string]string{}
		for i, s := range p.Steps {
			ids[s.ID] = fmt.Sprintf("s%d", i+1)
			label := strings.ReplaceAll(fmt.Sprintf("%d. %s<br/>%s", i+1, s.Kind, s.Resource), `"`, "#quot;")
			fmt.Fprintf(w, "  %s[\"%s\"]:::%s\n", ids[s.ID], label, s.Kind)
		}
		for _, s := range p.Steps {
			for _, d := range s.DependsOn {
				fmt.Fprintf(w, "  %s --> %s\n", ids[d], ids[s.ID])
			}
		}
		for _, k := range kindSequence {
			fmt.Fprintf(w, "  classDef %s fill:%s\n", k, kindColor[k])
		}
	default:
		return &exitError{code: 1, err: fmt.Errorf("-graph must be dot or mermaid, not %q", format)}
	}
	return nil
}
