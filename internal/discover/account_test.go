package discover

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/simulator"
)

// TestCandidates: the registered targets behind an ALB that can be sources — not a member
// albctl launched, not an instance in a target group behind no ALB.
func TestCandidates(t *testing.T) {
	w := simulator.SeedWorld()
	member := w.Instances[0]
	member.ID, member.Reservation, member.IAMAssociation = "i-0a1b2c3d4e5f60077", "r-0a1b2c3d4e5f60077", ""
	member.AZ, member.Subnet = az1d, simulator.SeedSubnet1d
	member.Tags = map[string]string{"Name": "web-1d-1", "albctl:fleet": "web", "albctl:stack": "web-tg"}
	w.Instances = append(w.Instances, member)
	seedTG(w).Targets = append(seedTG(w).Targets, simulator.Target{ID: member.ID, Port: 80, RegisteredAt: seedTG(w).Targets[0].RegisteredAt})
	got := accountOf(t, w).Candidates()
	want := []Candidate{{ID: simulator.SeedInstance, Name: "web", AZ: "ap-northeast-1a", Type: "t3.small", State: "running", Via: []string{"web-tg -> web-alb"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestFactsRefuse: sources init writes no spec for.
func TestFactsRefuse(t *testing.T) {
	twin := func(w *simulator.World) {
		in := w.Instances[0]
		in.ID, in.Reservation, in.IAMAssociation, in.IAMProfileARN = "i-0a1b2c3d4e5f60099", "r-0a1b2c3d4e5f60099", "", ""
		w.Instances = append(w.Instances, in)
	}
	tests := []struct {
		name, source, tg string
		change           func(w *simulator.World)
		want             string
	}{
		{"unknown", "nope", "", nil, "no live instance has the ID or exact Name tag \"nope\". Candidates (registered targets of a target group behind an Application Load Balancer):\n  1.  i-0a1b2c3d4e5f60001  \"web\"  ap-northeast-1a  t3.small  running  web-tg -> web-alb\nRun: albctl init [flags] SOURCE"},
		{"a wildcard is not one", "we*", "", nil, "no live instance has the ID or exact Name tag \"we*\""},
		{"not registered", "web", "", func(w *simulator.World) { seedTG(w).Targets = nil },
			"i-0a1b2c3d4e5f60001 \"web\" is not a registered target of any target group behind an Application Load Balancer: albctl scales what already sits behind one; and no instance is a registered target"},
		{"a shared Name tag", "web", "", twin, `2 live instances have the Name tag "web": i-0a1b2c3d4e5f60001 (ap-northeast-1a), i-0a1b2c3d4e5f60099 (ap-northeast-1a)`},
		{"a member", simulator.SeedInstance, "", func(w *simulator.World) {
			w.Instances[0].Tags["albctl:fleet"], w.Instances[0].Tags["albctl:stack"] = "web", "web-tg"
		}, `was launched by albctl (fleet "web" of target group web-tg): it is a member, not a source`},
		{"a target group that does not hold it", "web", "api-tg", nil, "-target-group api-tg: i-0a1b2c3d4e5f60001 is not registered in it; it is in web-tg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := simulator.SeedWorld()
			if tt.change != nil {
				tt.change(w)
			}
			f, err := accountOf(t, w).Facts(context.Background(), tt.source, tt.tg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, %v; want an error with %q", f, err, tt.want)
			}
		})
	}
}
