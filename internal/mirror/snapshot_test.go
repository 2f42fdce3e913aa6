package mirror_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

var (
	_ mirror.SnapshotEC2   = (*simulator.EC2)(nil)
	_ mirror.SnapshotELBV2 = (*simulator.ELBV2)(nil)
)

// worldIAM lists a world's instance profiles, as IAM would: the simulator has no IAM API.
type worldIAM struct{ w *simulator.World }

func (f worldIAM) ListInstanceProfiles(_ context.Context, _ *iam.ListInstanceProfilesInput, _ ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error) {
	out := &iam.ListInstanceProfilesOutput{}
	for _, p := range f.w.InstanceProfiles {
		out.InstanceProfiles = append(out.InstanceProfiles, iamtypes.InstanceProfile{
			InstanceProfileName: aws.String(p.Name),
			Arn:                 aws.String(p.ARN),
			InstanceProfileId:   aws.String(p.ID),
			CreateDate:          aws.Time(p.CreatedAt),
			Path:                aws.String("/"),
		})
	}
	return out, nil
}

func snapshot(t *testing.T, sim *simulator.Sim) *simulator.World {
	t.Helper()
	w, _ := snapshotNotes(t, sim)
	return w
}

func snapshotNotes(t *testing.T, sim *simulator.Sim) (*simulator.World, []mirror.Assumption) {
	t.Helper()
	w, notes, err := mirror.Snapshot(context.Background(), mirror.SnapshotAPI{
		EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: worldIAM{sim.World()},
	}, "ap-northeast-1")
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return w, notes
}

func blog(t *testing.T) *specs.Stack {
	t.Helper()
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return s
}

func planOn(t *testing.T, sim *simulator.Sim, stack *specs.Stack) *plan.Plan {
	t.Helper()
	w, err := cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(stack))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(stack, w)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func kinds(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.ID)
	}
	return out
}

