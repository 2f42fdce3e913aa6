package cloud_test

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/bench"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// jitter delays every call by a duration drawn from the request and a seed, so that each
// seed makes the answers arrive in another order. Only the order is at stake: nothing here
// asserts a time.
type jitter struct {
	cloud.EC2
	elb  cloud.ELBV2
	seed uint32
}

func (j *jitter) wait(what string) {
	h := fnv.New32a()
	h.Write([]byte(what))
	time.Sleep(time.Duration((h.Sum32()^j.seed)%2000) * time.Microsecond)
}

func (j *jitter) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, f ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	j.wait(aws.ToString(in.Filters[0].Name) + in.Filters[0].Values[0] + aws.ToString(in.NextToken))
	return j.EC2.DescribeInstances(ctx, in, f...)
}

func (j *jitter) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, f ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	j.wait(aws.ToString(in.Filters[0].Name) + in.Filters[0].Values[0])
	return j.EC2.DescribeImages(ctx, in, f...)
}

func (j *jitter) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, f ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	j.wait("subnets" + in.Filters[0].Values[0])
	return j.EC2.DescribeSubnets(ctx, in, f...)
}

func (j *jitter) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, f ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	j.wait("groups" + in.Filters[0].Values[0] + aws.ToString(in.NextToken))
	return j.EC2.DescribeSecurityGroups(ctx, in, f...)
}

func (j *jitter) DescribeNetworkAcls(ctx context.Context, in *ec2.DescribeNetworkAclsInput, f ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error) {
	j.wait("acls" + in.Filters[0].Values[0] + aws.ToString(in.NextToken))
	return j.EC2.DescribeNetworkAcls(ctx, in, f...)
}

type jitterELB struct{ *jitter }

func (j jitterELB) DescribeLoadBalancerAttributes(ctx context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, f ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	j.wait("lbattrs" + aws.ToString(in.LoadBalancerArn))
	return j.elb.DescribeLoadBalancerAttributes(ctx, in, f...)
}

func (j jitterELB) DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput, f ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	j.wait("listeners" + aws.ToString(in.LoadBalancerArn))
	return j.elb.DescribeListeners(ctx, in, f...)
}

func (j jitterELB) DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	j.wait("tg")
	return j.elb.DescribeTargetGroups(ctx, in, f...)
}

func (j jitterELB) DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, f ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	j.wait("lb")
	return j.elb.DescribeLoadBalancers(ctx, in, f...)
}

func (j jitterELB) DescribeTargetGroupAttributes(ctx context.Context, in *elbv2.DescribeTargetGroupAttributesInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	j.wait("attrs" + aws.ToString(in.TargetGroupArn))
	return j.elb.DescribeTargetGroupAttributes(ctx, in, f...)
}

func (j jitterELB) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	j.wait("health" + aws.ToString(in.TargetGroupArn))
	return j.elb.DescribeTargetHealth(ctx, in, f...)
}

func (j jitterELB) ModifyTargetGroupAttributes(ctx context.Context, in *elbv2.ModifyTargetGroupAttributesInput, f ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupAttributesOutput, error) {
	return j.elb.ModifyTargetGroupAttributes(ctx, in, f...)
}

func (j jitterELB) RegisterTargets(ctx context.Context, in *elbv2.RegisterTargetsInput, f ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error) {
	return j.elb.RegisterTargets(ctx, in, f...)
}

func (j jitterELB) DeregisterTargets(ctx context.Context, in *elbv2.DeregisterTargetsInput, f ...func(*elbv2.Options)) (*elbv2.DeregisterTargetsOutput, error) {
	return j.elb.DeregisterTargets(ctx, in, f...)
}

func (j jitterELB) SetSubnets(ctx context.Context, in *elbv2.SetSubnetsInput, f ...func(*elbv2.Options)) (*elbv2.SetSubnetsOutput, error) {
	return j.elb.SetSubnets(ctx, in, f...)
}

