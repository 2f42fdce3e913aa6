package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// The tests of actions.go that apply whole plans on the simulator, from outside the package
// (actions_test.go holds the internal ones): scale-in (deregister, drain, terminate, trim),
// profile repair, registration, the image bake and its crashes. docs/testing.md lists which
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
	t.Parallel()
	sim := testkit.NewSim(t, everyNodeReaches())
	s := threeZones(t)
	testkit.ConvergeSim(t, sim, s)
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
	setup := func(t *testing.T) (*simulator.Sim, *specs.Stack, string) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		s := blogStack(t)
		testkit.ConvergeSim(t, sim, s)
		w := sim.World()
		member := ""
		for i := range w.Instances {
			if w.Instances[i].Tags[cloud.TagFleet] != "" && w.Instances[i].State == "running" {
				w.Instances[i].IAMProfileARN, w.Instances[i].IAMAssociation = "", ""
				member = w.Instances[i].ID
			}
		}
		return testkit.NewSim(t, w), s, member
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
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
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
	t.Parallel()
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
	t.Parallel()
	t.Run("no target in a kept zone", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
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
		sim := testkit.NewSim(t, simulator.SeedWorld())
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

// TestCrashAfterCreateImage: the run crashed right after CreateImage, and the plan it resumes
// (made before the crash, as a re-plan is while a new image is not yet listed) bakes the
// image again. The engine finds the pending image by its name instead of baking twice.
func TestCrashAfterCreateImage(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	s := blogStack(t)
	p := planFor(t, sim, s)
	if !crashAfter(t, sim, p, "CreateImage", 1) {
		t.Fatal("no CreateImage call")
	}
	sim.ResetCalls()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := 0
	_, err := engine.Apply(ctx, p, testkit.API(sim), engine.Options{Clock: sim.Clock(), Events: func(engine.Event) {
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
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	p := planFor(t, sim, blogStack(t))
	api := testkit.API(sim)
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

// TestFailedImageHoldsItsName: a bake that failed leaves a failed image holding the name, so
// the re-run's CreateImage answers InvalidAMIName.Duplicate while no pending or available
// image has that name. The step fails at the propagation bound saying so, instead of waiting
// for ever.
func TestFailedImageHoldsItsName(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld(), simulator.WithFaults(simulator.Faults{
		ImageFailures: []simulator.ImageFault{{NameGlob: "web-*", Window: simulator.Window{Until: clock.Duration(time.Minute)}}},
	}))
	s := blogStack(t)
	if _, err := apply(t, sim, planFor(t, sim, s), engine.Options{}); err == nil || !strings.Contains(err.Error(), "failed: Server.InternalError") {
		t.Fatalf("first apply = %v, want the failed bake with EC2's reason", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := 0
	res, err := engine.Apply(ctx, planFor(t, sim, s), testkit.API(sim), engine.Options{Clock: sim.Clock(), Events: func(engine.Event) {
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
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	testkit.ConvergeSim(t, sim, blogStack(t))
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
	t.Parallel()
	step := func(id string) *plan.Plan {
		return &plan.Plan{Steps: []plan.Step{{ID: "register_target.x", Kind: plan.RegisterTarget,
			Target: &plan.TargetParams{TargetGroupARN: simulator.SeedTargetGroup, InstanceID: id, Port: 80, AZ: "ap-northeast-1d"}}}}
	}
	t.Run("runs in time", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		id := pendingInstance(t, sim)
		if _, err := apply(t, sim, step(id), engine.Options{}); err != nil {
			t.Fatal(err)
		}
		if st := targetState(t, sim, id); st != "healthy" {
			t.Errorf("target %q", st)
		}
	})
	t.Run("bound", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
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

// TestDeregisterImageNamesTheImage: refusing to deregister an image something still runs names
// the image by ID and name, and the instance that runs it.
func TestDeregisterImageNamesTheImage(t *testing.T) {
	t.Parallel()
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

// A terminate whose target is still in service gives the deregistration the propagation
// bound to show, and fails once more than the bound has passed, not on it: with a 5s bound,
// the poll exactly 5s in waits on, the one at 12.5s fails; the instance keeps running.
func TestTerminateOfAServingTargetFailsPastTheBound(t *testing.T) {
	t.Parallel()
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
