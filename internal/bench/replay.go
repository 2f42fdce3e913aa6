package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/internal/cloud"
)

// A tape holds the answers the simulator gave to one Observe, by request, so that Observe can
// be timed again against the answers alone: the time albctl itself spends, without the
// simulator's. Observe makes its calls concurrently, in no fixed order, so an answer is found
// by its operation and request (as JSON), not by its place; the same request asked twice is
// answered in the order it was recorded.
type tape struct {
	mu      sync.Mutex
	answers map[string][]answer
	next    map[string]int
	n, used int
}

type answer struct {
	out any
	err error
}

func key(op string, in any) string {
	b, err := json.Marshal(in)
	if err != nil {
		panic(fmt.Sprintf("bench: request of %s is not JSON: %v", op, err)) // SDK inputs always are
	}
	return op + " " + string(b)
}

func record[O any](t *tape, op string, in any, out O, err error) (O, error) {
	k := key(op, in)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.answers == nil {
		t.answers = map[string][]answer{}
	}
	t.answers[k] = append(t.answers[k], answer{out, err})
	t.n++
	return out, err
}

func play[O any](t *tape, op string, in any) (O, error) {
	var zero O
	k := key(op, in)
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.next[k]
	if i >= len(t.answers[k]) {
		return zero, fmt.Errorf("replay: %s not on the tape", k)
	}
	t.next[k] = i + 1
	t.used++
	out, ok := t.answers[k][i].out.(O)
	if !ok {
		return zero, fmt.Errorf("replay: %s where the tape has %T", op, t.answers[k][i].out)
	}
	return out, t.answers[k][i].err
}

// rewind makes every answer available again and reports whether the last replay used them
// all.
func (t *tape) rewind() (allUsed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	allUsed = t.used == t.n
	t.next, t.used = map[string]int{}, 0
	return allUsed
}

// recorder returns clients that pass calls to api and record the answers on t.
func recorder(api cloud.API, t *tape) cloud.API {
	return cloud.API{EC2: &recEC2{EC2: api.EC2, t: t}, ELBV2: &recELB{ELBV2: api.ELBV2, t: t}, IAM: &recIAM{IAM: api.IAM, t: t}}
}

// player returns clients that answer from t, rewound.
func player(t *tape) cloud.API {
	t.rewind()
	return cloud.API{EC2: &playEC2{t: t}, ELBV2: &playELB{t: t}, IAM: &playIAM{t: t}}
}

type recEC2 struct {
	cloud.EC2
	t *tape
}

func (r *recEC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, f ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	out, err := r.EC2.DescribeInstances(ctx, in, f...)
	return record(r.t, "DescribeInstances", in, out, err)
}

func (r *recEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, f ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	out, err := r.EC2.DescribeImages(ctx, in, f...)
	return record(r.t, "DescribeImages", in, out, err)
}

func (r *recEC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, f ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	out, err := r.EC2.DescribeSubnets(ctx, in, f...)
	return record(r.t, "DescribeSubnets", in, out, err)
}

func (r *recEC2) DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, f ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	out, err := r.EC2.DescribeSnapshots(ctx, in, f...)
	return record(r.t, "DescribeSnapshots", in, out, err)
}

func (r *recEC2) DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, f ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	out, err := r.EC2.DescribeInstanceTypeOfferings(ctx, in, f...)
	return record(r.t, "DescribeInstanceTypeOfferings", in, out, err)
}

type recIAM struct {
	cloud.IAM
	t *tape
}

func (r *recIAM) GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, f ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	out, err := r.IAM.GetInstanceProfile(ctx, in, f...)
	return record(r.t, "GetInstanceProfile", in, out, err)
}

type recELB struct {
	cloud.ELBV2
	t *tape
}

func (r *recELB) DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, f ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	out, err := r.ELBV2.DescribeLoadBalancers(ctx, in, f...)
	return record(r.t, "DescribeLoadBalancers", in, out, err)
}

func (r *recELB) DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	out, err := r.ELBV2.DescribeTargetGroups(ctx, in, f...)
	return record(r.t, "DescribeTargetGroups", in, out, err)
}

func (r *recELB) DescribeTargetGroupAttributes(ctx context.Context, in *elbv2.DescribeTargetGroupAttributesInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	out, err := r.ELBV2.DescribeTargetGroupAttributes(ctx, in, f...)
	return record(r.t, "DescribeTargetGroupAttributes", in, out, err)
}

