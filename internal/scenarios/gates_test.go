package scenarios

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// gatedRollout is the rollout block of the gate scenarios, with the given gate lines.
func gatedRollout(gates string) string {
	return `  rollout {
    bake_time   = "5m"
    checkpoints = [25, 50, 100]
    keep_old    = "until_done"
` + gates + `
  }`
}

// TestGatesRollBackABadBuild: a four-member fleet (the source and three more) is rolled onto
// image version 2 with gates. A build that answers 500 to a quarter of its requests, a slow
// build, and a build that sets off a named alarm each stop the rollout at its first
// checkpoint (25%: one member replaced); the fleet is back on version 1, healthy capacity
// never fell below the four members at any call, the error names the gate and its figures,
// and the image carries the rollback. A good build passes every gate.
func TestGatesRollBackABadBuild(t *testing.T) {
	t.Parallel()
	slow := simulator.Latency{P50: clock.Duration(600 * time.Millisecond), P95: clock.Duration(2 * time.Second)}
	for _, tc := range []struct {
		name  string
		app   *simulator.App
		old   *simulator.App // the app of the fleet before the rollout (nil: serves)
		gates string
		want  []string // in the error; none: the rollout completes
	}{
		{"error rate", &simulator.App{ErrorRate: 0.25}, nil, "    max_5xx_percent = 1", []string{"max_5xx_percent = 1", "% 5xx", "before the rollout 0.00%", "checkpoint 25%"}},
		{"slow", &simulator.App{Latency: slow}, nil, `    max_p95_latency = "800ms"`, []string{"max_p95_latency = 800ms", "p95 1.", "before the rollout 60ms", "checkpoint 25%"}},
		{"alarm", &simulator.App{ErrorRate: 0.25}, nil, `    alarms = ["web-5xx"]`, []string{"alarm web-5xx", "Threshold Crossed", "checkpoint 25%"}},
		// A fleet that already failed as much is not blamed on the new image.
		{"already failing", nil, &simulator.App{ErrorRate: 0.25}, "    max_5xx_percent = 1", nil},
		{"good", nil, nil, "    max_5xx_percent = 1\n    max_p95_latency = \"800ms\"\n    alarms = [\"web-5xx\"]", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := testkit.NewSim(t, simulator.SeedWorld())
			testkit.ConvergeSim(t, sim, spec(t, "1", 2, 2, ""))
			before, _ := census(t, sim)
			w := sim.World()
			for i := range w.Instances {
				w.Instances[i].App = tc.old // a baked image inherits its source's app
			}
			if tc.app != nil {
				w.ImageBehaviours = append(w.ImageBehaviours, simulator.ImageBehaviour{NameGlob: "web-2", App: tc.app})
			}
			w.Alarms = []simulator.Alarm{{
				Name: "web-5xx", MetricName: "HTTPCode_Target_5XX_Count", Statistic: "Sum",
				Dimensions: map[string]string{"LoadBalancer": dimension(w.LoadBalancers[0].ARN, ":loadbalancer/"), "TargetGroup": dimension(w.TargetGroups[0].ARN, ":")},
				Period:     clock.Duration(time.Minute), EvaluationPeriods: 2, Threshold: 10, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching",
			}}
			sim = testkit.NewSim(t, w)

			v2 := spec(t, "2", 2, 2, gatedRollout(tc.gates))
			p := planFor(t, sim, v2)
			if n := count(p, plan.Gate); n != 3 {
				t.Fatalf("%d gates, want 3 (25, 50, 100%%): %v", n, kinds(p))
			}
			lowest := 4
			res, err := apply(sim, p, engine.Options{AfterPoll: func() { lowest = min(lowest, healthyTargets(t, sim)) }})
			if lowest < 4 {
				t.Errorf("healthy targets fell to %d; the minimum is 4", lowest)
			}
			after, _ := census(t, sim)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("a good build: %v", err)
				}
				for id, v := range after {
					if v != "2" && v != "" {
						t.Errorf("%s still on %q after the rollout", id, v)
					}
				}
				if len(after) != 4 {
					t.Errorf("%d instances after the rollout, want 4", len(after))
				}
				return
			}
			if !errors.Is(err, engine.ErrGateTripped) {
				t.Fatalf("apply: %v, want a tripped gate (done %v)", err, res.Done)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
			if len(after) != len(before) {
				t.Errorf("instances after the rollback: %v, want the old fleet %v", after, before)
			}
			for id := range after {
				if _, ok := before[id]; !ok {
					t.Errorf("new member %s still runs after the rollback", id)
				}
			}
			if n := healthyTargets(t, sim); n != 4 {
				t.Errorf("%d healthy targets after the rollback, want the 4 old members", n)
			}
			if tag := rolledBackTag(sim, "web-2"); !strings.Contains(tag, strings.Fields(tc.want[0])[0]) {
				t.Errorf("image web-2 tag %s = %q, want the gate", cloud.TagRolledBack, tag)
			}
			again(t, sim, v2, p, tc.want[0])
		})
	}
}

