package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// The tests of retry.go that apply plans on the simulator, from outside the package
// (retry_test.go holds the internal table tests): which errors are retried, for how long.

// unknownToELB answers InvalidTarget to the first n RegisterTargets calls, as ELB does for an
// instance EC2 launched moments ago and ELB does not know yet.
type unknownToELB struct {
	cloud.ELBV2
	n int
}

func (e *unknownToELB) RegisterTargets(ctx context.Context, in *elbv2.RegisterTargetsInput, o ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error) {
	if e.n > 0 {
		e.n--
		return nil, &smithy.GenericAPIError{Code: "InvalidTarget", Message: "The following targets are not valid instances: " + aws.ToString(in.Targets[0].Id)}
	}
	return e.ELBV2.RegisterTargets(ctx, in, o...)
}

// TestInvalidTargetRetriedOnlyForNewInstances: InvalidTarget from RegisterTargets is eventual
// consistency for an instance this apply launched, and retried; for one that existed at plan
// time it is a fact (stopped, another VPC) and fails the step at once.
func TestInvalidTargetRetriedOnlyForNewInstances(t *testing.T) {
	t.Parallel()
	t.Run("launched here", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		p := planFor(t, sim, blogStack(t))
		api := testkit.API(sim)
		api.ELBV2 = &unknownToELB{ELBV2: api.ELBV2, n: 2}
		res, err := engine.Apply(context.Background(), p, api, engine.Options{Clock: sim.Clock()})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if len(res.NotDone) != 0 {
			t.Errorf("not done %v", res.NotDone)
		}
	})
	t.Run("known at plan time", func(t *testing.T) {
		fw := newFleetWorld(t)
		m := fw.members[0]
		if _, err := fw.sim.ELBV2().DeregisterTargets(context.Background(), &elbv2.DeregisterTargetsInput{
			TargetGroupArn: aws.String(simulator.SeedTargetGroup), Targets: []elbtypes.TargetDescription{{Id: aws.String(m.ID), Port: aws.Int32(80)}},
		}); err != nil {
			t.Fatal(err)
		}
		api := testkit.API(fw.sim)
		api.ELBV2 = &unknownToELB{ELBV2: api.ELBV2, n: 1}
		p := &plan.Plan{Steps: []plan.Step{{ID: "register_target.x", Kind: plan.RegisterTarget,
			Target: &plan.TargetParams{TargetGroupARN: simulator.SeedTargetGroup, InstanceID: m.ID, Port: 80}}}}
		_, err := engine.Apply(context.Background(), p, api, engine.Options{Clock: fw.sim.Clock()})
		if cloud.ErrorCode(err) != "InvalidTarget" {
			t.Fatalf("apply = %v, want InvalidTarget at once", err)
		}
	})
}

// TestDrainingWaitSurvivesThrottling: a throttled DescribeTargetHealth while a terminate waits
// for draining is retried like any other call, not fatal.
func TestDrainingWaitSurvivesThrottling(t *testing.T) {
	t.Parallel()
	fw := newFleetWorld(t)
	sim := testkit.NewSim(t, fw.sim.World(), simulator.WithFaults(simulator.Faults{Throttle: map[string]int{"DescribeTargetHealth": 3}}))
	old := fw.members[0]
	steps := replace(old, 1, nil)[2:]
	steps[0].DependsOn = nil
	if _, err := apply(t, sim, &plan.Plan{Steps: steps}, engine.Options{}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if st := instanceState(t, sim, old.ID); st != "shutting-down" && st != "terminated" {
		t.Errorf("%s is %s", old.ID, st)
	}
}

// A run of retryable errors fails once more than its bound has passed since the first, not
// when the bound is reached: CreateImage throttled at every call, with a 5s bound, is tried
// at 0s, 5s (exactly the bound: tried again) and 12.5s, where the step fails.
func TestRetriesStopOnlyPastTheirBound(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	calls := 0
	api := cloud.Intercept(testkit.API(sim), func(ctx context.Context, op string, call func(context.Context) error) error {
		if op == "CreateImage" {
			calls++
			return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
		}
		return call(ctx)
	})
	step := plan.Step{ID: "create_image.web-b", Kind: plan.CreateImage, Resource: "image web-b", Reason: "r", DependsOn: []string{},
		Image: &plan.ImageParams{SourceInstanceID: simulator.SeedInstance, Name: "web-b", NoReboot: true, Tags: map[string]string{"Name": "web-b"}}}
	start := sim.Clock().Now()
	_, err := engine.Apply(context.Background(), &plan.Plan{Steps: []plan.Step{step}}, api, engine.Options{Clock: sim.Clock(), Timeouts: engine.Timeouts{Propagation: 5 * time.Second}})
	if !errors.Is(err, engine.ErrTimeout) || !strings.Contains(err.Error(), "Throttling") {
		t.Fatalf("apply: %v, want the retries to run out", err)
	}
	if got := sim.Clock().Now().Sub(start); calls != 3 || got != 12500*time.Millisecond {
		t.Errorf("%d CreateImage calls, the last %s after the first; want 3, the last 12.5s after", calls, got)
	}
}
