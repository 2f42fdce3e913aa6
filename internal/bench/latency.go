package bench

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/internal/cloud"
)

// Latency puts a fixed round trip in front of every call of api, on the real clock: what a
// laptop or CI runner far from the region adds to each call. It is a measuring instrument
// for bench only: the product never sleeps on the wall clock between its own calls. It
// records when each call began and ended, so that the round trips on the critical path can
// be counted afterwards (Depth).
type Latency struct {
	rtt time.Duration

	mu    sync.Mutex
	spans []span
}

type span struct{ start, end time.Time }

// NewLatency returns a Latency of rtt per call.
func NewLatency(rtt time.Duration) *Latency { return &Latency{rtt: rtt} }

// Wrap returns api with the latency in front of every client. A nil client stays nil.
func (l *Latency) Wrap(api cloud.API) cloud.API {
	out := cloud.API{}
	if api.EC2 != nil {
		out.EC2 = latEC2{l, api.EC2}
	}
	if api.ELBV2 != nil {
		out.ELBV2 = latELB{l, api.ELBV2}
	}
	if api.IAM != nil {
		out.IAM = latIAM{l, api.IAM}
	}
	return out
}

// Reset forgets the calls recorded so far.
func (l *Latency) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.spans = nil
}

// Calls is the number of calls recorded.
func (l *Latency) Calls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.spans)
}

// Depth is the longest chain of recorded calls each of which began after the one before it
// had ended: the round trips on the critical path as the calls were made, waits for a free
// slot under a bound on calls in flight included. With a round trip much longer than the
// work between calls, independent calls overlap and do not lengthen the chain.
func (l *Latency) Depth() int {
	l.mu.Lock()
	s := slices.Clone(l.spans)
	l.mu.Unlock()
	slices.SortFunc(s, func(a, b span) int { return a.start.Compare(b.start) })
	depth := make([]int, len(s))
	best := 0
	for i := range s {
		depth[i] = 1
		for j := range i {
			if !s[j].end.After(s[i].start) && depth[j]+1 > depth[i] {
				depth[i] = depth[j] + 1
			}
		}
		best = max(best, depth[i])
	}
	return best
}

// around makes one call after the round trip, recording its span.
func around[O any](l *Latency, ctx context.Context, call func() (O, error)) (O, error) {
	start := time.Now()
	t := time.NewTimer(l.rtt)
	select {
	case <-ctx.Done():
		t.Stop()
		var zero O
		return zero, ctx.Err()
	case <-t.C:
	}
	out, err := call()
	end := time.Now()
	l.mu.Lock()
	l.spans = append(l.spans, span{start, end})
	l.mu.Unlock()
	return out, err
}

type latEC2 struct {
	l   *Latency
	api cloud.EC2
}

type latELB struct {
	l   *Latency
	api cloud.ELBV2
}

type latIAM struct {
	l   *Latency
	api cloud.IAM
}

var (
	_ cloud.EC2   = latEC2{}
	_ cloud.ELBV2 = latELB{}
	_ cloud.IAM   = latIAM{}
)

func (c latEC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, f ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	return around(c.l, ctx, func() (*ec2.DescribeInstancesOutput, error) { return c.api.DescribeInstances(ctx, in, f...) })
}

func (c latEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, f ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	return around(c.l, ctx, func() (*ec2.DescribeImagesOutput, error) { return c.api.DescribeImages(ctx, in, f...) })
}

func (c latEC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, f ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	return around(c.l, ctx, func() (*ec2.DescribeSubnetsOutput, error) { return c.api.DescribeSubnets(ctx, in, f...) })
}

func (c latEC2) CreateImage(ctx context.Context, in *ec2.CreateImageInput, f ...func(*ec2.Options)) (*ec2.CreateImageOutput, error) {
	return around(c.l, ctx, func() (*ec2.CreateImageOutput, error) { return c.api.CreateImage(ctx, in, f...) })
}

func (c latEC2) RunInstances(ctx context.Context, in *ec2.RunInstancesInput, f ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	return around(c.l, ctx, func() (*ec2.RunInstancesOutput, error) { return c.api.RunInstances(ctx, in, f...) })
}

