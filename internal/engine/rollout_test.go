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

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
	"github.com/aws/smithy-go"
)

// Tests of the rollout step kinds and semantics on hand-built plans: the engine acts on a
// plan's typed fields alone, so these do not depend on how plan.Build chooses its steps.

// fleetWorld is the seed scenario converged to the source plus two members (one more in
// ap-northeast-1a), all on the image baked for version 2023-05-14.
type fleetWorld struct {
	sim     *simulator.Sim
	members []cloud.Instance // the two members albctl launched, by ID
	source  cloud.Instance
}

func newFleetWorld(t *testing.T, behaviours ...simulator.ImageBehaviour) *fleetWorld {
	t.Helper()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	s := blogStack(t)
	s.Fleets[0].Zones[0].Count = 2
	testkit.ConvergeSim(t, sim, s)
	if len(behaviours) > 0 {
		w := sim.World()
		w.ImageBehaviours = append(w.ImageBehaviours, behaviours...)
		sim = testkit.NewSim(t, w)
	}
	w, err := cloud.Observe(context.Background(), testkit.API(sim), plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	fw := &fleetWorld{sim: sim}
	for _, in := range w.Instances {
		switch {
		case in.ID == simulator.SeedInstance:
			fw.source = in
		case in.Tags[cloud.TagFleet] == "web" && in.State == "running":
			fw.members = append(fw.members, in)
		}
	}
	if len(fw.members) != 2 || fw.source.ID == "" {
		t.Fatalf("fleet world: source %q and members %v; want the source and two members", fw.source.ID, fw.members)
	}
	return fw
}

func imageStep(name string) plan.Step {
	return plan.Step{
		ID: "create_image.v2", Kind: plan.CreateImage, Resource: "image " + name,
		Image: &plan.ImageParams{
			SourceInstanceID: simulator.SeedInstance, Name: name, NoReboot: true,
			Tags: map[string]string{cloud.TagStack: "web-tg", cloud.TagFleet: "web", cloud.TagImageVersion: "v2", "Name": name},
		},
	}
}

// replace returns the steps that replace old with a new member surge-first: launch, register
// (bounded by rollback), and only then deregister and terminate old (after its draining).
// after are the steps the launch waits for (the previous batch).
func replace(old cloud.Instance, n int, rollback *plan.RollbackParams, after ...string) []plan.Step {
	name := fmt.Sprintf("web-new-%d", n)
	launch := fmt.Sprintf("launch_instance.new%d", n)
	reg := fmt.Sprintf("register_target.new%d", n)
	dereg := fmt.Sprintf("deregister_target.old%d", n)
	return []plan.Step{
		{
			ID: launch, Kind: plan.LaunchInstance, Resource: "instance " + name, DependsOn: append([]string{"create_image.v2"}, after...),
			Launch: &plan.LaunchParams{
				ImageStep: "create_image.v2", ImageName: "web-v2", AZ: old.AZ, SubnetID: old.SubnetID,
				InstanceType: old.InstanceType, SecurityGroupIDs: old.SecurityGroupIDs, IAMProfile: "web-app",
				ClientToken: "engine-test-rollout-" + name, Replaces: old.Tags[cloud.TagSlot],
				Tags: map[string]string{"Name": name, cloud.TagStack: "web-tg", cloud.TagFleet: "web", cloud.TagImageVersion: "v2", cloud.TagSlot: fmt.Sprintf("%s/%d", old.AZ, 10+n)},
			},
		},
		{
			ID: reg, Kind: plan.RegisterTarget, Resource: "instance " + name, DependsOn: []string{launch},
			Target: &plan.TargetParams{TargetGroupARN: simulator.SeedTargetGroup, InstanceStep: launch, Port: 80, AZ: old.AZ, Name: name, Rollback: rollback},
		},
		{
			ID: dereg, Kind: plan.DeregisterTarget, Resource: "instance " + old.Tags["Name"], DependsOn: []string{reg},
			Target: &plan.TargetParams{TargetGroupARN: simulator.SeedTargetGroup, InstanceID: old.ID, Port: 80, AZ: old.AZ, Name: old.Tags["Name"]},
		},
		{
			ID: fmt.Sprintf("terminate_instance.old%d", n), Kind: plan.TerminateInstance, Resource: "instance " + old.Tags["Name"], DependsOn: []string{dereg},
			Terminate: &plan.TerminateParams{InstanceID: old.ID, Name: old.Tags["Name"], DrainFrom: []plan.TargetRef{{TargetGroupARN: simulator.SeedTargetGroup, Port: 80}}},
		},
	}
}

// rolloutPlan replaces both members, one at a time: the second launch waits until the first
// new member is healthy and the first old one has left service (surge of one).
func (fw *fleetWorld) rolloutPlan(rollback *plan.RollbackParams) *plan.Plan {
	p := &plan.Plan{Steps: []plan.Step{imageStep("web-v2")}}
	p.Steps = append(p.Steps, replace(fw.members[0], 1, rollback)...)
	p.Steps = append(p.Steps, replace(fw.members[1], 2, rollback, "register_target.new1", "deregister_target.old1")...)
	return p
}

// serving counts the healthy targets of the seed target group and the targets in service
// (registered, not draining), straight from the simulator.
func serving(t *testing.T, sim *simulator.Sim) (healthy, inService int) {
	t.Helper()
	out, err := sim.ELBV2().DescribeTargetHealth(context.Background(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(simulator.SeedTargetGroup)})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range out.TargetHealthDescriptions {
		switch d.TargetHealth.State {
		case elbtypes.TargetHealthStateEnumHealthy:
			healthy++
			inService++
		case elbtypes.TargetHealthStateEnumInitial, elbtypes.TargetHealthStateEnumUnhealthy:
			inService++
		}
	}
	return healthy, inService
}

func instanceState(t *testing.T, sim *simulator.Sim, id string) string {
	t.Helper()
	out, err := sim.EC2().DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{id}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			return string(in.State.Name)
		}
	}
	return "gone"
}