// again re-plans after a rollback: the rollout is still to do, the plan warns that the
// version was rolled back and by which gate, and its launches have new ClientTokens, so that
// applying it tries again (and trips the same gate) rather than finding the members the
// rollback terminated.
func again(t *testing.T, sim *simulator.Sim, v2 *specs.Stack, first *plan.Plan, gate string) {
	t.Helper()
	p := planFor(t, sim, v2)
	if count(p, plan.LaunchInstance) != 3 || count(p, plan.Gate) != 3 {
		t.Fatalf("re-plan after the rollback: %v", kinds(p))
	}
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "was rolled back by a gate") || !strings.Contains(w, gate) {
		t.Errorf("re-plan warnings do not name the rollback and %q:\n%s", gate, w)
	}
	tokens := map[string]bool{}
	for _, s := range first.Steps {
		if s.Launch != nil {
			tokens[s.Launch.ClientToken] = true
		}
	}
	for _, s := range p.Steps {
		if s.Launch != nil && tokens[s.Launch.ClientToken] {
			t.Errorf("%s reuses the first attempt's ClientToken", s.ID)
		}
	}
	if _, err := apply(sim, p, engine.Options{}); !errors.Is(err, engine.ErrGateTripped) || !strings.Contains(err.Error(), gate) {
		t.Errorf("second attempt: %v, want the same gate to trip", err)
	}
}

func dimension(arn, sep string) string {
	return arn[strings.LastIndex(arn, sep)+len(sep):]
}

func rolledBackTag(sim *simulator.Sim, name string) string {
	for _, im := range sim.World().Images {
		if im.Name == name {
			return im.Tags[cloud.TagRolledBack]
		}
	}
	return ""
}

// TestHealthTimeoutRollsBackTheFleet: in a rollout with gates, a member of the second batch
// that never turns healthy (its launch falls in a slow-health fault) rolls the whole fleet
// back, the first batch included, as a tripped gate does: capacity never below four, every
// member back on version 1, the image tagged.
func TestHealthTimeoutRollsBackTheFleet(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	testkit.ConvergeSim(t, sim, spec(t, "1", 2, 2, ""))
	before, _ := census(t, sim)
	w := sim.World()
	w.Faults.SlowHealth = []simulator.SlowHealth{{BootTime: clock.Duration(2 * time.Hour), Window: simulator.Window{From: clock.Duration(10 * time.Minute), Until: clock.Duration(20 * time.Minute)}}}
	sim = testkit.NewSim(t, w)

	v2 := spec(t, "2", 2, 2, gatedRollout("    max_5xx_percent = 1\n    health_timeout  = \"5m\""))
	p := planFor(t, sim, v2)
	lowest := 4
	res, err := apply(sim, p, engine.Options{AfterPoll: func() { lowest = min(lowest, healthyTargets(t, sim)) }})
	if !errors.Is(err, engine.ErrRolledBack) || !strings.Contains(err.Error(), "batch 2: health_timeout") {
		t.Fatalf("apply: %v, want the fleet rolled back at batch 2 (done %v)", err, res.Done)
	}
	if !slices.Contains(res.Done, "gate.web.batch-1") {
		t.Fatalf("the first gate did not pass before the timeout: done %v", res.Done)
	}
	if lowest < 4 {
		t.Errorf("healthy targets fell to %d; the minimum is 4", lowest)
	}
	after, _ := census(t, sim)
	if !slices.Equal(slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before))) {
		t.Errorf("instances after the rollback %v, want the old fleet %v", after, before)
	}
	if n := healthyTargets(t, sim); n != 4 {
		t.Errorf("%d healthy targets after the rollback, want the 4 old members", n)
	}
	if tag := rolledBackTag(sim, "web-2"); !strings.Contains(tag, "health_timeout") {
		t.Errorf("image web-2 tag %q, want the health timeout", tag)
	}
}

// TestRollbackStandsWhenTheImageRefusesTheTag: an image the account may not tag (one baked
// elsewhere) does not undo the rollback: apply still fails naming the gate, and says the
// image was not tagged.
func TestRollbackStandsWhenTheImageRefusesTheTag(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	testkit.ConvergeSim(t, sim, spec(t, "1", 2, 2, ""))
	w := sim.World()
	w.ImageBehaviours = append(w.ImageBehaviours, simulator.ImageBehaviour{NameGlob: "web-2", App: &simulator.App{ErrorRate: 0.25}})
	sim = testkit.NewSim(t, w)
	p := planFor(t, sim, spec(t, "2", 2, 2, gatedRollout("    max_5xx_percent = 1")))
	api := testkit.API(sim)
	api.EC2 = refuseImageTags{api.EC2}
	_, err := engine.Apply(context.Background(), p, api, engine.Options{Clock: sim.Clock()})
	if !errors.Is(err, engine.ErrGateTripped) || !strings.Contains(err.Error(), "max_5xx_percent = 1") || !strings.Contains(err.Error(), "the image was not tagged albctl:rolled-back") {
		t.Fatalf("apply: %v", err)
	}
	if n := healthyTargets(t, sim); n != 4 {
		t.Errorf("%d healthy targets after the rollback, want the 4 old members", n)
	}
}

