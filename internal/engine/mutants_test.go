package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// Tests that reach the engine's mechanisms end to end: scale-in (deregister, drain,
// terminate, trim), profile repair, the waits users rely on (a registration is done only when
// the target is healthy; a trim only once the kept zones serve), and crashes in the middle of
// a step, after an API call and before its result is recorded. docs/testing.md lists which
// mutation of the engine each one kills.

// lbZones returns the Availability Zones the seed ALB is enabled in, straight from the
// simulator.
func lbZones(t *testing.T, sim *simulator.Sim) []string {
	t.Helper()
	out, err := sim.ELBV2().DescribeLoadBalancers(context.Background(), &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{simulator.SeedALB}})
	if err != nil {
		t.Fatal(err)
	}
	var azs []string
	for _, z := range out.LoadBalancers[0].AvailabilityZones {
		azs = append(azs, aws.ToString(z.ZoneName))
	}
	slices.Sort(azs)
	return azs
}

// everLaunched counts the instances of the world in any state, terminated ones included: a
// duplicate launch shows here even after a later plan has terminated the surplus.
func everLaunched(sim *simulator.Sim) (instances, images int) {
	w := sim.World()
	return len(w.Instances), len(w.Images)
}

// threeZones is the blog stack with one instance in each of 1a (the source), 1c and 1d.
func threeZones(t *testing.T) *specs.Stack {
	s := blogStack(t)
	s.Fleets[0].Zones = []specs.FleetZone{
		{AZ: "ap-northeast-1a", Count: 1}, {AZ: "ap-northeast-1c", Count: 1}, {AZ: "ap-northeast-1d", Count: 1},
	}
	return s
}

// everyNodeReaches is the seed world with web-sg admitting HTTP from the whole VPC, so the
// load balancer's node in 1c reaches a member there (the plan refuses a zone whose node
// reaches no target: docs/design.md, "Zones and reachability").
func everyNodeReaches() *simulator.World {
	w := simulator.SeedWorld()
	for i := range w.SecurityGroups {
		if w.SecurityGroups[i].ID == simulator.SeedWebSG {
			w.SecurityGroups[i].Ingress = &[]simulator.IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.0.0/16"}}}
		}
	}
	return w
}

// memberIn returns the running member albctl launched in az.
func memberIn(t *testing.T, sim *simulator.Sim, az string) string {
	t.Helper()
	for _, in := range sim.World().Instances {
		if in.AZ == az && in.State == "running" && in.Tags[cloud.TagFleet] != "" {
			return in.ID
		}
	}
	t.Fatalf("no running member in %s", az)
	return ""
}