func (j jitterELB) ModifyTargetGroup(ctx context.Context, in *elbv2.ModifyTargetGroupInput, f ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupOutput, error) {
	return j.elb.ModifyTargetGroup(ctx, in, f...)
}

func jittered(api cloud.API, seed uint32) cloud.API {
	j := &jitter{EC2: api.EC2, elb: api.ELBV2, seed: seed}
	return cloud.API{EC2: j, ELBV2: jitterELB{j}, IAM: api.IAM}
}

// richWorld is a world of three fleets with everything Observe reads in more than one
// step: after a version bump of the first fleet (its old image has a user launched by
// hand), a target registered by hand, a profile IAM does not know and a missing load
// balancer.
func richWorld(t *testing.T) (*simulator.Sim, *specs.Stack, string) {
	t.Helper()
	w, stack := bench.Generate(1900, 7)
	sim := simulator.New(w)
	ctx := context.Background()
	old := w.Images[1] // the first fleet's image
	out, err := sim.EC2().RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(old.ID), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: aws.String(w.Subnets[0].ID), InstanceType: "t3.small",
	})
	if err != nil {
		t.Fatal(err)
	}
	byHand := aws.ToString(out.Instances[0].InstanceId)
	sim.Clock().Advance(time.Minute)
	if _, err := sim.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{
		TargetGroupArn: aws.String(w.TargetGroups[1].ARN), Targets: []elbtypes.TargetDescription{{Id: aws.String(byHand)}},
	}); err != nil {
		t.Fatal(err)
	}
	stack.Fleets[0].Image = specs.Image{Name: stack.Fleets[0].Label + "-v2", Version: "v2", Keep: 1}
	stack.Fleets[1].IAMInstanceProfile = "nope"
	stack.LoadBalancers = append(stack.LoadBalancers, specs.LoadBalancer{Label: "gone", Name: "gone-alb"})
	return sim, stack, byHand
}

// TestObserveSameWorldWhateverTheOrder: one call at a time, or many in flight with the
// answers arriving in many different orders, Observe sees the same world.
func TestObserveSameWorldWhateverTheOrder(t *testing.T) {
	t.Parallel()
	sim, stack, byHand := richWorld(t)
	ctx := context.Background()
	var want cloud.ObserveStats
	ref, err := cloud.ObserveWith(ctx, testkit.API(sim), plan.QueryOf(stack), cloud.ObserveOptions{MaxInFlight: 1, Stats: &want})
	if err != nil {
		t.Fatal(err)
	}
	if in, ok := ref.Instance(byHand); !ok || in.ImageID == "" {
		t.Fatalf("the instance registered by hand is not observed")
	}
	wantMissing := []string{"instance profile nope", "load balancer gone-alb"}
	if diff := cmp.Diff(wantMissing, ref.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	for seed := range uint32(12) {
		var st cloud.ObserveStats
		got, err := cloud.ObserveWith(ctx, jittered(testkit.API(sim), seed*0x9e3779b9), plan.QueryOf(stack), cloud.ObserveOptions{MaxInFlight: int(seed%4)*5 + 2, Stats: &st})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ref, got); diff != "" {
			t.Fatalf("seed %d: the world differs from the one read one call at a time (-one at a time +concurrent):\n%s", seed, diff)
		}
		if st != want {
			t.Errorf("seed %d: stats %+v, one at a time %+v", seed, st, want)
		}
	}
}

