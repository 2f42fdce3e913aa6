package plan_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/specs"
)

// QueryOf names what the blog stack refers to: its target group and load balancer, and per
// fleet the source, the target group's name (not the spec's label), the image, the profile,
// the type and the zones.
func TestQueryOfTheBlogStack(t *testing.T) {
	t.Parallel()
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	f := s.Fleets[0]
	want := cloud.Query{
		TargetGroups:  []string{"web-tg"},
		LoadBalancers: []string{"web-alb"},
		Fleets: []cloud.FleetQuery{{
			Label: "web", Source: f.Source, TargetGroup: "web-tg", ImageName: f.Image.Name, ImageID: f.Image.ID,
			InstanceProfile: f.IAMInstanceProfile, InstanceType: f.InstanceType, Zones: []string{"ap-northeast-1a", "ap-northeast-1d"},
		}},
	}
	if d := cmp.Diff(want, plan.QueryOf(s)); d != "" {
		t.Errorf("query (-want +got):\n%s", d)
	}
	s.Fleets[0].TargetGroup = "nope"
	if got := plan.QueryOf(s).Fleets[0].TargetGroup; got != "" {
		t.Errorf("a fleet whose label names no target group asks for %q", got)
	}
}