func (c latEC2) TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, f ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	return around(c.l, ctx, func() (*ec2.TerminateInstancesOutput, error) { return c.api.TerminateInstances(ctx, in, f...) })
}

func (c latEC2) AssociateIamInstanceProfile(ctx context.Context, in *ec2.AssociateIamInstanceProfileInput, f ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error) {
	return around(c.l, ctx, func() (*ec2.AssociateIamInstanceProfileOutput, error) {
		return c.api.AssociateIamInstanceProfile(ctx, in, f...)
	})
}

func (c latEC2) DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, f ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	return around(c.l, ctx, func() (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
		return c.api.DescribeInstanceTypeOfferings(ctx, in, f...)
	})
}

func (c latEC2) DeregisterImage(ctx context.Context, in *ec2.DeregisterImageInput, f ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error) {
	return around(c.l, ctx, func() (*ec2.DeregisterImageOutput, error) { return c.api.DeregisterImage(ctx, in, f...) })
}

func (c latEC2) DeleteSnapshot(ctx context.Context, in *ec2.DeleteSnapshotInput, f ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error) {
	return around(c.l, ctx, func() (*ec2.DeleteSnapshotOutput, error) { return c.api.DeleteSnapshot(ctx, in, f...) })
}

func (c latELB) DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, f ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	return around(c.l, ctx, func() (*elbv2.DescribeLoadBalancersOutput, error) { return c.api.DescribeLoadBalancers(ctx, in, f...) })
}

func (c latELB) DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	return around(c.l, ctx, func() (*elbv2.DescribeTargetGroupsOutput, error) { return c.api.DescribeTargetGroups(ctx, in, f...) })
}

func (c latELB) DescribeTargetGroupAttributes(ctx context.Context, in *elbv2.DescribeTargetGroupAttributesInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	return around(c.l, ctx, func() (*elbv2.DescribeTargetGroupAttributesOutput, error) {
		return c.api.DescribeTargetGroupAttributes(ctx, in, f...)
	})
}

func (c latELB) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, f ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	return around(c.l, ctx, func() (*elbv2.DescribeTargetHealthOutput, error) { return c.api.DescribeTargetHealth(ctx, in, f...) })
}

func (c latELB) ModifyTargetGroupAttributes(ctx context.Context, in *elbv2.ModifyTargetGroupAttributesInput, f ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupAttributesOutput, error) {
	return around(c.l, ctx, func() (*elbv2.ModifyTargetGroupAttributesOutput, error) {
		return c.api.ModifyTargetGroupAttributes(ctx, in, f...)
	})
}

func (c latELB) RegisterTargets(ctx context.Context, in *elbv2.RegisterTargetsInput, f ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error) {
	return around(c.l, ctx, func() (*elbv2.RegisterTargetsOutput, error) { return c.api.RegisterTargets(ctx, in, f...) })
}

func (c latELB) DeregisterTargets(ctx context.Context, in *elbv2.DeregisterTargetsInput, f ...func(*elbv2.Options)) (*elbv2.DeregisterTargetsOutput, error) {
	return around(c.l, ctx, func() (*elbv2.DeregisterTargetsOutput, error) { return c.api.DeregisterTargets(ctx, in, f...) })
}

func (c latELB) SetSubnets(ctx context.Context, in *elbv2.SetSubnetsInput, f ...func(*elbv2.Options)) (*elbv2.SetSubnetsOutput, error) {
	return around(c.l, ctx, func() (*elbv2.SetSubnetsOutput, error) { return c.api.SetSubnets(ctx, in, f...) })
}

func (c latELB) ModifyTargetGroup(ctx context.Context, in *elbv2.ModifyTargetGroupInput, f ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupOutput, error) {
	return around(c.l, ctx, func() (*elbv2.ModifyTargetGroupOutput, error) { return c.api.ModifyTargetGroup(ctx, in, f...) })
}

func (c latIAM) GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, f ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	return around(c.l, ctx, func() (*iam.GetInstanceProfileOutput, error) { return c.api.GetInstanceProfile(ctx, in, f...) })
}

// total is the sum of the recorded calls' durations.
func (l *Latency) total() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var d time.Duration
	for _, s := range l.spans {
		d += s.end.Sub(s.start)
	}
	return d
}