// targetState is the state of id in the seed target group ("" when not listed).
func targetState(t *testing.T, sim *simulator.Sim, id string) string {
	t.Helper()
	out, err := sim.ELBV2().DescribeTargetHealth(context.Background(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(simulator.SeedTargetGroup)})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range out.TargetHealthDescriptions {
		if aws.ToString(d.Target.Id) == id {
			return string(d.TargetHealth.State)
		}
	}
	return ""
}

// TestRolloutKeepsCapacity: two old members replaced by two new ones, surge first, one at a
// time. Sampled after every poll, healthy serving targets never drop below the fleet's three
// (source and two members) and never more than one extra is in service; draining of the
// first old member overlaps the second replacement; the source survives.
func TestRolloutKeepsCapacity(t *testing.T) {
	t.Parallel()
	fw := newFleetWorld(t)
	sim := fw.sim
	p := fw.rolloutPlan(&plan.RollbackParams{HealthTimeout: clock.Duration(10 * time.Minute), Auto: true})
	minHealthy, maxInService, samples := 99, 0, 0
	times := map[string]time.Time{}
	res, err := apply(t, sim, p, engine.Options{
		AfterPoll: func() {
			h, in := serving(t, sim)
			minHealthy, maxInService, samples = min(minHealthy, h), max(maxInService, in), samples+1
		},
		Events: func(e engine.Event) {
			if e.Type == engine.EventStarted || e.Type == engine.EventDone {
				times[string(e.Type)+" "+e.Step] = e.Time
			}
		},
	})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(res.Done) != len(p.Steps) {
		t.Fatalf("done %v of %d steps", res.Done, len(p.Steps))
	}
	if samples < 20 {
		t.Fatalf("only %d samples: the sampling is not exercised", samples)
	}
	if minHealthy < 3 {
		t.Errorf("healthy serving targets fell to %d during the rollout; the minimum is 3", minHealthy)
	}
	if maxInService > 4 {
		t.Errorf("%d targets in service at once; surge of one allows 4", maxInService)
	}
	// Draining overlaps the next replacement: the second launch starts before the first old
	// member is terminated, which waits for the 300s deregistration delay.
	if !times["step_started launch_instance.new2"].Before(times["step_done terminate_instance.old1"]) {
		t.Errorf("launch of new2 started %s, old1 terminated %s: draining did not overlap", times["step_started launch_instance.new2"], times["step_done terminate_instance.old1"])
	}
	if d := times["step_done terminate_instance.old1"].Sub(times["step_done deregister_target.old1"]); d < 300*time.Second {
		t.Errorf("old1 terminated %s after its deregistration; the deregistration delay is 300s", d)
	}
	if d := times["step_done deregister_target.old1"].Sub(times["step_started deregister_target.old1"]); d != 0 {
		t.Errorf("deregister_target took %s; it completes once DeregisterTargets is accepted", d)
	}
	for _, m := range fw.members {
		if st := instanceState(t, sim, m.ID); st != "terminated" {
			t.Errorf("old member %s is %s, want terminated", m.ID, st)
		}
	}
	if st := instanceState(t, sim, simulator.SeedInstance); st != "running" {
		t.Errorf("source is %s", st)
	}
	for _, step := range []string{"launch_instance.new1", "launch_instance.new2"} {
		if st := targetState(t, sim, res.Outputs[step]); st != "healthy" {
			t.Errorf("new member of %s is %q in the target group, want healthy", step, st)
		}
	}
}

