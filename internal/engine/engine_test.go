package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

var _ clock.Clock = (*simulator.Clock)(nil)

func blogStack(t *testing.T) *specs.Stack {
	t.Helper()
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatalf("load example: %v", diags)
	}
	return s
}

// planFor observes the simulator and plans the stack against it.
func planFor(t *testing.T, sim *simulator.Sim, s *specs.Stack) *plan.Plan {
	t.Helper()
	return testkit.Plan(t, testkit.API(sim), s)
}

func apply(t *testing.T, sim *simulator.Sim, p *plan.Plan, opts engine.Options) (*engine.Result, error) {
	t.Helper()
	return testkit.Apply(t, testkit.API(sim), sim.Clock(), p, opts)
}

// census counts the live instances and the images albctl's fleet made.
func census(t *testing.T, sim *simulator.Sim) (instances, images int) {
	t.Helper()
	ctx := context.Background()
	out, err := sim.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Reservations {
		instances += len(r.Instances)
	}
	im, err := sim.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	return instances, len(im.Images)
}

func TestApplySeedConverges(t *testing.T) {
	sim := testkit.NewSim(t, simulator.SeedWorld())
	s := blogStack(t)
	p := planFor(t, sim, s)
	res, err := apply(t, sim, p, engine.Options{})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(res.Done) != len(p.Steps) || len(res.NotDone) != 0 {
		t.Fatalf("done %v, not done %v", res.Done, res.NotDone)
	}
	if again := planFor(t, sim, s); !again.Empty() {
		t.Fatalf("after apply, plan still has %d steps: %+v", len(again.Steps), again.Steps)
	}
	// Baking an image (minutes) dominates; health checks add 5 x 30s.
	if e := res.Elapsed(); e < 5*time.Minute || e > 20*time.Minute {
		t.Errorf("simulated elapsed %s is not plausible", e)
	}
	in, im := census(t, sim)
	if in != 2 || im != 2 {
		t.Errorf("census: %d instances, %d images; want 2 and 2 (old AMI + baked)", in, im)
	}
}

// TestCrashAfterEveryStep stops the engine after k completed steps, for every k, as a crash
// would, then re-plans and re-applies: the world must converge with exactly one new image
// and one new instance.
func TestCrashAfterEveryStep(t *testing.T) {
	s := blogStack(t)
	n := len(planFor(t, testkit.NewSim(t, simulator.SeedWorld()), s).Steps)
	for k := 1; k < n; k++ {
		t.Run(fmt.Sprintf("after_%d", k), func(t *testing.T) {
			sim := testkit.NewSim(t, simulator.SeedWorld())
			_, err := apply(t, sim, planFor(t, sim, s), engine.Options{StopAfter: k})
			if !errors.Is(err, engine.ErrStopped) {
				t.Fatalf("apply with StopAfter %d: %v", k, err)
			}
			testkit.ConvergeSim(t, sim, s)
			if in, im := census(t, sim); in != 2 || im != 2 {
				t.Errorf("census: %d instances, %d images; want 2 and 2", in, im)
			}
		})
	}
}

