package cloud_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// scaled returns a simulator on which the blog fleet has perZone instances in each of its two
// zones, made by a real plan and apply.
func scaled(t *testing.T, perZone int) (*simulator.Sim, *specs.Stack) {
	t.Helper()
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for i := range s.Fleets[0].Zones {
		s.Fleets[0].Zones[i].Count = perZone
	}
	sim := simulator.New(simulator.SeedWorld())
	api := cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}
	w, err := cloud.Observe(context.Background(), api, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(s, w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Apply(context.Background(), p, api, engine.Options{Clock: sim.Clock()}); err != nil {
		t.Fatal(err)
	}
	return sim, s
}

// Observe of the blog stack makes exactly these calls, however many members the fleet has: one
// per kind of thing, but DescribeInstances and DescribeImages (see the comments). A new call here is a cost paid on every plan and apply; change this table on
// purpose, not to make the test pass.
var wantObserveCalls = map[string]int{
	"DescribeTargetGroups":          1,
	"DescribeTargetGroupAttributes": 1,
	"DescribeTargetHealth":          1,
	"DescribeLoadBalancers":         1,
	"DescribeInstances":             2, // sources by Name tag, members by fleet tag (no image is old: no users asked for)
	"DescribeImages":                2, // by name, baked for the fleet
	// The tags of the snapshots of the images baked for the fleet (one filter, however many
	// images): clean-up deletes only those albctl tagged (docs/security.md, "Snapshots").
	"DescribeSnapshots":             1,
	"DescribeSubnets":               1,
	"DescribeInstanceTypeOfferings": 1,
	// The network between the load balancer's nodes and the members (docs/design.md,
	// "Reachability"): the groups of the ALB and the instances (one call: the web group's
	// rules name no group outside it), the VPC's ACLs, the ALB's attributes and listeners.
	"DescribeSecurityGroups":         1,
	"DescribeNetworkAcls":            1,
	"DescribeLoadBalancerAttributes": 1,
	"DescribeListeners":              1,
}

func TestObserveCallsDoNotGrowWithInstances(t *testing.T) {
	t.Parallel()
	for _, perZone := range []int{1, 25} {
		sim, s := scaled(t, perZone)
		sim.ResetCalls()
		w, err := cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(s))
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Instances) != 2*perZone {
			t.Fatalf("observed %d instances, want %d", len(w.Instances), 2*perZone)
		}
		got := sim.Calls()
		for op, n := range got {
			if want := wantObserveCalls[op]; n != want {
				t.Errorf("%d instances: Observe called %s %d times, want %d (all calls: %v)", 2*perZone, op, n, want, got)
			}
		}
		for op, want := range wantObserveCalls {
			if _, ok := got[op]; !ok {
				t.Errorf("%d instances: Observe never called %s, want %d calls (all calls: %v)", 2*perZone, op, want, got)
			}
		}
	}
}

func TestObserveReportsWhatIsMissing(t *testing.T) {
	t.Parallel()
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s.TargetGroups[0].Name = "nope-tg"
	s.LoadBalancers[0].Name = "nope-alb"
	s.Fleets[0].Source = "nope"
	sim := simulator.New(simulator.SeedWorld())
	w, err := cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`instance nope (source of fleet "web")`, "load balancer nope-alb", "target group nope-tg"}
	if len(w.Missing) != len(want) {
		t.Fatalf("missing = %q, want %q", w.Missing, want)
	}
	for i := range want {
		if w.Missing[i] != want[i] {
			t.Errorf("missing[%d] = %q, want %q", i, w.Missing[i], want[i])
		}
	}
}

