package scenarios

import (
	"context"
	"errors"
	"github.com/albctl/albctl/internal/testkit"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// relaunchRollout is gatedRollout without keep_old: old members are terminated as they are
// replaced, and a rollback relaunches them from the image they ran (docs/plans.md, "Gates,
// checkpoints and rollback").
func relaunchRollout(gates string) string {
	return strings.Replace(gatedRollout(gates), "    keep_old    = \"until_done\"\n", "", 1)
}

// badBuildSim is the four-member fleet on version 1 whose image web-2 answers 500 to a
// quarter of its requests, with faults set by edit; before are its live instances.
func badBuildSim(t *testing.T, edit func(w *simulator.World)) (sim *simulator.Sim, before map[string]string) {
	t.Helper()
	sim = testkit.NewSim(t, simulator.SeedWorld())
	testkit.ConvergeSim(t, sim, spec(t, "1", 2, 2, ""))
	before, _ = census(t, sim)
	w := sim.World()
	w.ImageBehaviours = append(w.ImageBehaviours, simulator.ImageBehaviour{NameGlob: "web-2", App: &simulator.App{ErrorRate: 0.25}})
	if edit != nil {
		edit(w)
	}
	return testkit.NewSim(t, w), before
}

// imageOf returns the ID of the image named name in the simulator, and the image each live
// instance runs.
func imageOf(sim *simulator.Sim, name string) (id string, runs map[string]string) {
	w := sim.World()
	runs = map[string]string{}
	for _, in := range w.Instances {
		if in.State == "running" || in.State == "pending" {
			runs[in.ID] = in.Image
		}
	}
	for _, im := range w.Images {
		if im.Name == name {
			id = im.ID
		}
	}
	return id, runs
}

// TestGatesWithoutKeepOldRelaunchTheOldMembers: without keep_old, a tripped gate (at 25%,
// one member replaced) and a health timeout (at batch 2: batch 1's old member terminated,
// batch 2's still serving since its replacement never turned healthy) each relaunch every
// old member the rollout terminated (one), from image web-1, register it and wait until it
// is healthy before the new members leave: healthy capacity never falls below the four members
// at any call, the fleet is four members on version 1 again (the relaunched ones new
// instances of web-1), the error says what was relaunched, and a re-plan still shows the
// rollout and warns.
func TestGatesWithoutKeepOldRelaunchTheOldMembers(t *testing.T) {
	slow := func(w *simulator.World) {
		w.ImageBehaviours = nil
		// Only batch 2's launch (after the first gate's bake) boots slowly; the relaunches,
		// five minutes later, boot as usual.
		w.Faults.SlowHealth = []simulator.SlowHealth{{BootTime: clock.Duration(2 * time.Hour), Window: simulator.Window{From: clock.Duration(10 * time.Minute), Until: clock.Duration(14 * time.Minute)}}}
	}
	alarm := func(w *simulator.World) {
		w.Alarms = []simulator.Alarm{{
			Name: "web-5xx", MetricName: "HTTPCode_Target_5XX_Count", Statistic: "Sum",
			Dimensions: map[string]string{"LoadBalancer": dimension(w.LoadBalancers[0].ARN, ":loadbalancer/"), "TargetGroup": dimension(w.TargetGroups[0].ARN, ":")},
			Period:     clock.Duration(time.Minute), EvaluationPeriods: 2, Threshold: 10, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		}}
	}
	for _, tc := range []struct {
		name       string
		edit       func(w *simulator.World)
		gates      string
		err        error
		want       string
		relaunched int
	}{
		{"gate", nil, "    max_5xx_percent = 1", engine.ErrGateTripped, "relaunched", 1},
		{"health timeout", slow, "    max_5xx_percent = 1\n    health_timeout  = \"5m\"", engine.ErrRolledBack, "batch 2: health_timeout", 1},
		// The alarm goes off three minutes into the bake, while the old member still drains
		// (the deregistration delay is five minutes): it is registered again, not relaunched,
		// and its terminate step, held, never runs.
		{"alarm while the old member drains", alarm, `    alarms = ["web-5xx"]`, engine.ErrGateTripped, "registered i-", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, before := badBuildSim(t, tc.edit)
			web1, _ := imageOf(sim, "web-1")
			v2 := spec(t, "2", 2, 2, relaunchRollout(tc.gates))
			p := planFor(t, sim, v2)
			lowest := 4
			// A short propagation bound: a terminate step that saw its member back in service
			// would fail the apply within seconds, unless the rollback holds it.
			opts := engine.Options{Timeouts: engine.Timeouts{Propagation: 10 * time.Second}, AfterPoll: func() { lowest = min(lowest, healthyTargets(t, sim)) }}
			res, err := apply(sim, p, opts)
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "relaunched") != (tc.relaunched > 0) {
				t.Fatalf("apply: %v, want %v at %q naming the relaunches (done %v)", err, tc.err, tc.want, res.Done)
			}
			if lowest < 4 {
				t.Errorf("healthy targets fell to %d; the minimum is 4", lowest)
			}
			after, _ := census(t, sim)
			_, runs := imageOf(sim, "")
			fresh := 0
			for id, v := range after {
				if v != "1" && v != "" {
					t.Errorf("%s on version %q after the rollback", id, v)
				}
				if _, ok := before[id]; !ok {
					fresh++
					if runs[id] != web1 {
						t.Errorf("relaunched %s runs %s, want web-1 (%s)", id, runs[id], web1)
					}
				}
			}
			if len(after) != 4 || fresh != tc.relaunched {
				t.Errorf("after the rollback %d instances, %d of them relaunched; want 4 and %d: %v (before %v)", len(after), fresh, tc.relaunched, after, before)
			}
			if n := healthyTargets(t, sim); n != 4 {
				t.Errorf("%d healthy targets after the rollback, want 4", n)
			}
			// The held terminate is reported as held (never sent), and only then.
			if held := len(res.Held) > 0; held != (tc.relaunched == 0) || !slices.ContainsFunc(res.Held, func(id string) bool { return strings.HasPrefix(id, "terminate_instance.") }) && held {
				t.Errorf("held steps %v, want a terminate step exactly when a draining member was registered again", res.Held)
			}
			if tc.name == "gate" {
				again(t, sim, v2, p, "max_5xx_percent = 1")
			}
		})
	}
}

