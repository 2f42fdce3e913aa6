package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// TestScaleInDrainsThenTerminatesThenTrims: dropping the zone of a member deregisters it,
// waits out its draining (the deregistration delay, 300 s), terminates it, and trims the zone
// from the ALB only then. Every step names the member by its readable name.
func TestScaleInDrainsThenTerminatesThenTrims(t *testing.T) {
	t.Parallel()
	// web-sg admits the whole VPC: the 1c node must reach the member there, or the plan
	// refuses the zone (docs/design.md, "Zones and reachability").
	w := simulator.SeedWorld()
	for i := range w.SecurityGroups {
		if w.SecurityGroups[i].ID == simulator.SeedWebSG {
			w.SecurityGroups[i].Ingress = &[]simulator.IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.0.0/16"}}}
		}
	}
	sim := testkit.NewSim(t, w)
	testkit.ConvergeSim(t, sim, spec(t, "1", 1, 1, `  zone "ap-northeast-1c" { count = 1 }`))
	if n := healthyTargets(t, sim); n != 3 {
		t.Fatalf("%d healthy targets before the scale-in, want 3", n)
	}
	two := spec(t, "1", 1, 1, "")
	p := planFor(t, sim, two)
	if got := strings.Join(kinds(p), " "); got != "deregister_target terminate_instance trim_zones" {
		t.Fatalf("plan = %s", got)
	}
	for _, s := range p.Steps[:2] {
		if !strings.Contains(s.Resource, "web-1c-1") {
			t.Errorf("%s names %q, not web-1c-1", s.ID, s.Resource)
		}
	}
	done := map[string]time.Time{}
	started := map[string]time.Time{}
	_, err := apply(sim, p, engine.Options{Events: func(e engine.Event) {
		switch e.Type {
		case engine.EventDone:
			done[e.Kind] = e.Time
		case engine.EventStarted:
			started[e.Kind] = e.Time
		}
	}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if d := done["terminate_instance"].Sub(done["deregister_target"]); d < 300*time.Second {
		t.Errorf("terminated %s after the deregistration: it must drain for the 300 s delay first", d)
	}
	if started["trim_zones"].Before(done["terminate_instance"]) {
		t.Errorf("trim started at %s, before the member was terminated at %s", started["trim_zones"], done["terminate_instance"])
	}
	if n := healthyTargets(t, sim); n != 2 {
		t.Errorf("%d healthy targets after, want 2", n)
	}
	if p := planFor(t, sim, two); !p.Empty() {
		t.Errorf("re-plan: %v", kinds(p))
	}
}