// TestTerminateWaitsForDraining: a deregistered member is terminated only once it has stopped
// draining; sampled after every poll, the instance is never shutting down while draining.
func TestTerminateWaitsForDraining(t *testing.T) {
	t.Parallel()
	fw := newFleetWorld(t)
	sim, old := fw.sim, fw.members[0]
	p := &plan.Plan{Steps: replace(old, 1, nil)[2:]}
	p.Steps[0].DependsOn = nil
	violations := 0
	res, err := apply(t, sim, p, engine.Options{AfterPoll: func() {
		if st := instanceState(t, sim, old.ID); st != "running" && targetState(t, sim, old.ID) == "draining" {
			violations++
		}
	}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if violations > 0 {
		t.Errorf("%s was shutting down while still draining (%d samples)", old.ID, violations)
	}
	if e := res.Elapsed(); e < 300*time.Second {
		t.Errorf("apply took %s; terminating after draining takes the 300s deregistration delay", e)
	}
	if st := instanceState(t, sim, old.ID); st != "terminated" {
		t.Errorf("%s is %s", old.ID, st)
	}
}

// TestAutoRollback: the new image's app fails its health checks. With auto_rollback the new
// member is deregistered and terminated when its bound passes, the step fails naming it, and
// the old members still serve; without, it stays registered and the step fails.
func TestAutoRollback(t *testing.T) {
	t.Parallel()
	broken := simulator.ImageBehaviour{NameGlob: "web-v2*", App: &simulator.App{Health: "fails"}}
	for _, auto := range []bool{true, false} {
		t.Run(fmt.Sprintf("auto=%v", auto), func(t *testing.T) {
			fw := newFleetWorld(t, broken)
			sim := fw.sim
			p := fw.rolloutPlan(&plan.RollbackParams{HealthTimeout: clock.Duration(5 * time.Minute), Auto: auto})
			minHealthy := 99
			res, err := apply(t, sim, p, engine.Options{AfterPoll: func() {
				h, _ := serving(t, sim)
				minHealthy = min(minHealthy, h)
			}})
			if err == nil {
				t.Fatal("apply succeeded with a broken image")
			}
			if res.Failed != "register_target.new1" {
				t.Errorf("failed step %q, want register_target.new1", res.Failed)
			}
			newID := res.Outputs["launch_instance.new1"]
			for _, want := range []string{newID, "web-new-1", "unhealthy", "Target.ResponseCodeMismatch", "old members still serve"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if auto != errors.Is(err, engine.ErrRolledBack) {
				t.Errorf("auto=%v but errors.Is(err, ErrRolledBack) = %v", auto, !auto)
			}
			if minHealthy < 3 {
				t.Errorf("healthy serving targets fell to %d", minHealthy)
			}
			for _, m := range fw.members {
				if st := targetState(t, sim, m.ID); st != "healthy" {
					t.Errorf("old member %s is %q, want healthy", m.ID, st)
				}
			}
			sim.Clock().Advance(time.Minute) // shutting-down ends
			wantNew, wantTarget := "terminated", "draining"
			if !auto {
				wantNew, wantTarget = "running", "unhealthy"
			}
			if st := instanceState(t, sim, newID); st != wantNew {
				t.Errorf("new member is %s, want %s", st, wantNew)
			}
			if st := targetState(t, sim, newID); st != wantTarget {
				t.Errorf("new member's target is %q, want %q", st, wantTarget)
			}
			if slices.Contains(res.Done, "deregister_target.old1") || slices.Contains(res.Done, "launch_instance.new2") {
				t.Errorf("steps after the failed registration ran: %v", res.Done)
			}
		})
	}
}

// TestRolloutCrashAfterEveryStep stops the rollout after k steps, for every k, then applies
// the same plan again, as a resumed run would: it completes and nothing exists twice.
func TestRolloutCrashAfterEveryStep(t *testing.T) {
	t.Parallel()
	rollback := &plan.RollbackParams{HealthTimeout: clock.Duration(10 * time.Minute), Auto: true}
	n := len(newFleetWorld(t).rolloutPlan(rollback).Steps)
	for k := 1; k < n; k++ {
		t.Run(fmt.Sprintf("after_%d", k), func(t *testing.T) {
			fw := newFleetWorld(t)
			sim := fw.sim
			if _, err := apply(t, sim, fw.rolloutPlan(rollback), engine.Options{StopAfter: k}); !errors.Is(err, engine.ErrStopped) {
				t.Fatalf("apply with StopAfter %d: %v", k, err)
			}
			res, err := apply(t, sim, fw.rolloutPlan(rollback), engine.Options{})
			if err != nil {
				t.Fatalf("re-run: %v", err)
			}
			if len(res.Done) != n {
				t.Fatalf("re-run did %d of %d steps", len(res.Done), n)
			}
			if in, im := census(t, sim); in != 3 || im != 3 {
				t.Errorf("census: %d instances, %d images; want 3 (source, two new) and 3 (old AMI, two baked)", in, im)
			}
			if h, _ := serving(t, sim); h != 3 {
				t.Errorf("%d healthy targets, want 3", h)
			}
		})
	}
}

// TestNewKinds covers validate_launch, modify_health_check and wait one by one.
func TestNewKinds(t *testing.T) {
	t.Parallel()
	t.Run("validate_launch", func(t *testing.T) {
		fw := newFleetWorld(t)
		m := fw.members[0]
		p := &plan.Plan{Steps: []plan.Step{{ID: "validate_launch.a", Kind: plan.ValidateLaunch, Launch: &plan.LaunchParams{
			ImageID: simulator.SeedImage, AZ: m.AZ, SubnetID: m.SubnetID, InstanceType: m.InstanceType,
			SecurityGroupIDs: m.SecurityGroupIDs, IAMProfile: "web-app", ClientToken: "validate-a",
		}}}}
		before, _ := census(t, fw.sim)
		fw.sim.ResetCalls()
		if _, err := apply(t, fw.sim, p, engine.Options{}); err != nil {
			t.Fatalf("apply: %v", err)
		}
		if after, _ := census(t, fw.sim); after != before {
			t.Errorf("a validation launched something: %d instances, was %d", after, before)
		}
		if c := fw.sim.Calls()["RunInstances"]; c != 1 {
			t.Errorf("RunInstances called %d times, want one DryRun", c)
		}
	})
	t.Run("modify_health_check", func(t *testing.T) {
		fw := newFleetWorld(t)
		p := &plan.Plan{Steps: []plan.Step{{ID: "modify_health_check.web", Kind: plan.ModifyHealthCheck, HealthCheck: &plan.HealthCheckParams{
			TargetGroupARN: simulator.SeedTargetGroup, Path: aws.String("/healthz"), IntervalSeconds: aws.Int32(10),
			TimeoutSeconds: aws.Int32(5), HealthyThreshold: aws.Int32(3), Matcher: aws.String("200-299"),
		}}}}
		if _, err := apply(t, fw.sim, p, engine.Options{}); err != nil {
			t.Fatalf("apply: %v", err)
		}
		out, err := fw.sim.ELBV2().DescribeTargetGroups(context.Background(), &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{simulator.SeedTargetGroup}})
		if err != nil {
			t.Fatal(err)
		}
		tg := out.TargetGroups[0]
		got := fmt.Sprintf("%s %d %d %d %d %s", aws.ToString(tg.HealthCheckPath), aws.ToInt32(tg.HealthCheckIntervalSeconds), aws.ToInt32(tg.HealthCheckTimeoutSeconds),
			aws.ToInt32(tg.HealthyThresholdCount), aws.ToInt32(tg.UnhealthyThresholdCount), aws.ToString(tg.Matcher.HttpCode))
		if want := "/healthz 10 5 3 2 200-299"; got != want {
			t.Errorf("health check = %q, want %q (unset fields left as they were)", got, want)
		}
	})
	t.Run("wait", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		p := &plan.Plan{Steps: []plan.Step{{ID: "wait.web.batch-1", Kind: plan.Wait, Wait: &plan.WaitParams{Duration: clock.Duration(2*time.Minute + 7*time.Second)}}}}
		var waiting []string
		res, err := apply(t, sim, p, engine.Options{Events: func(e engine.Event) {
			if e.Type == engine.EventWaiting {
				waiting = append(waiting, e.Message)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		// Ends on time on the virtual clock, not a poll backoff later.
		if e := res.Elapsed(); e != 2*time.Minute+7*time.Second {
			t.Errorf("wait took %s, want 2m7s", e)
		}
		if len(waiting) == 0 || !strings.Contains(waiting[0], "left") {
			t.Errorf("progress = %q, want how long is left", waiting)
		}
	})
}

// bakeUnused makes an image of the source that nothing runs, and returns it with its snapshots.
func bakeUnused(t *testing.T, sim *simulator.Sim, name string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	out, err := sim.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(simulator.SeedInstance), Name: aws.String(name), NoReboot: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	sim.Clock().Advance(time.Hour)
	id := aws.ToString(out.ImageId)
	d, err := sim.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	var snaps []string
	for _, b := range d.Images[0].BlockDeviceMappings {
		if b.Ebs != nil && b.Ebs.SnapshotId != nil {
			snaps = append(snaps, *b.Ebs.SnapshotId)
		}
	}
	if len(snaps) == 0 {
		t.Fatalf("image %s has no snapshots", id)
	}
	return id, snaps
}

func cleanupPlan(id, name string, snaps []string) *plan.Plan {
	return &plan.Plan{Steps: []plan.Step{{ID: "deregister_image.web." + id, Kind: plan.DeregisterImage, Resource: "image " + name,
		Cleanup: &plan.CleanupParams{ImageID: id, ImageName: name, SnapshotIDs: snaps}}}}
}

func snapshotsLeft(sim *simulator.Sim, snaps []string) (left []string) {
	for _, s := range sim.World().Snapshots {
		if slices.Contains(snaps, s.ID) {
			left = append(left, s.ID)
		}
	}
	return left
}

// TestDeregisterImage: the image and its snapshots go; a re-run (whole, or after a crash
// between the two calls) succeeds; an image something still runs is refused before any
// change.
func TestDeregisterImage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("removes image and snapshots, idempotently", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		id, snaps := bakeUnused(t, sim, "web-old")
		for run := range 2 {
			if _, err := apply(t, sim, cleanupPlan(id, "web-old", snaps), engine.Options{}); err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			if left := snapshotsLeft(sim, snaps); len(left) > 0 {
				t.Errorf("run %d: snapshots left: %v", run, left)
			}
			out, err := sim.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"web-old"}}}})
			if err != nil {
				t.Fatal(err)
			}
			// EC2 lists a deregistered image for a while, as deregistered.
			for _, im := range out.Images {
				if im.State != ec2types.ImageStateDeregistered {
					t.Errorf("run %d: image %s is %s", run, aws.ToString(im.ImageId), im.State)
				}
			}
		}
	})
	t.Run("crash after deregistering", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		id, snaps := bakeUnused(t, sim, "web-old")
		if _, err := sim.EC2().DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		if _, err := apply(t, sim, cleanupPlan(id, "web-old", snaps), engine.Options{}); err != nil {
			t.Fatalf("apply: %v", err)
		}
		if left := snapshotsLeft(sim, snaps); len(left) > 0 {
			t.Errorf("snapshots left: %v", left)
		}
	})
	t.Run("refuses an image in use", func(t *testing.T) {
		fw := newFleetWorld(t)
		used := fw.members[0].ImageID
		fw.sim.ResetCalls()
		_, err := apply(t, fw.sim, cleanupPlan(used, "web-2023-05-14", nil), engine.Options{})
		if err == nil || !strings.Contains(err.Error(), fw.members[0].ID) {
			t.Fatalf("apply = %v, want a refusal naming %s", err, fw.members[0].ID)
		}
		if c := fw.sim.Calls()["DeregisterImage"]; c != 0 {
			t.Errorf("DeregisterImage called %d times", c)
		}
	})
}