// TestScaleInEndToEnd plans and applies the removal of a zone's only member: the member is
// deregistered, drains for the deregistration delay, is terminated, and only then is its
// zone trimmed from the ALB. Sampled after every poll, the member never shuts down while it
// is still in service or draining, and the zone never goes while the member is registered.
func TestScaleInEndToEnd(t *testing.T) {
	sim := newSim(t, everyNodeReaches())
	s := threeZones(t)
	converge(t, sim, s)
	if got := lbZones(t, sim); len(got) != 3 {
		t.Fatalf("converged ALB zones %v, want three", got)
	}
	gone := memberIn(t, sim, "ap-northeast-1c")

	s.Fleets[0].Zones = slices.Delete(s.Fleets[0].Zones, 1, 2)
	p := planFor(t, sim, s)
	var got []string
	for _, st := range p.Steps {
		got = append(got, string(st.Kind))
	}
	if want := []string{"deregister_target", "terminate_instance", "trim_zones"}; !slices.Equal(got, want) {
		t.Fatalf("scale-in plan %v, want %v", got, want)
	}

	var shutWhileServing, trimmedWhileRegistered, samples int
	res, err := apply(t, sim, p, engine.Options{AfterPoll: func() {
		samples++
		target, state := targetState(t, sim, gone), instanceState(t, sim, gone)
		if state != "running" && target != "" {
			shutWhileServing++
		}
		if !slices.Contains(lbZones(t, sim), "ap-northeast-1c") && target != "" {
			trimmedWhileRegistered++
		}
	}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if samples < 5 {
		t.Fatalf("only %d samples", samples)
	}
	if shutWhileServing > 0 {
		t.Errorf("%s shut down while still registered or draining (%d samples)", gone, shutWhileServing)
	}
	if trimmedWhileRegistered > 0 {
		t.Errorf("ap-northeast-1c trimmed while %s was still registered (%d samples)", gone, trimmedWhileRegistered)
	}
	// Draining takes the 300s deregistration delay; shutting down about a minute more.
	if e := res.Elapsed(); e < 300*time.Second || e > 10*time.Minute {
		t.Errorf("scale-in took %s; want the 300s deregistration delay and a few minutes more at most", e)
	}
	sim.Clock().Advance(time.Minute)
	if st := instanceState(t, sim, gone); st != "terminated" {
		t.Errorf("removed member is %s, want terminated", st)
	}
	if st := targetState(t, sim, gone); st != "" {
		t.Errorf("removed member is still %q in the target group", st)
	}
	if got, want := lbZones(t, sim), []string{"ap-northeast-1a", "ap-northeast-1d"}; !slices.Equal(got, want) {
		t.Errorf("ALB zones %v, want %v", got, want)
	}
	if h, _ := serving(t, sim); h != 2 {
		t.Errorf("%d healthy targets after the scale-in, want 2", h)
	}
	if again := planFor(t, sim, s); !again.Empty() {
		t.Errorf("not converged after the scale-in: %v", again.Steps)
	}
}

// TestDeregisterTakesTheTargetOutOfService: deregister_target is done once ELB accepts the
// call, with the target draining; a plan that terminates without deregistering first is
// refused by terminate's own check rather than cutting requests.
func TestDeregisterTakesTheTargetOutOfService(t *testing.T) {
	fw := newFleetWorld(t)
	old := fw.members[0]
	steps := replace(old, 1, nil)
	dereg, term := steps[2], steps[3]
	dereg.DependsOn = nil

	t.Run("deregister", func(t *testing.T) {
		fw := newFleetWorld(t)
		if _, err := apply(t, fw.sim, &plan.Plan{Steps: []plan.Step{dereg}}, engine.Options{}); err != nil {
			t.Fatal(err)
		}
		if st := targetState(t, fw.sim, old.ID); st != "draining" {
			t.Errorf("target is %q after deregister_target, want draining", st)
		}
		if st := instanceState(t, fw.sim, old.ID); st != "running" {
			t.Errorf("instance is %s; deregistering must not stop it", st)
		}
	})
	t.Run("terminate without deregister", func(t *testing.T) {
		term := term
		term.DependsOn = nil
		res, err := apply(t, fw.sim, &plan.Plan{Steps: []plan.Step{term}}, engine.Options{Timeouts: engine.Timeouts{Propagation: time.Minute}})
		if err == nil || !strings.Contains(err.Error(), "still registered") || !strings.Contains(err.Error(), old.ID) {
			t.Fatalf("apply = %v, want a refusal naming the registered instance", err)
		}
		if c := fw.sim.Calls()["TerminateInstances"]; c != 0 {
			t.Errorf("TerminateInstances called %d times on a serving target", c)
		}
		if st := instanceState(t, fw.sim, old.ID); st != "running" {
			t.Errorf("instance is %s", st)
		}
		if e := res.Elapsed(); e < time.Minute || e > 2*time.Minute {
			t.Errorf("refused after %s; the propagation bound is 1m", e)
		}
	})
}

// TestTerminateDrainBound: a target that drains longer than the drained bound fails the
// terminate step with a timeout instead of terminating it mid-request.
func TestTerminateDrainBound(t *testing.T) {
	fw := newFleetWorld(t)
	old := fw.members[0]
	steps := replace(old, 1, nil)[2:]
	steps[0].DependsOn = nil
	res, err := apply(t, fw.sim, &plan.Plan{Steps: steps}, engine.Options{Timeouts: engine.Timeouts{TargetDrained: 2 * time.Minute}})
	if !errors.Is(err, engine.ErrTimeout) || !strings.Contains(err.Error(), "draining") {
		t.Fatalf("apply = %v, want a drain timeout", err)
	}
	if res.Failed != steps[1].ID {
		t.Errorf("failed step %q, want %s", res.Failed, steps[1].ID)
	}
	if st := instanceState(t, fw.sim, old.ID); st != "running" {
		t.Errorf("instance is %s; it must not be terminated while draining", st)
	}
}

// TestProfileRepairEndToEnd: a member that lost its IAM instance profile gets it back
// (associate_instance_profile), planned and applied; a crash right after the call is resumed
// without error, since EC2 then shows the same profile.
func TestProfileRepairEndToEnd(t *testing.T) {
	setup := func(t *testing.T) (*simulator.Sim, *specs.Stack, string) {
		sim := newSim(t, simulator.SeedWorld())
		s := blogStack(t)
		converge(t, sim, s)
		w := sim.World()
		member := ""
		for i := range w.Instances {
			if w.Instances[i].Tags[cloud.TagFleet] != "" && w.Instances[i].State == "running" {
				w.Instances[i].IAMProfileARN, w.Instances[i].IAMAssociation = "", ""
				member = w.Instances[i].ID
			}
		}
		return newSim(t, w), s, member
	}
	profileOf := func(t *testing.T, sim *simulator.Sim, id string) string {
		for _, in := range sim.World().Instances {
			if in.ID == id {
				return in.IAMProfileARN
			}
		}
		t.Fatalf("no instance %s", id)
		return ""
	}
	t.Run("applied", func(t *testing.T) {
		sim, s, member := setup(t)
		p := planFor(t, sim, s)
		if len(p.Steps) != 1 || p.Steps[0].Kind != plan.AssociateInstanceProfile {
			t.Fatalf("plan %v, want one associate_instance_profile", p.Steps)
		}
		if _, err := apply(t, sim, p, engine.Options{}); err != nil {
			t.Fatalf("apply: %v", err)
		}
		if got := profileOf(t, sim, member); got != simulator.SeedProfileARN {
			t.Errorf("member's profile %q, want %q", got, simulator.SeedProfileARN)
		}
		if again := planFor(t, sim, s); !again.Empty() {
			t.Errorf("not converged: %v", again.Steps)
		}
	})
	t.Run("crash after the call", func(t *testing.T) {
		sim, s, member := setup(t)
		p := planFor(t, sim, s)
		if !crashAfter(t, sim, p, "AssociateIamInstanceProfile", 1) {
			t.Fatal("the plan made no AssociateIamInstanceProfile call")
		}
		// The same plan again, as a resumed run that did not see the association would.
		sim.ResetCalls()
		if _, err := apply(t, sim, p, engine.Options{}); err != nil {
			t.Fatalf("resume: %v", err)
		}
		if got := profileOf(t, sim, member); got != simulator.SeedProfileARN {
			t.Errorf("member's profile %q", got)
		}
	})
	t.Run("another profile already there", func(t *testing.T) {
		sim, s, member := setup(t)
		p := planFor(t, sim, s)
		other := sim.CreateInstanceProfile("other-app")
		if _, err := sim.EC2().AssociateIamInstanceProfile(context.Background(), &ec2.AssociateIamInstanceProfileInput{
			InstanceId: aws.String(member), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: aws.String(other)},
		}); err != nil {
			t.Fatal(err)
		}
		_, err := apply(t, sim, p, engine.Options{})
		if cloud.ErrorCode(err) != "IncorrectState" {
			t.Fatalf("apply = %v, want IncorrectState: a different profile is reported, never replaced", err)
		}
		if got := profileOf(t, sim, member); got != other {
			t.Errorf("member's profile %q, want %q kept", got, other)
		}
	})
}

// TestRegisterWaitsUntilHealthy: a register_target step is done only once ELB reports the
// target healthy, which the steps after it (trim, deregister of a replaced member) rely on.
func TestRegisterWaitsUntilHealthy(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
	p := planFor(t, sim, blogStack(t))
	targets := map[string]*plan.TargetParams{}
	for _, st := range p.Steps {
		if st.Kind == plan.RegisterTarget {
			targets[st.ID] = st.Target
		}
	}
	outputs := map[string]string{}
	checked := 0
	_, err := apply(t, sim, p, engine.Options{Events: func(e engine.Event) {
		if e.Type != engine.EventDone {
			return
		}
		outputs[e.Step] = e.Output
		if tp, ok := targets[e.Step]; ok {
			checked++
			id := tp.InstanceID
			if tp.InstanceStep != "" {
				id = outputs[tp.InstanceStep]
			}
			if st := targetState(t, sim, id); st != "healthy" {
				t.Errorf("%s done while %s is %q", e.Step, id, st)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no register_target step was done")
	}
}

// TestRegisterTimesOut: a registration whose target never becomes healthy fails its step
// with a timeout at the healthy bound, naming the instance and its last health.
func TestRegisterTimesOut(t *testing.T) {
	broken := simulator.ImageBehaviour{NameGlob: "web-v2*", App: &simulator.App{Health: "fails"}}
	fw := newFleetWorld(t, broken)
	steps := replace(fw.members[0], 1, nil)
	p := &plan.Plan{Steps: append([]plan.Step{imageStep("web-v2")}, steps[:2]...)}
	res, err := apply(t, fw.sim, p, engine.Options{Timeouts: engine.Timeouts{TargetHealthy: 4 * time.Minute}})
	if !errors.Is(err, engine.ErrTimeout) || !strings.Contains(err.Error(), "web-new-1") || !strings.Contains(err.Error(), "health checks") {
		t.Fatalf("apply = %v, want a health timeout naming web-new-1", err)
	}
	if res.Failed != "register_target.new1" {
		t.Errorf("failed %q", res.Failed)
	}
}

// trimOnly is a plan that only trims the seed ALB from 1a, 1c, 1d to 1a and 1d, with no
// dependency: the engine's own check of the kept zones is all that protects them.
func trimOnly() *plan.Plan {
	return &plan.Plan{Steps: []plan.Step{{
		ID: "trim_zones.web", Kind: plan.TrimZones, Resource: "load balancer web-alb",
		Zones: &plan.ZonesParams{
			LoadBalancerARN: simulator.SeedALB, TargetGroupARNs: []string{simulator.SeedTargetGroup},
			SubnetIDs: []string{simulator.SeedSubnet1a, simulator.SeedSubnet1d},
			AZs:       []string{"ap-northeast-1a", "ap-northeast-1d"}, Removed: []string{"ap-northeast-1c"},
		},
	}}}
}

// TestTrimWaitsForKeptZones: the engine checks against the cloud, right before SetSubnets,
// that every kept zone has a healthy target; a plan that trims early (edited, or a planner
// bug) waits for that, and fails at the healthy bound without trimming.
func TestTrimWaitsForKeptZones(t *testing.T) {
	t.Run("no target in a kept zone", func(t *testing.T) {
		sim := newSim(t, simulator.SeedWorld())
		res, err := apply(t, sim, trimOnly(), engine.Options{Timeouts: engine.Timeouts{TargetHealthy: 3 * time.Minute}})
		if !errors.Is(err, engine.ErrTimeout) || !strings.Contains(err.Error(), "ap-northeast-1d") {
			t.Fatalf("apply = %v, want a timeout naming ap-northeast-1d", err)
		}
		if c := sim.Calls()["SetSubnets"]; c != 0 {
			t.Errorf("SetSubnets called %d times", c)
		}
		if got := lbZones(t, sim); len(got) != 3 {
			t.Errorf("ALB zones %v: trimmed without a healthy target in a kept zone", got)
		}
		if e := res.Elapsed(); e < 3*time.Minute {
			t.Errorf("gave up after %s, before the 3m bound", e)
		}
	})
	t.Run("a kept zone the plan serves across zones", func(t *testing.T) {
		// 1d holds no target, and the plan says its node serves 1a's (across_zones): the
		// trim goes as soon as 1a's source is healthy.
		sim := simulator.New(simulator.SeedWorld())
		p := trimOnly()
		p.Steps[0].Zones.AcrossZones = []string{"ap-northeast-1d"}
		if _, err := apply(t, sim, p, engine.Options{Timeouts: engine.Timeouts{TargetHealthy: 3 * time.Minute}}); err != nil {
			t.Fatalf("apply: %v", err)
		}
		if got := lbZones(t, sim); len(got) != 2 {
			t.Errorf("ALB zones %v, want 1a and 1d", got)
		}
	})
	t.Run("across zones, but no healthy target in any kept zone", func(t *testing.T) {
		w := simulator.SeedWorld()
		w.Instances[0].App = &simulator.App{Health: "fails"}
		sim := simulator.New(w)
		p := trimOnly()
		p.Steps[0].Zones.AcrossZones = []string{"ap-northeast-1d"}
		_, err := apply(t, sim, p, engine.Options{Timeouts: engine.Timeouts{TargetHealthy: 3 * time.Minute}})
		if !errors.Is(err, engine.ErrTimeout) || !strings.Contains(err.Error(), "ap-northeast-1a, ap-northeast-1d") {
			t.Fatalf("apply = %v, want a timeout naming both kept zones", err)
		}
	})
	t.Run("target becoming healthy", func(t *testing.T) {
		// The seed plan with its trim's dependencies removed: the trim starts with the image
		// bake and may only go once 1d's new target is healthy.
		sim := newSim(t, simulator.SeedWorld())
		p := planFor(t, sim, blogStack(t))
		var launch string
		for i := range p.Steps {
			switch p.Steps[i].Kind {
			case plan.TrimZones:
				p.Steps[i].DependsOn = nil
			case plan.LaunchInstance:
				launch = p.Steps[i].ID
			}
		}
		violations := 0
		res, err := apply(t, sim, p, engine.Options{AfterPoll: func() {
			if len(lbZones(t, sim)) == 2 && healthyIn(t, sim, "ap-northeast-1d") == 0 {
				violations++
			}
		}})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if violations > 0 {
			t.Errorf("ALB trimmed while ap-northeast-1d had no healthy target (%d samples)", violations)
		}
		if got := lbZones(t, sim); len(got) != 2 {
			t.Errorf("ALB zones %v after the trim", got)
		}
		if res.Outputs[launch] == "" {
			t.Errorf("no instance launched")
		}
	})
}

// healthyIn counts the healthy targets of the seed target group in az.
func healthyIn(t *testing.T, sim *simulator.Sim, az string) int {
	t.Helper()
	out, err := sim.ELBV2().DescribeTargetHealth(context.Background(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(simulator.SeedTargetGroup)})
	if err != nil {
		t.Fatal(err)
	}
	zone := map[string]string{}
	for _, in := range sim.World().Instances {
		zone[in.ID] = in.AZ
	}
	n := 0
	for _, d := range out.TargetHealthDescriptions {
		if d.TargetHealth.State == "healthy" && zone[aws.ToString(d.Target.Id)] == az {
			n++
		}
	}
	return n
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
	api := apiOf(sim)
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
	faults := simulator.Faults{InstanceVisibilityDelay: clock.Duration(2 * time.Minute)}
	for _, op := range mutatingOps {
		t.Run(op, func(t *testing.T) {
			sim := newSim(t, simulator.SeedWorld(), simulator.WithFaults(faults))
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
			converge(t, sim, s)
			if in, im := everLaunched(sim); in != 2 || im != 2 {
				t.Errorf("%d instances and %d images ever made; want 2 and 2 (one launch, one bake)", in, im)
			}
		})
	}
}

// TestCrashAfterCreateImage: the run crashed right after CreateImage, and the plan it resumes
// (made before the crash, as a re-plan is while a new image is not yet listed) bakes the
// image again. The engine finds the pending image by its name instead of baking twice.
func TestCrashAfterCreateImage(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
	s := blogStack(t)
	p := planFor(t, sim, s)
	if !crashAfter(t, sim, p, "CreateImage", 1) {
		t.Fatal("no CreateImage call")
	}
	sim.ResetCalls()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := 0
	_, err := engine.Apply(ctx, p, apiOf(sim), engine.Options{Clock: sim.Clock(), Events: func(engine.Event) {
		if events++; events > 500 {
			cancel() // a loop that never ends would otherwise hang the test
		}
	}})
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if c := sim.Calls()["CreateImage"]; c != 0 {
		t.Errorf("CreateImage called %d times on resume; the pending image is found by name", c)
	}
	if _, im := everLaunched(sim); im != 2 {
		t.Errorf("%d images; want the seed AMI and one baked", im)
	}
}

// TestCreateImageAnsweredDuplicate: CreateImage answers InvalidAMIName.Duplicate for an image
// this apply started (the response to the first attempt was lost and the SDK sent it again,
// or another run made it): the engine waits for that image by name and uses it.
func TestCreateImageAnsweredDuplicate(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
	p := planFor(t, sim, blogStack(t))
	api := apiOf(sim)
	api.EC2 = &resentCreateImage{EC2: api.EC2}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := 0
	res, err := engine.Apply(ctx, p, api, engine.Options{Clock: sim.Clock(), Events: func(engine.Event) {
		if events++; events > 500 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(res.NotDone) != 0 {
		t.Fatalf("not done: %v", res.NotDone)
	}
	if in, im := everLaunched(sim); in != 2 || im != 2 {
		t.Errorf("%d instances, %d images; want 2 and 2", in, im)
	}
	var img string
	for id, out := range res.Outputs {
		if strings.HasPrefix(id, "create_image.") {
			img = out
		}
	}
	for _, in := range sim.World().Instances {
		if in.ID != simulator.SeedInstance && in.Image != img {
			t.Errorf("%s launched from %s, want the baked %s", in.ID, in.Image, img)
		}
	}
}

// resentCreateImage sends every CreateImage twice and returns the second answer, as the SDK's
// retryer does when the first response is lost on the way back.
type resentCreateImage struct{ cloud.EC2 }

func (e *resentCreateImage) CreateImage(ctx context.Context, in *ec2.CreateImageInput, o ...func(*ec2.Options)) (*ec2.CreateImageOutput, error) {
	if _, err := e.EC2.CreateImage(ctx, in, o...); err != nil {
		return nil, err
	}
	return e.EC2.CreateImage(ctx, in, o...)
}

// TestStopAfterStopsAtK: StopAfter stops the run right after the k-th completed step, as the
// crash tests assume.
func TestStopAfterStopsAtK(t *testing.T) {
	s := blogStack(t)
	n := len(planFor(t, newSim(t, simulator.SeedWorld()), s).Steps)
	for k := 1; k < n; k++ {
		sim := newSim(t, simulator.SeedWorld())
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
	sim := newSim(t, simulator.SeedWorld())
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

// TestFailedImageHoldsItsName: a bake that failed leaves a failed image holding the name, so
// the re-run's CreateImage answers InvalidAMIName.Duplicate while no pending or available
// image has that name. The step fails at the propagation bound saying so, instead of waiting
// for ever.
func TestFailedImageHoldsItsName(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld(), simulator.WithFaults(simulator.Faults{
		ImageFailures: []simulator.ImageFault{{NameGlob: "web-*", Window: simulator.Window{Until: clock.Duration(time.Minute)}}},
	}))
	s := blogStack(t)
	if _, err := apply(t, sim, planFor(t, sim, s), engine.Options{}); err == nil || !strings.Contains(err.Error(), "failed: Server.InternalError") {
		t.Fatalf("first apply = %v, want the failed bake with EC2's reason", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := 0
	res, err := engine.Apply(ctx, planFor(t, sim, s), apiOf(sim), engine.Options{Clock: sim.Clock(), Events: func(engine.Event) {
		if events++; events > 500 {
			cancel()
		}
	}})
	if !errors.Is(err, engine.ErrTimeout) || cloud.ErrorCode(err) != "InvalidAMIName.Duplicate" || !strings.Contains(err.Error(), "deregister the image") {
		t.Fatalf("re-run = %v, want a timeout that says the name is held", err)
	}
	if !strings.HasPrefix(res.Failed, "create_image.") {
		t.Errorf("failed step %q", res.Failed)
	}
	if e := res.Elapsed(); e > 10*time.Minute {
		t.Errorf("gave up after %s; the propagation bound is 5m", e)
	}
}

// TestNewMembersGetTheSourcesKeyPair: a new member is launched with the source's key pair,
// so whoever could log in to the source can log in to it.
func TestNewMembersGetTheSourcesKeyPair(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
	converge(t, sim, blogStack(t))
	var source, member string
	for _, in := range sim.World().Instances {
		if in.ID == simulator.SeedInstance {
			source = in.Key
		} else {
			member = in.Key
		}
	}
	if source == "" || member != source {
		t.Errorf("member's key pair %q, want the source's %q", member, source)
	}
}

// pendingInstance launches an instance of the seed world by hand (as an interrupted run
// would have) and returns it while it is still pending.
func pendingInstance(t *testing.T, sim *simulator.Sim) string {
	t.Helper()
	out, err := sim.EC2().RunInstances(context.Background(), &ec2.RunInstancesInput{
		ImageId: aws.String(simulator.SeedImage), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: aws.String(simulator.SeedSubnet1d), InstanceType: ec2types.InstanceTypeT3Small,
		SecurityGroupIds: []string{simulator.SeedWebSG},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	if st := instanceState(t, sim, id); st != "pending" {
		t.Fatalf("new instance is %s", st)
	}
	return id
}

// TestRegisterWaitsForAPendingInstance: registering an instance known at plan time that is
// still pending waits until it runs (ELB refuses a pending one), within the running bound.
func TestRegisterWaitsForAPendingInstance(t *testing.T) {
	step := func(id string) *plan.Plan {
		return &plan.Plan{Steps: []plan.Step{{ID: "register_target.x", Kind: plan.RegisterTarget,
			Target: &plan.TargetParams{TargetGroupARN: simulator.SeedTargetGroup, InstanceID: id, Port: 80, AZ: "ap-northeast-1d"}}}}
	}
	t.Run("runs in time", func(t *testing.T) {
		sim := newSim(t, simulator.SeedWorld())
		id := pendingInstance(t, sim)
		if _, err := apply(t, sim, step(id), engine.Options{}); err != nil {
			t.Fatal(err)
		}
		if st := targetState(t, sim, id); st != "healthy" {
			t.Errorf("target %q", st)
		}
	})
	t.Run("bound", func(t *testing.T) {
		sim := newSim(t, simulator.SeedWorld())
		id := pendingInstance(t, sim)
		_, err := apply(t, sim, step(id), engine.Options{Timeouts: engine.Timeouts{InstanceRunning: 5 * time.Second}})
		if !errors.Is(err, engine.ErrTimeout) || !strings.Contains(err.Error(), "running before it is registered") {
			t.Fatalf("apply = %v, want a timeout while the instance is pending", err)
		}
		if c := sim.Calls()["RegisterTargets"]; c != 0 {
			t.Errorf("RegisterTargets called %d times for a pending instance", c)
		}
	})
}

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
	t.Run("launched here", func(t *testing.T) {
		sim := newSim(t, simulator.SeedWorld())
		p := planFor(t, sim, blogStack(t))
		api := apiOf(sim)
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
		api := apiOf(fw.sim)
		api.ELBV2 = &unknownToELB{ELBV2: api.ELBV2, n: 1}
		p := &plan.Plan{Steps: []plan.Step{{ID: "register_target.x", Kind: plan.RegisterTarget,
			Target: &plan.TargetParams{TargetGroupARN: simulator.SeedTargetGroup, InstanceID: m.ID, Port: 80}}}}
		_, err := engine.Apply(context.Background(), p, api, engine.Options{Clock: fw.sim.Clock()})
		if cloud.ErrorCode(err) != "InvalidTarget" {
			t.Fatalf("apply = %v, want InvalidTarget at once", err)
		}
	})
}

// alreadyGone answers as moto does when a rollback repeats what was done: InvalidTarget for a
// target that is not registered, InvalidInstanceID.NotFound for an instance that is gone.
type alreadyGone struct {
	cloud.ELBV2
	ec2 cloud.EC2
}

func (e alreadyGone) DeregisterTargets(ctx context.Context, in *elbv2.DeregisterTargetsInput, o ...func(*elbv2.Options)) (*elbv2.DeregisterTargetsOutput, error) {
	if _, err := e.ELBV2.DeregisterTargets(ctx, in, o...); err != nil {
		return nil, err
	}
	return nil, &smithy.GenericAPIError{Code: "InvalidTarget", Message: "not registered"}
}

type goneEC2 struct{ cloud.EC2 }

func (e goneEC2) TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, o ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	if _, err := e.EC2.TerminateInstances(ctx, in, o...); err != nil {
		return nil, err
	}
	return nil, &smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound", Message: "gone"}
}

// TestRollbackToleratesWhatIsAlreadyGone: the rollback's deregistration and termination are
// idempotent, so answers that say "already done" still end in a rollback.
func TestRollbackToleratesWhatIsAlreadyGone(t *testing.T) {
	broken := simulator.ImageBehaviour{NameGlob: "web-v2*", App: &simulator.App{Health: "fails"}}
	fw := newFleetWorld(t, broken)
	p := &plan.Plan{Steps: append([]plan.Step{imageStep("web-v2")}, replace(fw.members[0], 1, &plan.RollbackParams{HealthTimeout: clock.Duration(5 * time.Minute), Auto: true})[:2]...)}
	api := apiOf(fw.sim)
	api.ELBV2, api.EC2 = alreadyGone{ELBV2: api.ELBV2}, goneEC2{api.EC2}
	res, err := engine.Apply(context.Background(), p, api, engine.Options{Clock: fw.sim.Clock()})
	if !errors.Is(err, engine.ErrRolledBack) {
		t.Fatalf("apply = %v, want a rollback", err)
	}
	fw.sim.Clock().Advance(time.Minute)
	if st := instanceState(t, fw.sim, res.Outputs["launch_instance.new1"]); st != "terminated" {
		t.Errorf("new member is %s", st)
	}
}

// TestPollCadence: an image being made is polled after 5s, then with the delay growing by
// half up to 15s (docs/design.md, "Polling"): the bake is on a rollout's chain, and one
// DescribeImages per 15s for every image is far below EC2's request limits.
func TestPollCadence(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
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

// TestDrainingWaitSurvivesThrottling: a throttled DescribeTargetHealth while a terminate waits
// for draining is retried like any other call, not fatal.
func TestDrainingWaitSurvivesThrottling(t *testing.T) {
	fw := newFleetWorld(t)
	sim := newSim(t, fw.sim.World(), simulator.WithFaults(simulator.Faults{Throttle: map[string]int{"DescribeTargetHealth": 3}}))
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

// TestDeregisterImageNamesTheImage: refusing to deregister an image something still runs names
// the image by ID and name, and the instance that runs it.
func TestDeregisterImageNamesTheImage(t *testing.T) {
	fw := newFleetWorld(t)
	used := fw.members[0].ImageID
	_, err := apply(t, fw.sim, cleanupPlan(used, "web-2023-05-14", nil), engine.Options{})
	if err == nil || !strings.Contains(err.Error(), used+" (web-2023-05-14) is still used by") {
		t.Fatalf("apply = %v, want a refusal naming %s (web-2023-05-14)", err, used)
	}
	_, err = apply(t, fw.sim, cleanupPlan(used, "", nil), engine.Options{})
	if err == nil || strings.Contains(err.Error(), "()") {
		t.Fatalf("apply = %v, want no empty name", err)
	}
}

// A wait fails once more than its bound has passed, not when the bound is reached: an image
// wait bounded at 5s, whose first poll comes exactly 5s after the step started (the poll
// backoff starts at 5s), fails at the next poll, 12.5s in.
func TestWaitFailsOnlyPastItsBound(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
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

// A run of retryable errors fails once more than its bound has passed since the first, not
// when the bound is reached: CreateImage throttled at every call, with a 5s bound, is tried
// at 0s, 5s (exactly the bound: tried again) and 12.5s, where the step fails.
func TestRetriesStopOnlyPastTheirBound(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
	calls := 0
	api := cloud.Intercept(apiOf(sim), func(ctx context.Context, op string, call func(context.Context) error) error {
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

// A terminate whose target is still in service gives the deregistration the propagation
// bound to show, and fails once more than the bound has passed, not on it: with a 5s bound,
// the poll exactly 5s in waits on, the one at 12.5s fails; the instance keeps running.
func TestTerminateOfAServingTargetFailsPastTheBound(t *testing.T) {
	fw := newFleetWorld(t)
	old := fw.members[0]
	term := replace(old, 1, nil)[3]
	term.DependsOn = nil
	start := fw.sim.Clock().Now()
	_, err := apply(t, fw.sim, &plan.Plan{Steps: []plan.Step{term}}, engine.Options{Timeouts: engine.Timeouts{Propagation: 5 * time.Second}})
	if err == nil || !strings.Contains(err.Error(), "is still registered (healthy)") {
		t.Fatalf("apply = %v, want the terminate refused", err)
	}
	if got := fw.sim.Clock().Now().Sub(start); got != 12500*time.Millisecond {
		t.Errorf("the terminate failed %s in, want 12.5s (the first poll past 5s)", got)
	}
	if st := instanceState(t, fw.sim, old.ID); st != "running" {
		t.Errorf("instance is %s; it must not be terminated while in service", st)
	}
}
