package cloud_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/cloud"
	"github.com/albctl/albctl/engine"
	"github.com/albctl/albctl/plan"
	"github.com/albctl/albctl/simulator"
	"github.com/albctl/albctl/specs"
)

// scaled returns a simulator on which the blog fleet has perZone instances in each of its two
// zones, made by a real plan and apply.
func scaled(t *testing.T, perZone int) (*simulator.Sim, *specs.Stack) {
	t.Helper()
	s, _, diags := specs.Load("../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for i := range s.Fleets[0].Zones {
		s.Fleets[0].Zones[i].Count = perZone
	}
	sim := simulator.New(simulator.SeedWorld())
	api := cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2()}
	w, err := cloud.Observe(context.Background(), api, s)
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
// per kind of thing, two DescribeInstances (the source by id or Name tag, then the members by
// tag filter). A new call here is a cost paid on every plan and apply; change this table on
// purpose, not to make the test pass.
var wantObserveCalls = map[string]int{
	"DescribeTargetGroups":          1,
	"DescribeTargetGroupAttributes": 1,
	"DescribeTargetHealth":          1,
	"DescribeLoadBalancers":         1,
	"DescribeInstances":             2,
	"DescribeImages":                1,
	"DescribeSubnets":               1,
}

func TestObserveCallsDoNotGrowWithInstances(t *testing.T) {
	for _, perZone := range []int{1, 25} {
		sim, s := scaled(t, perZone)
		sim.ResetCalls()
		w, err := cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2()}, s)
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
	s, _, diags := specs.Load("../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s.TargetGroups[0].Name = "nope-tg"
	s.LoadBalancers[0].Name = "nope-alb"
	s.Fleets[0].Source = "nope"
	sim := simulator.New(simulator.SeedWorld())
	w, err := cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2()}, s)
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
	s, _, diags := specs.Load("../examples/blog", specs.Options{})
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
	got, err := cloud.Observe(ctx, cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2()}, s)
	if err != nil {
		t.Fatal(err)
	}
	in, ok := got.Instance(id)
	if !ok || in.AZ != "ap-northeast-1a" {
		t.Fatalf("hand-registered target %s not observed with its zone: %+v", id, in)
	}
}