// TestPermanentErrorFailsWithinOneCall: a request AWS refuses for what it says (not for
// load or timing) fails its step on the first call, with the AWS code, and no retry.
func TestPermanentErrorFailsWithinOneCall(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, op, code string
		step           func(fw *fleetWorld) plan.Step
	}{
		{"unknown instance type", "RunInstances", "InvalidParameterValue", func(fw *fleetWorld) plan.Step {
			s := replace(fw.members[0], 1, nil)[0]
			s.DependsOn, s.Launch.ImageStep, s.Launch.ImageID = nil, "", simulator.SeedImage
			s.Launch.InstanceType = "t3.huge-nope"
			return s
		}},
		{"validation in an unknown subnet", "RunInstances", "InvalidSubnetID.NotFound", func(fw *fleetWorld) plan.Step {
			s := replace(fw.members[0], 1, nil)[0]
			s.ID, s.Kind, s.DependsOn, s.Launch.ImageStep, s.Launch.ImageID = "validate_launch.x", plan.ValidateLaunch, nil, "", simulator.SeedImage
			s.Launch.SubnetID = "subnet-0123456789abcdef0"
			return s
		}},
		{"validation with a missing image", "RunInstances", "InvalidAMIID.NotFound", func(fw *fleetWorld) plan.Step {
			s := replace(fw.members[0], 1, nil)[0]
			s.ID, s.Kind, s.DependsOn, s.Launch.ImageStep, s.Launch.ImageID = "validate_launch.x", plan.ValidateLaunch, nil, "", "ami-0123456789abcdef0"
			return s
		}},
		{"health check out of range", "ModifyTargetGroup", "ValidationError", func(*fleetWorld) plan.Step {
			return plan.Step{ID: "modify_health_check.web", Kind: plan.ModifyHealthCheck, HealthCheck: &plan.HealthCheckParams{
				TargetGroupARN: simulator.SeedTargetGroup, IntervalSeconds: aws.Int32(1)}}
		}},
		{"bad stickiness", "ModifyTargetGroupAttributes", "InvalidConfigurationRequest", func(*fleetWorld) plan.Step {
			return plan.Step{ID: "enable_stickiness.web", Kind: plan.EnableStickiness, Stickiness: &plan.StickinessParams{
				TargetGroupARN: simulator.SeedTargetGroup, Attributes: map[string]string{"stickiness.lb_cookie.duration_seconds": "0", "stickiness.enabled": "true"}}}
		}},
		{"malformed image", "DeregisterImage", "InvalidAMIID.Malformed", func(*fleetWorld) plan.Step {
			return cleanupPlan("ami-nope", "x", nil).Steps[0]
		}},
		{"one zone left", "SetSubnets", "ValidationError", func(*fleetWorld) plan.Step {
			return plan.Step{ID: "add_zones.web", Kind: plan.AddZones, Zones: &plan.ZonesParams{
				LoadBalancerARN: simulator.SeedALB, SubnetIDs: []string{simulator.SeedSubnet1a}, AZs: []string{"ap-northeast-1a"}}}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fw := newFleetWorld(t)
			p := &plan.Plan{Steps: []plan.Step{c.step(fw)}}
			fw.sim.ResetCalls()
			var retries int
			_, err := apply(t, fw.sim, p, engine.Options{Events: func(e engine.Event) {
				if e.Type == engine.EventRetry {
					retries++
				}
			}})
			if err == nil {
				t.Fatal("apply succeeded")
			}
			if got := cloud.ErrorCode(err); c.code != "" && got != c.code {
				t.Errorf("error code %q, want %q: %v", got, c.code, err)
			}
			if cloud.ErrorCode(err) == "" {
				t.Errorf("error %q carries no AWS code", err)
			}
			if !strings.Contains(err.Error(), c.op) {
				t.Errorf("error %q does not name the operation %s", err, c.op)
			}
			if n := fw.sim.Calls()[c.op]; n != 1 || retries != 0 {
				t.Errorf("%s called %d times with %d retries; a permanent error fails within one call", c.op, n, retries)
			}
		})
	}
}

