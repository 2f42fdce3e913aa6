package views

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/plan"
)

// Steps are grouped by the zone they act in: launches and targets by their AZ, a
// termination or a profile association by the zone of its instance, the rest in the shared
// group, which comes first.
func TestGraphGroups(t *testing.T) {
	p := &plan.Plan{Steps: []plan.Step{
		{ID: "create_image.web"},
		{ID: "launch.d", Launch: &plan.LaunchParams{AZ: "az-d"}},
		{ID: "register.a", Target: &plan.TargetParams{AZ: "az-a", InstanceID: "i-a"}},
		{ID: "terminate.a", Terminate: &plan.TerminateParams{InstanceID: "i-a"}},
		{ID: "associate.a", Associate: &plan.AssociateParams{InstanceID: "i-a"}},
		{ID: "terminate.unknown", Terminate: &plan.TerminateParams{InstanceID: "i-gone"}},
	}}
	names, members := graphGroups(p)
	if want := []string{sharedGroup, "az-a", "az-d"}; !slices.Equal(names, want) {
		t.Errorf("groups %v, want %v", names, want)
	}
	want := map[string][]int{sharedGroup: {0, 5}, "az-a": {2, 3, 4}, "az-d": {1}}
	if d := cmp.Diff(want, members); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	if names, _ := graphGroups(&plan.Plan{Steps: []plan.Step{{ID: "l", Launch: &plan.LaunchParams{AZ: "az-a"}}}}); !slices.Equal(names, []string{"az-a"}) {
		t.Errorf("without shared steps the groups are %v, want only the zone", names)
	}
}

func TestWarningLabel(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"OUTAGE: CreateImage reboots i-1", "OUTAGE"},
		{"capacity drops: web loses one", "WARNING"},
		{"SLOW DOWN: two words", "WARNING"},
		{"no colon at all", "WARNING"},
		{": empty head", "WARNING"},
	} {
		if got := warningLabel(tc.in); got != tc.want {
			t.Errorf("warningLabel(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// graphSyntax is how each format spells a node, an edge and a legend entry, read back to
// check the graph against the plan.
var graphSyntax = map[string]struct {
	node, edge, legend *regexp.Regexp
	warning            string // a warned step is marked so
	comment            string
}{
	"dot": {
		node:    regexp.MustCompile(`^    "([^"]+)" \[label="(?:⚠ \w+\\n)?(\d+)\. `),
		edge:    regexp.MustCompile(`^  "([^"]+)" -> "([^"]+)";$`),
		legend:  regexp.MustCompile(`^    "legend_([a-z_]+)" \[label="(.) `),
		warning: `[label="⚠ OUTAGE\n%d. `,
		comment: "  // WARNING ",
	},
	"mermaid": {
		node:    regexp.MustCompile(`^    (s\d+)\["(?:⚠ \w+<br/>)?(\d+)\. `),
		edge:    regexp.MustCompile(`^  (s\d+) --> (s\d+)$`),
		legend:  regexp.MustCompile(`^    legend_([a-z_]+)\["(.) `),
		warning: "  class s%d warning\n",
		comment: "  %% WARNING ",
	},
}

// Every step is drawn once, every dependency is an edge, the legend names the kinds used in
// plan order with their marks, and each warning is marked on its step and repeated in full.
func TestRenderGraph(t *testing.T) {
	for _, format := range []string{"dot", "mermaid"} {
		for name, p := range map[string]*plan.Plan{"blog": blogPlan(t), "gated": gatedPlan()} {
			t.Run(format+"/"+name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := RenderGraph(&buf, p, format); err != nil {
					t.Fatal(err)
				}
				syn := graphSyntax[format]
				nodeOf := map[string]string{} // the name in the graph -> step ID
				var edges [][2]string
				var legend []string
				for _, l := range strings.Split(buf.String(), "\n") {
					if m := syn.node.FindStringSubmatch(l); m != nil {
						var n int
						fmt.Sscan(m[2], &n)
						if _, dup := nodeOf[m[1]]; dup || n < 1 || n > len(p.Steps) {
							t.Errorf("node %s drawn twice or numbered %d: %s", m[1], n, l)
							continue
						}
						nodeOf[m[1]] = p.Steps[n-1].ID
					}
					if m := syn.edge.FindStringSubmatch(l); m != nil {
						edges = append(edges, [2]string{m[1], m[2]})
					}
					if m := syn.legend.FindStringSubmatch(l); m != nil && m[1] != "warning" {
						legend = append(legend, m[2]+" "+m[1])
					}
				}
				var wantEdges, gotEdges [][2]string
				kinds := map[plan.Kind]bool{}
				for _, s := range p.Steps {
					kinds[s.Kind] = true
					for _, d := range s.DependsOn {
						wantEdges = append(wantEdges, [2]string{d, s.ID})
					}
				}
				for _, e := range edges {
					gotEdges = append(gotEdges, [2]string{nodeOf[e[0]], nodeOf[e[1]]})
				}
				if len(nodeOf) != len(p.Steps) {
					t.Errorf("%d nodes for %d steps:\n%s", len(nodeOf), len(p.Steps), buf.String())
				}
				if d := cmp.Diff(wantEdges, gotEdges); d != "" {
					t.Errorf("edges (-want +got):\n%s", d)
				}
				var wantLegend []string
				for _, k := range KindOrder(kinds) {
					wantLegend = append(wantLegend, Symbol(k)+" "+string(k))
				}
				if d := cmp.Diff(wantLegend, legend); d != "" {
					t.Errorf("legend (-want +got):\n%s", d)
				}
				for _, w := range PlanWarnings(p) {
					if !strings.Contains(buf.String(), fmt.Sprintf(syn.warning, w.Step)) {
						t.Errorf("step %d's warning is not marked on it:\n%s", w.Step, buf.String())
					}
					if !strings.Contains(buf.String(), syn.comment+w.text()+"\n") {
						t.Errorf("warning %q not repeated in full:\n%s", w.text(), buf.String())
					}
				}
			})
		}
	}
}

func TestRenderGraphUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := RenderGraph(&buf, gatedPlan(), "png")
	if err == nil || !strings.Contains(err.Error(), `-graph must be dot or mermaid, not "png"`) {
		t.Errorf("err = %v", err)
	}
	if buf.Len() > 0 {
		t.Errorf("printed before refusing:\n%s", buf.String())
	}
}

// TestEveryKindHasAColour: a kind without a fill would be drawn grey among coloured phases.
func TestEveryKindHasAColour(t *testing.T) {
	for _, k := range plan.Kinds() {
		if _, ok := kindColor[k]; !ok {
			t.Errorf("kindColor has no fill for %s", k)
		}
	}
}
