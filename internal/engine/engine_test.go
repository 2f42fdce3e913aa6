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
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"slices"
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// everLaunched counts the instances of the world in any state, terminated ones included: a
// duplicate launch shows here even after a later plan has terminated the surplus.
func everLaunched(sim *simulator.Sim) (instances, images int) {
	w := sim.World()
	return len(w.Instances), len(w.Images)
}

// crash is what the crashing API panics with: the process died after the call returned and
// before the engine recorded its result.
type crash struct{ op string }

// crashingEC2 and crashingELB pass calls through to the simulator and panic, as a crash
// would, right after the n-th call of op that changes something (DryRuns do not count).
type crashingEC2 struct {
	cloud.EC2
	c *crashPoint
}

type crashingELB struct {
	cloud.ELBV2
	c *crashPoint
}

type crashPoint struct {
	op      string
	n, seen int
}

func (c *crashPoint) after(op string, dryRun *bool, err error) {
	if op != c.op || aws.ToBool(dryRun) || err != nil {
		return
	}
	c.seen++
	if c.seen == c.n {
		panic(crash{op})
	}
}

func (e crashingEC2) CreateImage(ctx context.Context, in *ec2.CreateImageInput, o ...func(*ec2.Options)) (*ec2.CreateImageOutput, error) {
	out, err := e.EC2.CreateImage(ctx, in, o...)
	e.c.after("CreateImage", in.DryRun, err)
	return out, err
}

func (e crashingEC2) RunInstances(ctx context.Context, in *ec2.RunInstancesInput, o ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	out, err := e.EC2.RunInstances(ctx, in, o...)
	e.c.after("RunInstances", in.DryRun, err)
	return out, err
}

func (e crashingEC2) AssociateIamInstanceProfile(ctx context.Context, in *ec2.AssociateIamInstanceProfileInput, o ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error) {
	out, err := e.EC2.AssociateIamInstanceProfile(ctx, in, o...)
	e.c.after("AssociateIamInstanceProfile", nil, err)
	return out, err
}

func (e crashingEC2) TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, o ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	out, err := e.EC2.TerminateInstances(ctx, in, o...)
	e.c.after("TerminateInstances", in.DryRun, err)
	return out, err
}

func (e crashingELB) ModifyTargetGroupAttributes(ctx context.Context, in *elbv2.ModifyTargetGroupAttributesInput, o ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupAttributesOutput, error) {
	out, err := e.ELBV2.ModifyTargetGroupAttributes(ctx, in, o...)
	e.c.after("ModifyTargetGroupAttributes", nil, err)
	return out, err
}

func (e crashingELB) ModifyTargetGroup(ctx context.Context, in *elbv2.ModifyTargetGroupInput, o ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupOutput, error) {
	out, err := e.ELBV2.ModifyTargetGroup(ctx, in, o...)
	e.c.after("ModifyTargetGroup", nil, err)
	return out, err
}

func (e crashingELB) RegisterTargets(ctx context.Context, in *elbv2.RegisterTargetsInput, o ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error) {
	out, err := e.ELBV2.RegisterTargets(ctx, in, o...)
	e.c.after("RegisterTargets", nil, err)
	return out, err
}

func (e crashingELB) DeregisterTargets(ctx context.Context, in *elbv2.DeregisterTargetsInput, o ...func(*elbv2.Options)) (*elbv2.DeregisterTargetsOutput, error) {
	out, err := e.ELBV2.DeregisterTargets(ctx, in, o...)
	e.c.after("DeregisterTargets", nil, err)
	return out, err
}

func (e crashingELB) SetSubnets(ctx context.Context, in *elbv2.SetSubnetsInput, o ...func(*elbv2.Options)) (*elbv2.SetSubnetsOutput, error) {
	out, err := e.ELBV2.SetSubnets(ctx, in, o...)
	e.c.after("SetSubnets", nil, err)
	return out, err
}

// crashAfter applies p on sim and crashes right after the n-th successful call of op; it
// reports whether the crash happened (false: the apply ended without making that call).
func crashAfter(t *testing.T, sim *simulator.Sim, p *plan.Plan, op string, n int) (crashed bool) {
	t.Helper()
	c := &crashPoint{op: op, n: n}
	api := testkit.API(sim)
	api.EC2, api.ELBV2 = crashingEC2{api.EC2, c}, crashingELB{api.ELBV2, c}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crash); !ok {
				panic(r)
			}
			crashed = true
		}
	}()
	_, err := engine.Apply(context.Background(), p, api, engine.Options{Clock: sim.Clock()})
	if err != nil {
		t.Fatalf("apply before the crash point: %v", err)
	}
	return false
}

// mutatingOps are the calls of an apply that change the world.
var mutatingOps = []string{"CreateImage", "RunInstances", "ModifyTargetGroupAttributes", "RegisterTargets", "SetSubnets"}