// interruptedRelaunch applies a relaunching rollout of a bad build and interrupts it once
// the rollback has relaunched the old member: it returns the plan, the relaunched instance
// and the instances before.
func interruptedRelaunch(t *testing.T) (sim *simulator.Sim, v2 *specs.Stack, p *plan.Plan, relaunched string, before map[string]string) {
	t.Helper()
	sim, before = badBuildSim(t, nil)
	v2 = spec(t, "2", 2, 2, relaunchRollout("    max_5xx_percent = 1"))
	p = planFor(t, sim, v2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := engine.Apply(ctx, p, testkit.API(sim), engine.Options{Clock: sim.Clock(), AfterPoll: func() {
		now, _ := census(t, sim)
		for id, v := range now {
			if _, old := before[id]; !old && v == "1" && relaunched == "" {
				relaunched = id
				cancel()
			}
		}
	}})
	if relaunched == "" || !errors.Is(err, context.Canceled) {
		t.Fatalf("apply: %v; relaunched %q, want an interruption after the relaunch", err, relaunched)
	}
	return sim, v2, p, relaunched, before
}

// TestRelaunchRetriedLaunchesNoDuplicate: an apply interrupted once the rollback has
// relaunched the old member, applied again from the same plan, trips the same gate and
// finds the instance it relaunched (the plan's ClientToken) instead of launching another.
func TestRelaunchRetriedLaunchesNoDuplicate(t *testing.T) {
	sim, _, p, relaunched, _ := interruptedRelaunch(t)
	_, err := apply(sim, p, engine.Options{})
	if !errors.Is(err, engine.ErrGateTripped) || !strings.Contains(err.Error(), relaunched) {
		t.Fatalf("apply again: %v, want the gate to trip and relaunch %s again", err, relaunched)
	}
	after, _ := census(t, sim)
	if _, ok := after[relaunched]; !ok || len(after) != 4 {
		t.Errorf("after the second rollback %v, want 4 instances, %s among them", after, relaunched)
	}
	if n := healthyTargets(t, sim); n != 4 {
		t.Errorf("%d healthy targets after the rollback, want 4", n)
	}
}

// TestReplanAfterAnInterruptedRelaunch: "apply again" after the same interruption plans
// afresh. The slot holds the relaunched member (version 1, still pending) and the new one
// (version 2, serving), as an interrupted rollout does; the image is not tagged yet, so the
// re-plan resumes the rollout: it retires the pending member as the slot's old one and puts
// it in every rollback's relaunches. Applied, the bad build trips a gate again, and the fleet
// ends as four healthy members on version 1, capacity never below four: nothing left over.
// (Before the fix in resumedUndo, a pending old member was left out of the rollbacks and the
// slot ended empty.)
func TestReplanAfterAnInterruptedRelaunch(t *testing.T) {
	sim, v2, _, _, _ := interruptedRelaunch(t)
	p := planFor(t, sim, v2)
	lowest := 4
	_, err := apply(sim, p, engine.Options{AfterPoll: func() { lowest = min(lowest, healthyTargets(t, sim)) }})
	if !errors.Is(err, engine.ErrGateTripped) {
		t.Fatalf("apply of the re-plan: %v, want a tripped gate", err)
	}
	if lowest < 4 {
		t.Errorf("healthy targets fell to %d; the minimum is 4", lowest)
	}
	after, _ := census(t, sim)
	for id, v := range after {
		if v != "1" && v != "" {
			t.Errorf("%s on version %q after the rollback", id, v)
		}
	}
	if len(after) != 4 || healthyTargets(t, sim) != 4 {
		t.Errorf("after the rollback %v (%d healthy), want 4 members, all healthy", after, healthyTargets(t, sim))
	}
	if p := planFor(t, sim, v2); count(p, plan.LaunchInstance) != 3 {
		t.Errorf("re-plan after the rollback: %v, want the rollout of the 3 members again", kinds(p))
	}
}