// TestStoppedInstanceIsNotRegistered: registering an instance that stopped since the plan
// fails at once, naming it, without waiting for health.
func TestStoppedInstanceIsNotRegistered(t *testing.T) {
	t.Parallel()
	fw := newFleetWorld(t)
	w := fw.sim.World()
	old := fw.members[0]
	for i := range w.Instances {
		if w.Instances[i].ID == old.ID {
			w.Instances[i].State = "stopped"
		}
	}
	sim := testkit.NewSim(t, w)
	p := &plan.Plan{Steps: []plan.Step{{ID: "register_target.x", Kind: plan.RegisterTarget,
		Target: &plan.TargetParams{TargetGroupARN: simulator.SeedTargetGroup, InstanceID: old.ID, Port: 80, Name: "web-1a-1"}}}}
	res, err := apply(t, sim, p, engine.Options{})
	if err == nil || !strings.Contains(err.Error(), "stopped") || !strings.Contains(err.Error(), old.ID) {
		t.Fatalf("apply = %v, want a failure naming the stopped instance", err)
	}
	if res.Elapsed() > time.Minute {
		t.Errorf("took %s to fail", res.Elapsed())
	}
}

// TestPlanRefusedBeforeAnyCall: a plan with a broken shape, or one that breaks an invariant
// over the world it was made for (plan.Check), is refused before the first API call.
func TestPlanRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	s := blogStack(t)
	w, err := cloud.Observe(context.Background(), testkit.API(sim), plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	good, err := plan.Build(s, w)
	if err != nil {
		t.Fatal(err)
	}
	clone := func() *plan.Plan {
		p := &plan.Plan{}
		for _, st := range good.Steps {
			st.DependsOn = slices.Clone(st.DependsOn)
			p.Steps = append(p.Steps, st)
		}
		return p
	}
	for _, c := range []struct {
		name  string
		edit  func(*plan.Plan)
		world *cloud.World
	}{
		{"unknown dependency", func(p *plan.Plan) { p.Steps[0].DependsOn = append(p.Steps[0].DependsOn, "nope") }, nil},
		{"cycle", func(p *plan.Plan) {
			last := &p.Steps[len(p.Steps)-1]
			p.Steps[0].DependsOn = append(p.Steps[0].DependsOn, last.ID)
		}, nil},
		{"kind without parameters", func(p *plan.Plan) { p.Steps[0].Image, p.Steps[0].Launch = nil, nil }, nil},
		{"register before stickiness (plan.Check)", func(p *plan.Plan) {
			for i := range p.Steps {
				if p.Steps[i].Kind == plan.RegisterTarget {
					p.Steps[i].DependsOn = slices.DeleteFunc(p.Steps[i].DependsOn, func(d string) bool { return strings.HasPrefix(d, "enable_stickiness") })
				}
			}
		}, w},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := clone()
			c.edit(p)
			sim.ResetCalls()
			_, err := engine.Apply(context.Background(), p, testkit.API(sim), engine.Options{Clock: sim.Clock(), World: c.world})
			if !errors.Is(err, engine.ErrInvalidPlan) {
				t.Fatalf("apply = %v, want ErrInvalidPlan", err)
			}
			if calls := sim.Calls(); len(calls) != 0 {
				t.Errorf("calls before the refusal: %v", calls)
			}
		})
	}
	// The plan as built passes.
	if _, err := engine.Apply(context.Background(), clone(), testkit.API(sim), engine.Options{Clock: sim.Clock(), World: w}); err != nil {
		t.Fatalf("the plan as built: %v", err)
	}
}