// TestCrashAfterEveryCall crashes the seed apply right after each call that changes the
// world, before the engine records what the call returned, with new instances invisible to
// Describe calls for a while (EC2's eventual consistency): a re-plan then does not see the
// instance just launched and plans its launch again. The re-run must converge without
// launching or baking anything twice: the RunInstances ClientToken returns the instance the
// crashed run launched.
func TestCrashAfterEveryCall(t *testing.T) {
	t.Parallel()
	faults := simulator.Faults{InstanceVisibilityDelay: clock.Duration(2 * time.Minute)}
	for _, op := range mutatingOps {
		t.Run(op, func(t *testing.T) {
			sim := testkit.NewSim(t, simulator.SeedWorld(), simulator.WithFaults(faults))
			s := blogStack(t)
			if !crashAfter(t, sim, planFor(t, sim, s), op, 1) {
				t.Skipf("the seed apply makes no %s call", op)
			}
			if op == "RunInstances" {
				// The point of this case: the re-plan cannot see the new instance yet.
				p := planFor(t, sim, s)
				if !slices.ContainsFunc(p.Steps, func(st plan.Step) bool { return st.Kind == plan.LaunchInstance }) {
					t.Fatalf("the re-plan sees the instance already; the case tests nothing: %v", p.Steps)
				}
			}
			testkit.ConvergeSim(t, sim, s)
			if in, im := everLaunched(sim); in != 2 || im != 2 {
				t.Errorf("%d instances and %d images ever made; want 2 and 2 (one launch, one bake)", in, im)
			}
		})
	}
}

// TestStopAfterStopsAtK: StopAfter stops the run right after the k-th completed step, as the
// crash tests assume.
func TestStopAfterStopsAtK(t *testing.T) {
	t.Parallel()
	s := blogStack(t)
	n := len(planFor(t, testkit.NewSim(t, simulator.SeedWorld()), s).Steps)
	for k := 1; k < n; k++ {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		res, err := apply(t, sim, planFor(t, sim, s), engine.Options{StopAfter: k})
		if !errors.Is(err, engine.ErrStopped) {
			t.Fatalf("k=%d: %v", k, err)
		}
		if len(res.Done) != k {
			t.Errorf("StopAfter %d stopped after %d steps: %v", k, len(res.Done), res.Done)
		}
	}
}

// TestEventTimes: each event after a step's start carries how long the step has run on the
// apply's clock, and a waiting step reports "still waiting" on the ProgressEvery grid.
func TestEventTimes(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	started := map[string]time.Time{}
	lastWaiting := map[string]time.Time{}
	var problems []string
	waits := 0
	res, err := apply(t, sim, planFor(t, sim, blogStack(t)), engine.Options{ProgressEvery: 30 * time.Second, Events: func(e engine.Event) {
		switch e.Type {
		case engine.EventStarted:
			started[e.Step] = e.Time
			lastWaiting[e.Step] = e.Time
		case engine.EventWaiting:
			waits++
			if d := e.Time.Sub(lastWaiting[e.Step]); d != 30*time.Second {
				problems = append(problems, fmt.Sprintf("%s: waiting reported %s after the last report, want 30s", e.Step, d))
			}
			lastWaiting[e.Step] = e.Time
			fallthrough
		case engine.EventDone:
			if want := e.Time.Sub(started[e.Step]); e.Elapsed != want {
				problems = append(problems, fmt.Sprintf("%s %s: elapsed %s, want %s", e.Step, e.Type, e.Elapsed, want))
			}
		case engine.EventSummary:
			if e.Elapsed <= 0 {
				problems = append(problems, fmt.Sprintf("summary elapsed %s", e.Elapsed))
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if waits < 5 {
		t.Fatalf("only %d waiting events", waits)
	}
	for _, p := range problems {
		t.Error(p)
	}
	_ = res
}

// TestPollCadence: an image being made is polled after 5s, then with the delay growing by
// half up to 15s (docs/design.md, "Polling"): the bake is on a rollout's chain, and one
// DescribeImages per 15s for every image is far below EC2's request limits.
func TestPollCadence(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	p := &plan.Plan{Steps: []plan.Step{imageStep("web-v2")}}
	var times []time.Time
	if _, err := apply(t, sim, p, engine.Options{AfterPoll: func() { times = append(times, sim.Clock().Now()) }}); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{5 * time.Second, 7500 * time.Millisecond, 11250 * time.Millisecond, 15 * time.Second, 15 * time.Second, 15 * time.Second}
	if len(times) < len(want)+1 {
		t.Fatalf("only %d polls", len(times))
	}
	for i, w := range want {
		if d := times[i+1].Sub(times[i]); d != w {
			t.Errorf("poll %d came %s after the one before, want %s", i+1, d, w)
		}
	}
}

// A wait fails once more than its bound has passed, not when the bound is reached: an image
// wait bounded at 5s, whose first poll comes exactly 5s after the step started (the poll
// backoff starts at 5s), fails at the next poll, 12.5s in.
func TestWaitFailsOnlyPastItsBound(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	step := plan.Step{ID: "create_image.web-b", Kind: plan.CreateImage, Resource: "image web-b", Reason: "r", DependsOn: []string{},
		Image: &plan.ImageParams{SourceInstanceID: simulator.SeedInstance, Name: "web-b", NoReboot: true, Tags: map[string]string{"Name": "web-b"}}}
	start := sim.Clock().Now()
	_, err := apply(t, sim, &plan.Plan{Steps: []plan.Step{step}}, engine.Options{Timeouts: engine.Timeouts{ImageAvailable: 5 * time.Second}})
	if !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("apply: %v, want a timeout", err)
	}
	if got := sim.Clock().Now().Sub(start); got != 12500*time.Millisecond {
		t.Errorf("the wait failed %s after it started, want 12.5s (the first poll past 5s)", got)
	}
}