func (r *recELB) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	out, err := r.ELBV2.DescribeTargetHealth(ctx, in, f...)
	return record(r.t, "DescribeTargetHealth", in, out, err)
}

// playEC2 and playELB answer Observe's calls from a tape; Observe makes no other calls, so
// the embedded (nil) interfaces are never called.
type playEC2 struct {
	cloud.EC2
	t *tape
}

func (p *playEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	return play[*ec2.DescribeInstancesOutput](p.t, "DescribeInstances", in)
}

func (p *playEC2) DescribeImages(_ context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	return play[*ec2.DescribeImagesOutput](p.t, "DescribeImages", in)
}

func (p *playEC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	return play[*ec2.DescribeSubnetsOutput](p.t, "DescribeSubnets", in)
}

func (p *playEC2) DescribeSnapshots(_ context.Context, in *ec2.DescribeSnapshotsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	return play[*ec2.DescribeSnapshotsOutput](p.t, "DescribeSnapshots", in)
}

func (p *playEC2) DescribeInstanceTypeOfferings(_ context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	return play[*ec2.DescribeInstanceTypeOfferingsOutput](p.t, "DescribeInstanceTypeOfferings", in)
}

type playIAM struct {
	cloud.IAM
	t *tape
}

func (p *playIAM) GetInstanceProfile(_ context.Context, in *iam.GetInstanceProfileInput, _ ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	return play[*iam.GetInstanceProfileOutput](p.t, "GetInstanceProfile", in)
}

type playELB struct {
	cloud.ELBV2
	t *tape
}

func (p *playELB) DescribeLoadBalancers(_ context.Context, in *elbv2.DescribeLoadBalancersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	return play[*elbv2.DescribeLoadBalancersOutput](p.t, "DescribeLoadBalancers", in)
}

func (p *playELB) DescribeTargetGroups(_ context.Context, in *elbv2.DescribeTargetGroupsInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	return play[*elbv2.DescribeTargetGroupsOutput](p.t, "DescribeTargetGroups", in)
}

func (p *playELB) DescribeTargetGroupAttributes(_ context.Context, in *elbv2.DescribeTargetGroupAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	return play[*elbv2.DescribeTargetGroupAttributesOutput](p.t, "DescribeTargetGroupAttributes", in)
}

func (p *playELB) DescribeTargetHealth(_ context.Context, in *elbv2.DescribeTargetHealthInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	return play[*elbv2.DescribeTargetHealthOutput](p.t, "DescribeTargetHealth", in)
}

func (r *recEC2) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, f ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	out, err := r.EC2.DescribeSecurityGroups(ctx, in, f...)
	return record(r.t, "DescribeSecurityGroups", in, out, err)
}

func (r *recEC2) DescribeNetworkAcls(ctx context.Context, in *ec2.DescribeNetworkAclsInput, f ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error) {
	out, err := r.EC2.DescribeNetworkAcls(ctx, in, f...)
	return record(r.t, "DescribeNetworkAcls", in, out, err)
}

func (r *recELB) DescribeLoadBalancerAttributes(ctx context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, f ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	out, err := r.ELBV2.DescribeLoadBalancerAttributes(ctx, in, f...)
	return record(r.t, "DescribeLoadBalancerAttributes", in, out, err)
}

func (r *recELB) DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput, f ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	out, err := r.ELBV2.DescribeListeners(ctx, in, f...)
	return record(r.t, "DescribeListeners", in, out, err)
}

func (p *playEC2) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return play[*ec2.DescribeSecurityGroupsOutput](p.t, "DescribeSecurityGroups", in)
}

func (p *playEC2) DescribeNetworkAcls(_ context.Context, in *ec2.DescribeNetworkAclsInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error) {
	return play[*ec2.DescribeNetworkAclsOutput](p.t, "DescribeNetworkAcls", in)
}

func (p *playELB) DescribeLoadBalancerAttributes(_ context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	return play[*elbv2.DescribeLoadBalancerAttributesOutput](p.t, "DescribeLoadBalancerAttributes", in)
}

func (p *playELB) DescribeListeners(_ context.Context, in *elbv2.DescribeListenersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	return play[*elbv2.DescribeListenersOutput](p.t, "DescribeListeners", in)
}