// A target registered by hand (no albctl tags) still holds traffic: Observe reads its zone.
func TestObserveReadsTargetsRegisteredByHand(t *testing.T) {
	t.Parallel()
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sim := simulator.New(simulator.SeedWorld())
	ctx := context.Background()
	w := sim.World()
	out, err := sim.EC2().RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(w.Images[0].ID), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: aws.String(w.Instances[0].Subnet), InstanceType: "t3.small",
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	sim.Clock().Advance(time.Minute)
	if _, err := sim.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{
		TargetGroupArn: aws.String(w.TargetGroups[0].ARN), Targets: []elbtypes.TargetDescription{{Id: aws.String(id)}},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := cloud.Observe(ctx, cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	in, ok := got.Instance(id)
	if !ok || in.AZ != "ap-northeast-1a" {
		t.Fatalf("hand-registered target %s not observed with its zone: %+v", id, in)
	}
}

// TestObserveReadsPreflightFacts: the profiles the stack names (by ARN too), the instance
// type offerings in its zones, the subnets' free addresses, an image named by ID, and what
// is missing.
func TestObserveReadsPreflightFacts(t *testing.T) {
	t.Parallel()
	load := func() *specs.Stack {
		s, _, diags := specs.Load("../../examples/blog", specs.Options{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return s
	}
	w0 := simulator.SeedWorld()
	w0.InstanceTypeOfferings = map[string][]string{"ap-northeast-1d": {"t3.micro"}}
	sim := simulator.New(w0)
	api := cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}

	s := load()
	s.Fleets[0].IAMInstanceProfile = simulator.SeedProfileARN
	s.Fleets[0].Image = specs.Image{ID: simulator.SeedImage, Version: simulator.SeedImage, Keep: 2}
	w, err := cloud.Observe(context.Background(), api, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Missing) != 0 {
		t.Errorf("missing = %q", w.Missing)
	}
	if len(w.InstanceProfiles) != 1 || w.InstanceProfiles[0] != (cloud.InstanceProfile{Name: "web-app", ARN: simulator.SeedProfileARN}) {
		t.Errorf("profiles = %+v", w.InstanceProfiles)
	}
	src, ok := w.Instance(simulator.SeedInstance)
	if !ok {
		t.Fatal("source not observed")
	}
	if !w.OfferingsRead {
		t.Error("offerings not read")
	}
	offered := map[cloud.Offering]bool{}
	for _, o := range w.Offerings {
		offered[o] = true
	}
	if !offered[cloud.Offering{InstanceType: src.InstanceType, AZ: "ap-northeast-1a"}] || offered[cloud.Offering{InstanceType: src.InstanceType, AZ: "ap-northeast-1d"}] || len(w.Offerings) != 1 {
		t.Errorf("offerings = %+v; want %s in ap-northeast-1a only", w.Offerings, src.InstanceType)
	}
	if im := w.Images; len(im) != 1 || im[0].ID != simulator.SeedImage || im[0].Created.IsZero() {
		t.Errorf("images = %+v; want the image named by ID, with its creation date", im)
	}
	for _, sn := range w.Subnets {
		if sn.AvailableIPs <= 0 || sn.AvailableIPs > 251 {
			t.Errorf("subnet %s: %d free addresses in a /24", sn.ID, sn.AvailableIPs)
		}
	}

	s = load()
	s.Fleets[0].IAMInstanceProfile = "nope"
	s.Fleets[0].Image = specs.Image{ID: "ami-0123456789abcdef0", Version: "x", Keep: 2}
	w, err = cloud.Observe(context.Background(), api, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"image ami-0123456789abcdef0", "instance profile nope"}
	if !slices.Equal(w.Missing, want) {
		t.Errorf("missing = %q, want %q", w.Missing, want)
	}
}

// TestObserveFindsBakedImagesAndTheirUsers: after a version bump, the image baked for the old
// version is still observed (by its tags, with snapshots), and so is an instance launched
// from it by hand, which nothing else would find.
func TestObserveFindsBakedImagesAndTheirUsers(t *testing.T) {
	t.Parallel()
	sim, s := scaled(t, 1)
	api := cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}
	ctx := context.Background()
	old, ok := func() (*cloud.Image, bool) {
		w, err := cloud.Observe(ctx, api, plan.QueryOf(s))
		if err != nil {
			t.Fatal(err)
		}
		return w.ImageByName(s.Fleets[0].Image.Name)
	}()
	if !ok {
		t.Fatal("baked image not observed")
	}
	out, err := sim.EC2().RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(old.ID), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: aws.String(simulator.SeedSubnet1c), InstanceType: "t3.small",
	})
	if err != nil {
		t.Fatal(err)
	}
	byHand := aws.ToString(out.Instances[0].InstanceId)

	s.Fleets[0].Image.Name, s.Fleets[0].Image.Version = "web-2099-01-01", "2099-01-01"
	w, err := cloud.Observe(ctx, api, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	var got *cloud.Image
	for i := range w.Images {
		if w.Images[i].ID == old.ID {
			got = &w.Images[i]
		}
	}
	if got == nil {
		t.Fatalf("the image baked for the old version is not observed: %+v", w.Images)
	}
	if got.Created.IsZero() || len(got.SnapshotIDs) == 0 || got.Tags[cloud.TagFleet] != "web" {
		t.Errorf("baked image = %+v; want its creation date, snapshots and tags", got)
	}
	if in, ok := w.Instance(byHand); !ok || in.ImageID != old.ID {
		t.Errorf("the instance launched by hand from %s is not observed", old.ID)
	}
}

// tagNameFilters records the tag:Name filter values of every DescribeInstances call.
type tagNameFilters struct {
	cloud.EC2
	values []string
}

func (r *tagNameFilters) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	for _, f := range in.Filters {
		if aws.ToString(f.Name) == "tag:Name" {
			r.values = append(r.values, f.Values...)
		}
	}
	return r.EC2.DescribeInstances(ctx, in, opts...)
}

// Observe asks EC2 for a source's exact Name tag — * and ? escaped, as EC2 reads them as
// wildcards — and for source_pattern's pattern as it is; the seed instance "web" is the
// source only for the pattern.
func TestObserveLooksUpSourceNamesExactly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		source  string
		pattern bool
		sent    string
		found   bool
	}{
		{"w*", false, `w\*`, false},
		{`w?b\`, false, `w\?b\\`, false},
		{"web", false, "web", true},
		{"w*", true, "w*", true},
		{"w?b", true, "w?b", true},
	} {
		s, _, diags := specs.Load("../../examples/blog", specs.Options{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		s.Fleets[0].Source, s.Fleets[0].SourceIsPattern = tc.source, tc.pattern
		sim := simulator.New(simulator.SeedWorld())
		rec := &tagNameFilters{EC2: sim.EC2()}
		w, err := cloud.Observe(context.Background(), cloud.API{EC2: rec, ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(s))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rec.values, []string{tc.sent}) {
			t.Errorf("source %q (pattern %v): tag:Name values sent %q, want [%q]", tc.source, tc.pattern, rec.values, tc.sent)
		}
		if found := len(w.Sources(s.Fleets[0].Source, s.Fleets[0].SourceIsPattern)) == 1; found != tc.found {
			t.Errorf("source %q (pattern %v): found %v, want %v", tc.source, tc.pattern, found, tc.found)
		}
	}
}