func marshal(t *testing.T, w *simulator.World) []byte {
	t.Helper()
	b, err := w.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSnapshotOfSeedWorld reads the seed scenario back from the simulator: every resource
// is there under its ID, the clock is the latest time stamp plus SettleMargin, the output is
// the same byte for byte each time, and the blog spec plans the same steps on the copy.
func TestSnapshotOfSeedWorld(t *testing.T) {
	t.Parallel()
	seed := simulator.SeedWorld()
	sim := simulator.New(simulator.SeedWorld())
	snap := snapshot(t, sim)

	if snap.AccountID != seed.AccountID || snap.Region != seed.Region {
		t.Errorf("account %s region %s, want %s %s", snap.AccountID, snap.Region, seed.AccountID, seed.Region)
	}
	if want := seed.Instances[0].LaunchTime.Add(mirror.SettleMargin); !snap.Now.Equal(want) {
		t.Errorf("now = %s, want the latest launch plus the margin, %s", snap.Now, want)
	}
	ids := func(w *simulator.World) []string {
		var out []string
		for _, v := range w.VPCs {
			out = append(out, v.ID)
		}
		for _, s := range w.Subnets {
			out = append(out, s.ID+"@"+s.AZ+"@"+s.CIDR)
		}
		for _, g := range w.SecurityGroups {
			out = append(out, g.ID+"@"+g.Name)
		}
		for _, p := range w.InstanceProfiles {
			out = append(out, p.ARN)
		}
		for _, im := range w.Images {
			out = append(out, im.ID+"@"+im.Name+"@"+im.State)
		}
		for _, in := range w.Instances {
			out = append(out, in.ID+"@"+in.State+"@"+in.Subnet+"@"+in.IAMProfileARN+"@"+in.Key)
		}
		for _, lb := range w.LoadBalancers {
			out = append(out, lb.ARN+"@"+lb.State)
			for _, z := range lb.Subnets {
				out = append(out, z.AZ+"@"+z.Subnet)
			}
		}
		for _, l := range w.Listeners {
			out = append(out, l.ARN+"@"+l.TargetGroup)
		}
		for _, tg := range w.TargetGroups {
			out = append(out, tg.ARN)
			for _, tt := range tg.Targets {
				out = append(out, tt.ID)
			}
		}
		return out
	}
	if got, want := ids(snap), ids(seed); !slices.Equal(got, want) {
		t.Errorf("snapshot resources differ from the seed world:\n got %v\nwant %v", got, want)
	}
	if !bytes.Equal(marshal(t, snap), marshal(t, snapshot(t, sim))) {
		t.Error("two snapshots of the same state differ")
	}
	stack := blog(t)
	if got, want := kinds(planOn(t, simulator.New(snap), stack)), kinds(planOn(t, simulator.New(simulator.SeedWorld()), stack)); !slices.Equal(got, want) {
		t.Errorf("plan on the snapshot %v, on the seed world %v", got, want)
	}
}

// TestSnapshotMidApply stops an apply after every step, as a crash would, and snapshots the
// world in flight (pending image, pending instance, initial and draining targets): the
// snapshot must load, and an apply on it must converge.
func TestSnapshotMidApply(t *testing.T) {
	t.Parallel()
	stack := blog(t)
	n := len(planOn(t, simulator.New(simulator.SeedWorld()), stack).Steps)
	for k := 1; k <= n; k++ {
		sim := simulator.New(simulator.SeedWorld())
		p := planOn(t, sim, stack)
		_, err := engine.Apply(context.Background(), p, cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, engine.Options{Clock: sim.Clock(), StopAfter: k})
		if err != nil && !errors.Is(err, engine.ErrStopped) {
			t.Fatalf("stop after %d: %v", k, err)
		}
		snap := snapshot(t, sim)
		if _, err := simulator.ParseWorld(marshal(t, snap)); err != nil {
			t.Fatalf("stop after %d: the snapshot does not load: %v", k, err)
		}
		again := simulator.New(snap)
		for range 3 {
			p := planOn(t, again, stack)
			if p.Empty() {
				break
			}
			if _, err := engine.Apply(context.Background(), p, cloud.API{EC2: again.EC2(), ELBV2: again.ELBV2(), IAM: again.IAM()}, engine.Options{Clock: again.Clock()}); err != nil {
				t.Fatalf("stop after %d: apply on the snapshot: %v", k, err)
			}
		}
		if p := planOn(t, again, stack); !p.Empty() {
			t.Fatalf("stop after %d: no convergence on the snapshot: %v", k, kinds(p))
		}
	}
}

// TestSnapshotAfterApplyPlansNoChanges is the promise of `albctl sim snapshot`: a copy of a
// converged account plans no changes on the simulator.
func TestSnapshotAfterApplyPlansNoChanges(t *testing.T) {
	t.Parallel()
	stack := blog(t)
	sim := simulator.New(simulator.SeedWorld())
	p := planOn(t, sim, stack)
	if _, err := engine.Apply(context.Background(), p, cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, engine.Options{Clock: sim.Clock()}); err != nil {
		t.Fatal(err)
	}
	snap := snapshot(t, sim)
	if p := planOn(t, simulator.New(snap), stack); !p.Empty() {
		t.Fatalf("the snapshot of a converged world plans %v", kinds(p))
	}
}

// TestSnapshotInFlight snapshots a world where things are in motion (a pending image, a
// pending instance, one shutting down, an initial and a draining target): the copy reports
// the same states, and they settle on its clock as AWS's would.
func TestSnapshotInFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := simulator.New(simulator.SeedWorld())
	launch := func() string {
		t.Helper()
		out, err := sim.EC2().RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId: aws.String(simulator.SeedImage), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			SubnetId: aws.String(simulator.SeedSubnet1d), InstanceType: "t3.small",
		})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Instances[0].InstanceId)
	}
	target := func(id string) []elbtypes.TargetDescription {
		return []elbtypes.TargetDescription{{Id: aws.String(id), Port: aws.Int32(80)}}
	}
	a, b := launch(), launch()
	sim.Clock().Advance(2 * time.Minute)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tg := aws.String(simulator.SeedTargetGroup)
	must(sim.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg, Targets: target(a)}))
	must(sim.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{b}}))
	c := launch()
	must(sim.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(a), Name: aws.String("web-in-flight"), NoReboot: aws.Bool(true)}))
	must(sim.ELBV2().DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: tg, Targets: target(simulator.SeedInstance)}))

	want := states{
		Instances: map[string]string{simulator.SeedInstance: "running", a: "running", b: "shutting-down", c: "pending"},
		Images:    map[string]string{"web-base-2022-11-01": "available", "web-in-flight": "pending"},
		Targets:   map[string]string{simulator.SeedInstance: "draining", a: "initial"},
	}
	if diff := cmp.Diff(want, readStates(t, sim)); diff != "" {
		t.Fatalf("setup (-want +got):\n%s", diff)
	}
	copied := simulator.New(snapshot(t, sim))
	if diff := cmp.Diff(want, readStates(t, copied)); diff != "" {
		t.Errorf("the snapshot reads otherwise than the original (-original +snapshot):\n%s", diff)
	}
	copied.Clock().Advance(10 * time.Minute)
	settled := states{
		Instances: map[string]string{simulator.SeedInstance: "running", a: "running", b: "terminated", c: "running"},
		Images:    map[string]string{"web-base-2022-11-01": "available", "web-in-flight": "available"},
		Targets:   map[string]string{a: "healthy"},
	}
	if diff := cmp.Diff(settled, readStates(t, copied)); diff != "" {
		t.Errorf("10 minutes on, the snapshot reads (-want +got):\n%s", diff)
	}
}

// states are the states of a world's instances by ID, images by name and the seed target
// group's targets by ID.
type states struct{ Instances, Images, Targets map[string]string }

func readStates(t *testing.T, s *simulator.Sim) states {
	t.Helper()
	ctx := context.Background()
	st := states{map[string]string{}, map[string]string{}, map[string]string{}}
	out, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			st.Instances[aws.ToString(in.InstanceId)] = string(in.State.Name)
		}
	}
	im, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range im.Images {
		st.Images[aws.ToString(i.Name)] = string(i.State)
	}
	th, err := s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(simulator.SeedTargetGroup)})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range th.TargetHealthDescriptions {
		st.Targets[aws.ToString(d.Target.Id)] = string(d.TargetHealth.State)
	}
	return st
}