// TestInterruptedGatedRolloutStillRollsBack: an apply stopped after the first gate passed
// leaves slot web-1a-1 replaced, its old member out of service but running. The re-plan keeps
// that old member until the last gate and puts it in every rollback; when a later member
// never turns healthy, the whole fleet, the slot replaced before the interruption included,
// goes back to version 1.
func TestInterruptedGatedRolloutStillRollsBack(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	testkit.ConvergeSim(t, sim, spec(t, "1", 2, 2, ""))
	before, _ := census(t, sim)
	v2 := spec(t, "2", 2, 2, gatedRollout("    max_5xx_percent = 1\n    health_timeout  = \"5m\""))
	p := planFor(t, sim, v2)
	k := slices.IndexFunc(p.Steps, func(s plan.Step) bool { return s.ID == "gate.web.batch-1" })
	if _, err := apply(sim, p, engine.Options{StopAfter: k + 1}); !errors.Is(err, engine.ErrStopped) {
		t.Fatalf("stop after the first gate: %v", err)
	}
	w := sim.World()
	w.Faults.SlowHealth = []simulator.SlowHealth{{BootTime: clock.Duration(2 * time.Hour), Window: simulator.Window{Until: clock.Duration(time.Hour)}}}
	sim = testkit.NewSim(t, w)

	p = planFor(t, sim, v2)
	for _, s := range p.Steps {
		if s.Kind == plan.TerminateInstance && !slices.ContainsFunc(s.DependsOn, func(d string) bool { return strings.HasPrefix(d, "gate.") }) {
			t.Errorf("%s does not wait for a gate: %v", s.ID, s.DependsOn)
		}
	}
	lowest := 4
	_, err := apply(sim, p, engine.Options{AfterPoll: func() { lowest = min(lowest, healthyTargets(t, sim)) }})
	if !errors.Is(err, engine.ErrRolledBack) || !strings.Contains(err.Error(), "health_timeout") {
		t.Fatalf("apply after the interruption: %v", err)
	}
	if lowest < 4 {
		t.Errorf("healthy targets fell to %d; the minimum is 4", lowest)
	}
	after, _ := census(t, sim)
	if !slices.Equal(slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before))) {
		t.Errorf("instances after the rollback %v, want the old fleet %v", after, before)
	}
	if n := healthyTargets(t, sim); n != 4 {
		t.Errorf("%d healthy targets after the rollback, want the 4 old members", n)
	}
}

// refuseImageTags refuses CreateTags on images, as AWS does for an image the account may not
// tag; the snapshots of the image apply bakes are still tagged (docs/security.md).
type refuseImageTags struct{ cloud.EC2 }

func (r refuseImageTags) CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	for _, id := range in.Resources {
		if strings.HasPrefix(id, "ami-") {
			return nil, &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}
		}
	}
	return r.EC2.CreateTags(ctx, in, opts...)
}

// TestGatesCostABakePerCheckpoint: a good build passes its gates at the cost of the bake
// windows alone. The gated rollout (checkpoints at 25, 50 and 100%, bake_time 5m, every kind of
// gate) ends within one bake window per checkpoint of the same rollout without gates, in
// simulated time, which is deterministic.
func TestGatesCostABakePerCheckpoint(t *testing.T) {
	t.Parallel()
	const checkpoints, bake = 3, 5 * time.Minute
	good := "    max_5xx_percent = 1\n    max_p95_latency = \"800ms\"\n    alarms = [\"web-5xx\"]"
	ungated := `  rollout {
    keep_old = "until_done"
  }`
	elapsed := map[string]time.Duration{}
	for name, rollout := range map[string]string{"gated": gatedRollout(good), "ungated": ungated} {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		testkit.ConvergeSim(t, sim, spec(t, "1", 2, 2, ""))
		w := sim.World()
		w.Alarms = []simulator.Alarm{{
			Name: "web-5xx", MetricName: "HTTPCode_Target_5XX_Count", Statistic: "Sum",
			Dimensions: map[string]string{"LoadBalancer": dimension(w.LoadBalancers[0].ARN, ":loadbalancer/"), "TargetGroup": dimension(w.TargetGroups[0].ARN, ":")},
			Period:     clock.Duration(time.Minute), EvaluationPeriods: 2, Threshold: 10, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		}}
		sim = testkit.NewSim(t, w)
		res, err := apply(sim, planFor(t, sim, spec(t, "2", 2, 2, rollout)), engine.Options{})
		if err != nil {
			t.Fatalf("%s rollout: %v", name, err)
		}
		elapsed[name] = res.Elapsed()
	}
	g, u := elapsed["gated"], elapsed["ungated"]
	if g > u+checkpoints*bake || g < u {
		t.Errorf("gated rollout %s, ungated %s: want the gated one within %d bake windows (%s) above the other", g, u, checkpoints, checkpoints*bake)
	}
	t.Logf("gated %s, ungated %s, difference %s (allowed %s)", g, u, g-u, checkpoints*bake)
}