// TestVersionBumpResumesAfterEveryStep: a real plan (plan.Build) of a version bump on a
// converged fleet, stopped after k steps for every k, then re-planned and re-applied until
// converged: the fleet ends on the new image with nothing twice and the source untouched.
func TestVersionBumpResumesAfterEveryStep(t *testing.T) {
	t.Parallel()
	bumped := func(t *testing.T) (*simulator.Sim, *plan.Plan, func() *plan.Plan) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		s := blogStack(t)
		s.Fleets[0].Zones[0].Count = 2
		testkit.ConvergeSim(t, sim, s)
		s.Fleets[0].Image.Version = "2023-06-01"
		s.Fleets[0].Image.Name = "web-2023-06-01"
		again := func() *plan.Plan { return planFor(t, sim, s) }
		return sim, again(), again
	}
	_, p, _ := bumped(t)
	kinds := map[plan.Kind]bool{}
	for _, st := range p.Steps {
		kinds[st.Kind] = true
	}
	for _, k := range []plan.Kind{plan.CreateImage, plan.LaunchInstance, plan.RegisterTarget, plan.DeregisterTarget, plan.TerminateInstance} {
		if !kinds[k] {
			t.Fatalf("the version bump plans no %s: %v", k, p.Steps)
		}
	}
	for k := 1; k < len(p.Steps); k++ {
		t.Run(fmt.Sprintf("after_%d", k), func(t *testing.T) {
			sim, p, replan := bumped(t)
			if _, err := apply(t, sim, p, engine.Options{StopAfter: k}); !errors.Is(err, engine.ErrStopped) {
				t.Fatalf("apply with StopAfter %d: %v", k, err)
			}
			for range 4 {
				p := replan()
				if p.Empty() {
					break
				}
				if _, err := apply(t, sim, p, engine.Options{}); err != nil {
					t.Fatalf("resume: %v", err)
				}
			}
			if p := replan(); !p.Empty() {
				t.Fatalf("not converged: %v", p.Steps)
			}
			if in, im := census(t, sim); in != 3 || im != 3 {
				t.Errorf("census: %d instances, %d images; want 3 and 3", in, im)
			}
			if st := instanceState(t, sim, simulator.SeedInstance); st != "running" {
				t.Errorf("source is %s", st)
			}
		})
	}
}