// TestObserveDepth: the reads of a converged stack take two round trips (target groups,
// then their health and attributes); a target registered by hand adds the one that reads
// its instance. The depth does not depend on how many calls may be in flight.
func TestObserveDepth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, stack := bench.Generate(1900, 7)
	sim := simulator.New(w)
	for _, max := range []int{1, 4, cloud.DefaultMaxInFlight} {
		var st cloud.ObserveStats
		sim.ResetCalls()
		if _, err := cloud.ObserveWith(ctx, testkit.API(sim), plan.QueryOf(stack), cloud.ObserveOptions{MaxInFlight: max, Stats: &st}); err != nil {
			t.Fatal(err)
		}
		calls := 0
		for _, n := range sim.Calls() {
			calls += n
		}
		if st.Depth != 2 || st.Calls != calls {
			t.Errorf("converged, %d in flight: %+v; want depth 2 and %d calls", max, st, calls)
		}
	}
	sim, stack, _ = richWorld(t)
	var st cloud.ObserveStats
	if _, err := cloud.ObserveWith(ctx, testkit.API(sim), plan.QueryOf(stack), cloud.ObserveOptions{Stats: &st}); err != nil {
		t.Fatal(err)
	}
	if st.Depth != 3 {
		t.Errorf("with a target registered by hand: depth %d, want 3", st.Depth)
	}
}

// rendezvous holds the first call until a second one arrives: only reads that really run
// side by side get past it. It also records the most calls ever in flight.
type rendezvous struct {
	cloud.ELBV2
	mu            sync.Mutex
	inFlight, max int
	first         chan struct{}
	met           bool
}

func (r *rendezvous) enter() error {
	r.mu.Lock()
	r.inFlight++
	r.max = max(r.max, r.inFlight)
	n := r.inFlight
	r.mu.Unlock()
	if n >= 2 {
		r.mu.Lock()
		if !r.met {
			r.met = true
			close(r.first)
		}
		r.mu.Unlock()
		return nil
	}
	select {
	case <-r.first:
		return nil
	case <-time.After(10 * time.Second): // a guard against a deadlock, not a measurement
		return errors.New("no second call came while the first was in flight")
	}
}

func (r *rendezvous) leave() {
	r.mu.Lock()
	r.inFlight--
	r.mu.Unlock()
}

func (r *rendezvous) DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	defer r.leave()
	if err := r.enter(); err != nil {
		return nil, err
	}
	return r.ELBV2.DescribeTargetGroups(ctx, in, f...)
}

func (r *rendezvous) DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, f ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	defer r.leave()
	if err := r.enter(); err != nil {
		return nil, err
	}
	return r.ELBV2.DescribeLoadBalancers(ctx, in, f...)
}

func (r *rendezvous) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	defer r.leave()
	if err := r.enter(); err != nil {
		return nil, err
	}
	time.Sleep(time.Millisecond) // give the other health reads a chance to pile up
	return r.ELBV2.DescribeTargetHealth(ctx, in, f...)
}

// TestObserveReadsSideBySide: the target groups and the load balancers are read at the same
// time, and never more than MaxInFlight calls are in flight.
func TestObserveReadsSideBySide(t *testing.T) {
	t.Parallel()
	w, stack := bench.Generate(1900, 7)
	sim := simulator.New(w)
	r := &rendezvous{ELBV2: sim.ELBV2(), first: make(chan struct{})}
	api := testkit.API(sim)
	api.ELBV2 = r
	if _, err := cloud.ObserveWith(context.Background(), api, plan.QueryOf(stack), cloud.ObserveOptions{MaxInFlight: 2}); err != nil {
		t.Fatal(err)
	}
	if r.max > 2 {
		t.Errorf("%d ELBv2 calls in flight at once, bound 2", r.max)
	}
}

type failingHealth struct{ cloud.ELBV2 }

func (failingHealth) DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not allowed"}
}

// TestObserveFailsOnAFailedRead: a read that fails fails Observe with its context, once the
// calls in flight have answered.
func TestObserveFailsOnAFailedRead(t *testing.T) {
	t.Parallel()
	w, stack := bench.Generate(1900, 7)
	sim := simulator.New(w)
	api := testkit.API(sim)
	api.ELBV2 = failingHealth{sim.ELBV2()}
	for _, max := range []int{1, 8} {
		_, err := cloud.ObserveWith(context.Background(), api, plan.QueryOf(stack), cloud.ObserveOptions{MaxInFlight: max})
		if cloud.ErrorCode(err) != "AccessDenied" {
			t.Errorf("%d in flight: err = %v, want AccessDenied", max, err)
		}
	}
}
