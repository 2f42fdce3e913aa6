package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// TestRolloutKeepsCapacity: a version bump on a converged fleet of 2 and of 4 replaces every
// member but the source, and healthy serving capacity never falls below the desired count
// (min_healthy_percent = 100, the default) at any call of the apply.
func TestRolloutKeepsCapacity(t *testing.T) {
	t.Parallel()
	for _, size := range []struct{ a, d int }{{1, 1}, {2, 2}} {
		t.Run(fmt.Sprintf("%d members", size.a+size.d), func(t *testing.T) {
			sim := testkit.NewSim(t, simulator.SeedWorld())
			testkit.ConvergeSim(t, sim, spec(t, "1", size.a, size.d, ""))
			src := sourceID(t, sim)
			before, _ := census(t, sim)

			v2 := spec(t, "2", size.a, size.d, "")
			p := planFor(t, sim, v2)
			replaced := size.a + size.d - 1
			if count(p, plan.CreateImage) != 1 || count(p, plan.LaunchInstance) != replaced || count(p, plan.TerminateInstance) != replaced {
				t.Fatalf("plan = %v", kinds(p))
			}
			desired := size.a + size.d
			lowest, highest := desired, 0
			res, err := apply(sim, p, engine.Options{AfterPoll: func() {
				n := healthyTargets(t, sim)
				lowest, highest = min(lowest, n), max(highest, n)
			}})
			if err != nil {
				t.Fatalf("apply: %v (done %v)", err, res.Done)
			}
			if lowest < desired {
				t.Errorf("healthy targets fell to %d during the rollout; the minimum is %d", lowest, desired)
			}
			if highest > desired+1 {
				t.Errorf("healthy targets rose to %d: max_surge is 1 above %d", highest, desired)
			}
			after, _ := census(t, sim)
			if _, ok := after[src]; !ok {
				t.Errorf("the source %s was terminated", src)
			}
			for id, v := range after {
				if id != src && v != "2" {
					t.Errorf("%s still runs version %q", id, v)
				}
				if id != src && before[id] != "" {
					t.Errorf("%s from before the rollout is still there", id)
				}
			}
			if len(after) != desired {
				t.Errorf("%d instances after the rollout, want %d", len(after), desired)
			}
			if p := planFor(t, sim, v2); !p.Empty() {
				t.Errorf("re-plan after the rollout: %v", kinds(p))
			}
		})
	}
}

// TestInterruptedRolloutResumes stops the rollout after every step k and re-runs it: it always
// converges with the same number of instances and images as an uninterrupted run.
func TestInterruptedRolloutResumes(t *testing.T) {
	t.Parallel()
	setup := func() *simulator.Sim {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		testkit.ConvergeSim(t, sim, spec(t, "1", 2, 2, ""))
		return sim
	}
	ref := setup()
	testkit.ConvergeSim(t, ref, spec(t, "2", 2, 2, ""))
	wantInstances, wantImages := census(t, ref)
	steps := len(planFor(t, setup(), spec(t, "2", 2, 2, "")).Steps)
	for k := 1; k < steps; k++ {
		sim := setup()
		v2 := spec(t, "2", 2, 2, "")
		if _, err := apply(sim, planFor(t, sim, v2), engine.Options{StopAfter: k}); err == nil {
			t.Fatalf("k=%d: StopAfter did not stop", k)
		}
		testkit.ConvergeSim(t, sim, v2)
		got, images := census(t, sim)
		if len(got) != len(wantInstances) || images != wantImages {
			t.Errorf("k=%d: %d instances and %d images, want %d and %d", k, len(got), images, len(wantInstances), wantImages)
		}
		for id, v := range got {
			if v != "2" && v != "" {
				t.Errorf("k=%d: %s runs %q", k, id, v)
			}
		}
	}
}

// TestBrokenImageRollsBack: the new image's app fails its health checks; with auto_rollback
// the new member is deregistered and terminated, the old members keep serving, and apply
// fails saying so.
func TestBrokenImageRollsBack(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	testkit.ConvergeSim(t, sim, spec(t, "1", 1, 2, ""))
	before, _ := census(t, sim)
	w := sim.World()
	w.ImageBehaviours = append(w.ImageBehaviours, simulator.ImageBehaviour{NameGlob: "web-2", App: &simulator.App{Health: "fails", StatusCode: 500}})
	sim = testkit.NewSim(t, w)

	v2 := spec(t, "2", 1, 2, "  rollout { health_timeout = \"5m\" }")
	res, err := apply(sim, planFor(t, sim, v2), engine.Options{})
	if err == nil {
		t.Fatal("apply of a broken image succeeded")
	}
	for _, want := range []string{"rolled back", "old members"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if slices.ContainsFunc(res.Done, func(id string) bool { return strings.HasPrefix(id, "deregister_target") }) {
		t.Errorf("an old member left service: done %v", res.Done)
	}
	after, _ := census(t, sim)
	if !slices.Equal(slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before))) {
		t.Errorf("instances after the rollback %v, want the old fleet %v", after, before)
	}
	if n := healthyTargets(t, sim); n != 3 {
		t.Errorf("%d healthy targets after the rollback, want the 3 old ones", n)
	}
}
