package bench

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/cloud"
)

// A tape holds the answers the simulator gave to one Observe, in order, so that Observe can be
// timed again against the answers alone: the time albctl itself spends, without the
// simulator's. Observe makes its calls in a fixed order, which replay checks by type.
type tape struct {
	answers []answer
	next    int
}

type answer struct {
	out any
	err error
}

func record[O any](t *tape, out O, err error) (O, error) {
	t.answers = append(t.answers, answer{out, err})
	return out, err
}

func play[O any](t *tape, op string) (O, error) {
	var zero O
	if t.next >= len(t.answers) {
		return zero, fmt.Errorf("replay: %s after the end of the tape", op)
	}
	a := t.answers[t.next]
	t.next++
	out, ok := a.out.(O)
	if !ok {
		return zero, fmt.Errorf("replay: %s where the tape has %T", op, a.out)
	}
	return out, a.err
}

// recorder returns clients that pass calls to api and record the answers on t.
func recorder(api cloud.API, t *tape) cloud.API {
	return cloud.API{EC2: &recEC2{EC2: api.EC2, t: t}, ELBV2: &recELB{ELBV2: api.ELBV2, t: t}, IAM: &recIAM{IAM: api.IAM, t: t}}
}

// player returns clients that answer from t, rewound.
func player(t *tape) cloud.API {
	t.next = 0
	return cloud.API{EC2: &playEC2{t: t}, ELBV2: &playELB{t: t}, IAM: &playIAM{t: t}}
}

type recEC2 struct {
	cloud.EC2
	t *tape
}

func (r *recEC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, f ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	out, err := r.EC2.DescribeInstances(ctx, in, f...)
	return record(r.t, out, err)
}

func (r *recEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, f ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	out, err := r.EC2.DescribeImages(ctx, in, f...)
	return record(r.t, out, err)
}

func (r *recEC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, f ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	out, err := r.EC2.DescribeSubnets(ctx, in, f...)
	return record(r.t, out, err)
}

func (r *recEC2) DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, f ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	out, err := r.EC2.DescribeInstanceTypeOfferings(ctx, in, f...)
	return record(r.t, out, err)
}

type recIAM struct {
	cloud.IAM
	t *tape
}

func (r *recIAM) GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, f ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	out, err := r.IAM.GetInstanceProfile(ctx, in, f...)
	return record(r.t, out, err)
}

type recELB struct {
	cloud.ELBV2
	t *tape
}

func (r *recELB) DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, f ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	out, err := r.ELBV2.DescribeLoadBalancers(ctx, in, f...)
	return record(r.t, out, err)
}

func (r *recELB) DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	out, err := r.ELBV2.DescribeTargetGroups(ctx, in, f...)
	return record(r.t, out, err)
}

func (r *recELB) DescribeTargetGroupAttributes(ctx context.Context, in *elbv2.DescribeTargetGroupAttributesInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	out, err := r.ELBV2.DescribeTargetGroupAttributes(ctx, in, f...)
	return record(r.t, out, err)
}

func (r *recELB) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	out, err := r.ELBV2.DescribeTargetHealth(ctx, in, f...)
	return record(r.t, out, err)
}

// playEC2 and playELB answer Observe's calls from a tape; Observe makes no other calls, so
// the embedded (nil) interfaces are never called.
type playEC2 struct {
	cloud.EC2
	t *tape
}

func (p *playEC2) DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	return play[*ec2.DescribeInstancesOutput](p.t, "DescribeInstances")
}

func (p *playEC2) DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	return play[*ec2.DescribeImagesOutput](p.t, "DescribeImages")
}

func (p *playEC2) DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	return play[*ec2.DescribeSubnetsOutput](p.t, "DescribeSubnets")
}

func (p *playEC2) DescribeInstanceTypeOfferings(context.Context, *ec2.DescribeInstanceTypeOfferingsInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	return play[*ec2.DescribeInstanceTypeOfferingsOutput](p.t, "DescribeInstanceTypeOfferings")
}

type playIAM struct {
	cloud.IAM
	t *tape
}

func (p *playIAM) GetInstanceProfile(context.Context, *iam.GetInstanceProfileInput, ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	return play[*iam.GetInstanceProfileOutput](p.t, "GetInstanceProfile")
}

type playELB struct {
	cloud.ELBV2
	t *tape
}

func (p *playELB) DescribeLoadBalancers(context.Context, *elbv2.DescribeLoadBalancersInput, ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	return play[*elbv2.DescribeLoadBalancersOutput](p.t, "DescribeLoadBalancers")
}

func (p *playELB) DescribeTargetGroups(context.Context, *elbv2.DescribeTargetGroupsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	return play[*elbv2.DescribeTargetGroupsOutput](p.t, "DescribeTargetGroups")
}

func (p *playELB) DescribeTargetGroupAttributes(context.Context, *elbv2.DescribeTargetGroupAttributesInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	return play[*elbv2.DescribeTargetGroupAttributesOutput](p.t, "DescribeTargetGroupAttributes")
}

func (p *playELB) DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	return play[*elbv2.DescribeTargetHealthOutput](p.t, "DescribeTargetHealth")
}