// A health timeout rolls back once more than its bound has passed since the registration,
// not on it: with a 5s bound, the first poll (exactly 5s after the registration, where the
// poll backoff starts) still reads the target's health, so the error reports what it was.
func TestHealthTimeoutOnlyPastItsBound(t *testing.T) {
	t.Parallel()
	broken := simulator.ImageBehaviour{NameGlob: "web-v2*", App: &simulator.App{Health: "fails"}}
	fw := newFleetWorld(t, broken)
	p := fw.rolloutPlan(&plan.RollbackParams{HealthTimeout: clock.Duration(5 * time.Second), Auto: true})
	_, err := apply(t, fw.sim, p, engine.Options{})
	if !errors.Is(err, engine.ErrRolledBack) || !strings.Contains(err.Error(), "not healthy within 5s (last: initial") {
		t.Fatalf("apply: %v, want a rollback after one reading of the target's health", err)
	}
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
	t.Parallel()
	broken := simulator.ImageBehaviour{NameGlob: "web-v2*", App: &simulator.App{Health: "fails"}}
	fw := newFleetWorld(t, broken)
	p := &plan.Plan{Steps: append([]plan.Step{imageStep("web-v2")}, replace(fw.members[0], 1, &plan.RollbackParams{HealthTimeout: clock.Duration(5 * time.Minute), Auto: true})[:2]...)}
	api := testkit.API(fw.sim)
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