// TestInterruptMidWait cancels the context while a step waits (as Ctrl-C does); the in-flight
// call finishes, the run reports what is left, and a re-run converges without duplicates.
func TestInterruptMidWait(t *testing.T) {
	for _, waitingOn := range []plan.Kind{plan.CreateImage, plan.LaunchInstance, plan.RegisterTarget} {
		t.Run(string(waitingOn), func(t *testing.T) {
			sim := testkit.NewSim(t, simulator.SeedWorld())
			s := blogStack(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res, err := engine.Apply(ctx, planFor(t, sim, s), testkit.API(sim), engine.Options{
				Clock:         sim.Clock(),
				ProgressEvery: time.Second,
				Events: func(e engine.Event) {
					if e.Type == engine.EventWaiting && e.Kind == string(waitingOn) {
						cancel()
					}
				},
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("apply: %v", err)
			}
			if len(res.NotDone) == 0 {
				t.Fatalf("an interrupted run must leave something not done")
			}
			testkit.ConvergeSim(t, sim, s)
			if in, im := census(t, sim); in != 2 || im != 2 {
				t.Errorf("census: %d instances, %d images; want 2 and 2", in, im)
			}
		})
	}
}

// TestSurvivesAWSFaults: throttling, a new instance not yet visible, and an IAM profile not
// yet propagated are retried, not fatal.
func TestSurvivesAWSFaults(t *testing.T) {
	s := blogStack(t)
	// Plan on a calm world; the faults hit the apply (against AWS the SDK's own retryer
	// absorbs throttling during observation).
	calm := testkit.NewSim(t, simulator.SeedWorld())
	p := planFor(t, calm, s)
	sim := testkit.NewSim(t, calm.World(), simulator.WithFaults(simulator.Faults{
		Throttle: map[string]int{
			"CreateImage": 2, "RunInstances": 3, "DescribeInstances": 2, "RegisterTargets": 2,
			"ModifyTargetGroupAttributes": 1, "SetSubnets": 2, "DescribeTargetHealth": 2,
		},
		InstanceVisibilityDelay: clock.Duration(20 * time.Second),
	}))
	var retries []string
	res, err := apply(t, sim, p, engine.Options{Events: func(e engine.Event) {
		if e.Type == engine.EventRetry {
			retries = append(retries, e.Step+": "+e.Message)
		}
	}})
	if err != nil {
		t.Fatalf("apply: %v (retries %v)", err, retries)
	}
	if len(retries) < 5 {
		t.Errorf("expected the faults to cause retries, got %v", retries)
	}
	if again := planFor(t, sim, s); !again.Empty() {
		t.Fatalf("not converged: %v", again.Steps)
	}
	_ = res
}

// withProfile returns p with every launch (and its validation) using profile instead: the
// planner refuses a profile that differs from the source's, but the engine acts on the typed
// fields alone, so a hand-edited plan tests what it does with a profile EC2 does not know yet.
func withProfile(p *plan.Plan, profile string) *plan.Plan {
	for i := range p.Steps {
		if l := p.Steps[i].Launch; l != nil {
			l.IAMProfile = profile
		}
	}
	return p
}

// A profile created moments ago is unknown to EC2 for a while (InvalidParameterValue): the
// engine asks IAM when it was created and retries within the propagation bound.
func TestProfilePropagation(t *testing.T) {
	w := simulator.SeedWorld()
	sim := testkit.NewSim(t, w, simulator.WithFaults(simulator.Faults{ProfilePropagationDelay: clock.Duration(90 * time.Second)}))
	sim.CreateInstanceProfile("web-app-v2")
	p := withProfile(planFor(t, sim, blogStack(t)), "web-app-v2")
	var retries []string
	res, err := apply(t, sim, p, engine.Options{Events: func(e engine.Event) {
		if e.Type == engine.EventRetry {
			retries = append(retries, e.Message)
		}
	}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(res.NotDone) != 0 {
		t.Fatalf("not done: %v", res.NotDone)
	}
	if len(retries) == 0 || !strings.Contains(retries[0], "InvalidParameterValue") {
		t.Errorf("retries = %q, want retries after InvalidParameterValue", retries)
	}
}

// An InvalidParameterValue about another parameter fails at once even while the launch's
// profile is new: a DryRun of the same launch without the profile is refused too.
func TestNewProfileDoesNotHideABadParameter(t *testing.T) {
	sim := testkit.NewSim(t, simulator.SeedWorld(), simulator.WithFaults(simulator.Faults{ProfilePropagationDelay: clock.Duration(90 * time.Second)}))
	sim.CreateInstanceProfile("web-app-v2")
	p := withProfile(planFor(t, sim, blogStack(t)), "web-app-v2")
	for i := range p.Steps {
		if l := p.Steps[i].Launch; l != nil {
			l.InstanceType = "t3.huge-nope"
		}
	}
	sim.ResetCalls()
	res, err := apply(t, sim, p, engine.Options{})
	if err == nil || cloud.ErrorCode(err) != "InvalidParameterValue" {
		t.Fatalf("apply = %v, want InvalidParameterValue at once", err)
	}
	// The validation, then one DryRun without the profile that shows the type is at fault.
	if c := sim.Calls(); c["RunInstances"] != 2 || c["CreateImage"] != 0 {
		t.Errorf("calls = %v; want two RunInstances (validation and probe) and no CreateImage", c)
	}
	if res.Elapsed() != 0 {
		t.Errorf("failed after %s; want at once", res.Elapsed())
	}
}

// A profile exactly as old as the propagation bound is not new any more: its launch's
// InvalidParameterValue fails at once, without the DryRun probe a new profile is worth.
func TestProfileAsOldAsTheBoundIsNotProbed(t *testing.T) {
	sim := testkit.NewSim(t, simulator.SeedWorld(), simulator.WithFaults(simulator.Faults{ProfilePropagationDelay: clock.Duration(90 * time.Second)}))
	sim.CreateInstanceProfile("web-app-v2")
	sim.Clock().Advance(5 * time.Minute) // the default propagation bound
	p := withProfile(planFor(t, sim, blogStack(t)), "web-app-v2")
	for i := range p.Steps {
		if l := p.Steps[i].Launch; l != nil {
			l.InstanceType = "t3.huge-nope"
		}
	}
	sim.ResetCalls()
	_, err := apply(t, sim, p, engine.Options{})
	if err == nil || cloud.ErrorCode(err) != "InvalidParameterValue" {
		t.Fatalf("apply = %v, want InvalidParameterValue at once", err)
	}
	if c := sim.Calls(); c["RunInstances"] != 1 {
		t.Errorf("calls = %v; want one RunInstances (the validation), no probe", c)
	}
}

// A profile IAM does not know is permanent: the first call that names it fails its step, and
// since the launch is validated before the image is baked, the source is never rebooted.
func TestPersistentErrorFails(t *testing.T) {
	sim := testkit.NewSim(t, simulator.SeedWorld())
	p := withProfile(planFor(t, sim, blogStack(t)), "no-such-profile")
	sim.ResetCalls()
	res, err := apply(t, sim, p, engine.Options{})
	if err == nil || !strings.Contains(err.Error(), "InvalidParameterValue") {
		t.Fatalf("apply = %v, want the AWS error at once", err)
	}
	if !strings.HasPrefix(res.Failed, "validate_launch.") {
		t.Errorf("failed step = %q, want the validation", res.Failed)
	}
	calls := sim.Calls()
	if calls["RunInstances"] != 1 || calls["CreateImage"] != 0 || calls["GetInstanceProfile"] != 1 {
		t.Errorf("calls = %v; want one RunInstances (DryRun), one GetInstanceProfile, no CreateImage", calls)
	}
}

// TestWaitsOverlap: launching 20 takes about as long as launching one.
func TestWaitsOverlap(t *testing.T) {
	elapsed := func(k int) time.Duration {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		s := blogStack(t)
		s.Fleets[0].Zones[1].Count = k
		res, err := apply(t, sim, planFor(t, sim, s), engine.Options{})
		if err != nil {
			t.Fatalf("apply k=%d: %v", k, err)
		}
		return res.Elapsed()
	}
	one, twenty := elapsed(1), elapsed(20)
	if float64(twenty) > 1.2*float64(one) {
		t.Errorf("k=20 took %s, k=1 took %s: waits do not overlap", twenty, one)
	}
}

func TestApplyIsDeterministic(t *testing.T) {
	run := func() string {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		var b strings.Builder
		_, err := apply(t, sim, planFor(t, sim, blogStack(t)), engine.Options{Events: func(e engine.Event) {
			fmt.Fprintf(&b, "%s %s %s %s %s\n", e.Time.Format(time.RFC3339), e.Type, e.Step, e.Message, e.Output)
		}})
		if err != nil {
			t.Fatal(err)
		}
		data, err := sim.World().Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b.String() + string(data)
	}
	if a, b := run(), run(); a != b {
		t.Fatalf("two runs differ")
	}
}

// TestWideApplyBatchesCalls: launching 20 costs a handful of RegisterTargets and a poll of
// each target group per pass, not one call per instance per poll.
func TestWideApplyBatchesCalls(t *testing.T) {
	calls := func(k int) map[string]int {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		s := blogStack(t)
		s.Fleets[0].Zones[1].Count = k
		p := planFor(t, sim, s)
		sim.ResetCalls()
		if _, err := apply(t, sim, p, engine.Options{}); err != nil {
			t.Fatal(err)
		}
		return sim.Calls()
	}
	one, twenty := calls(1), calls(20)
	t.Logf("k=1: %v", one)
	t.Logf("k=20: %v", twenty)
	// One more: the DryRun that validates the launch before the source reboots.
	if twenty["RunInstances"] != 21 {
		t.Errorf("RunInstances = %d, want 20 and one validation", twenty["RunInstances"])
	}
	for _, op := range []string{"RegisterTargets", "DescribeTargetHealth", "DescribeInstances"} {
		if twenty[op] > 2*one[op]+3 {
			t.Errorf("%s: %d calls for 20 launches vs %d for one: not batched", op, twenty[op], one[op])
		}
	}
}

// Registrations waiting on instances read them 200 IDs a DescribeInstances, never with a call
// of no IDs (a filter with no values). The first registration of the pass asks for its own
// instance alone; the registration batch then knows every other one, read together: 201
// registrations take 1 + 200 IDs (two calls, not a third one empty), 202 take 1 + 200 + 1.
func TestRegistrationsReadInstancesByTwoHundreds(t *testing.T) {
	for _, tc := range []struct{ n, calls int }{{201, 2}, {202, 3}} {
		w := simulator.SeedWorld()
		var steps []plan.Step
		for i := range tc.n {
			in := w.Instances[0]
			in.ID = fmt.Sprintf("i-0a1b2c3d4e5f6%04d", 1000+i)
			in.IAMAssociation, in.IAMProfileARN, in.Tags = "", "", map[string]string{"Name": fmt.Sprintf("web-%d", i)}
			w.Instances = append(w.Instances, in)
			steps = append(steps, plan.Step{ID: "register_target." + in.ID, Kind: plan.RegisterTarget, Resource: "target " + in.ID, Reason: "r", DependsOn: []string{},
				Target: &plan.TargetParams{TargetGroupARN: simulator.SeedTargetGroup, InstanceID: in.ID, Port: 80, AZ: "ap-northeast-1a"}})
		}
		sim := testkit.NewSim(t, w)
		sim.ResetCalls()
		if _, err := apply(t, sim, &plan.Plan{Steps: steps}, engine.Options{}); err != nil {
			t.Fatalf("%d registrations: %v", tc.n, err)
		}
		if got := sim.Calls()["DescribeInstances"]; got != tc.calls {
			t.Errorf("%d registrations: %d DescribeInstances calls, want %d", tc.n, got, tc.calls)
		}
	}
}
