package engine_test

import (
	"slices"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// TestProgressOnASteadyCadence: a waiting step reports "still waiting" exactly every
// ProgressEvery, however its polls back off (they reach 30 s apart while an image bakes).
func TestProgressOnASteadyCadence(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	p := planFor(t, sim, blogStack(t))
	var times []time.Duration
	if _, err := apply(t, sim, p, engine.Options{ProgressEvery: 10 * time.Second, Events: func(e engine.Event) {
		if e.Type == engine.EventWaiting && e.Step == "create_image.web" {
			times = append(times, e.Elapsed)
		}
	}}); err != nil {
		t.Fatal(err)
	}
	if len(times) < 10 {
		t.Fatalf("only %d progress reports while the image baked: %v", len(times), times)
	}
	for i, d := range times {
		if want := time.Duration(i+1) * 10 * time.Second; d != want {
			t.Fatalf("report %d at %s, want %s (all: %v)", i+1, d, want, times)
		}
	}
}

// A step polled exactly on its report time reports right after that poll, before the steps
// advanced after it in the same pass: the stream is in the order things happened. Two
// one-minute gates end at 09:01:00 exactly, where gate a (its load balancer publishes no
// datapoints) also reports; a's report comes before b's step_done.
func TestProgressReportedRightAfterItsPoll(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	pct := 1.0
	gate := func(id, lb string) plan.Step {
		return plan.Step{ID: id, Kind: plan.Gate, Resource: "fleet " + id, Reason: "r", DependsOn: []string{}, Gate: &plan.GateParams{
			Fleet: id, Batch: 1, Checkpoint: 100, Replaced: 1, Total: 1, TargetGroupARN: simulator.SeedTargetGroup,
			LoadBalancerARNs: []string{lb}, Zones: []string{"ap-northeast-1a"}, Bake: clock.Duration(time.Minute),
			Max5xxPercent: &pct, Version: "1", ImageID: simulator.SeedImage,
		}}
	}
	quiet := "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/quiet/0a1b2c3d4e5f6009"
	var at []string
	if _, err := apply(t, sim, &plan.Plan{Steps: []plan.Step{gate("a", quiet), gate("b", simulator.SeedALB)}}, engine.Options{Events: func(e engine.Event) {
		if e.Elapsed == time.Minute && e.Step != "" {
			at = append(at, string(e.Type)+" "+e.Step)
		}
	}}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"waiting a", "step_done b"}; !slices.Equal(at, want) {
		t.Errorf("events at 1m: %q, want %q", at, want)
	}
}
