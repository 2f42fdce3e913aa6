package cloud_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/cloud"
	"github.com/albctl/albctl/engine"
	"github.com/albctl/albctl/plan"
	"github.com/albctl/albctl/simulator"
	"github.com/albctl/albctl/specs"
)

func TestRetryableError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "RequestLimitExceeded", Fault: smithy.FaultClient}, true},
		{&smithy.GenericAPIError{Code: "Throttling", Fault: smithy.FaultClient}, true},
		{&smithy.GenericAPIError{Code: "InternalError", Fault: smithy.FaultServer}, true},
		{&smithy.GenericAPIError{Code: "ServiceUnavailable"}, true},
		{&smithy.GenericAPIError{Code: "InsufficientInstanceCapacity", Fault: smithy.FaultServer}, true}, // a 500: the SDK retries it
		{&smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound", Fault: smithy.FaultClient}, false},
		{&smithy.GenericAPIError{Code: "DryRunOperation", Fault: smithy.FaultClient}, false},
		{&smithy.GenericAPIError{Code: "ValidationError", Fault: smithy.FaultClient}, false},
		{fmt.Errorf("observe: %w", &smithy.GenericAPIError{Code: "Throttling"}), true},
		{context.Canceled, false},
		{errors.New("connection reset"), false},
		{nil, false},
	} {
		if got := cloud.RetryableError(tc.err); got != tc.want {
			t.Errorf("RetryableError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// fakeClock records sleeps and advances a virtual time.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// failingIAM answers the next len(errs) calls with errs, then succeeds.
type failingIAM struct {
	errs  []error
	calls int
}

func (f *failingIAM) GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, optFns ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	f.calls++
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return &iam.GetInstanceProfileOutput{}, nil
}

func throttled() error { return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"} }

func TestRetrierPolicy(t *testing.T) {
	for _, tc := range []struct {
		name        string
		policy      cloud.RetryPolicy
		errs        []error
		wantCalls   int
		wantErr     bool
		wantSleeps  int
		wantRefused int
	}{
		{name: "two throttles then success", errs: []error{throttled(), throttled()}, wantCalls: 3, wantSleeps: 2},
		{name: "three throttles: out of attempts", errs: []error{throttled(), throttled(), throttled()}, wantCalls: 3, wantErr: true, wantSleeps: 2},
		{name: "max attempts 5", policy: cloud.RetryPolicy{MaxAttempts: 5}, errs: []error{throttled(), throttled(), throttled()}, wantCalls: 4, wantSleeps: 3},
		{name: "max attempts 1: no retry", policy: cloud.RetryPolicy{MaxAttempts: 1}, errs: []error{throttled()}, wantCalls: 1, wantErr: true},
		{name: "permanent error: no retry", errs: []error{&smithy.GenericAPIError{Code: "NoSuchEntity"}}, wantCalls: 1, wantErr: true},
		{name: "empty bucket: no retry", policy: cloud.RetryPolicy{Tokens: 4}, errs: []error{throttled()}, wantCalls: 1, wantErr: true, wantRefused: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{}
			r := cloud.NewRetrier(clock, tc.policy)
			f := &failingIAM{errs: tc.errs}
			_, err := r.Wrap(cloud.API{IAM: f}).IAM.GetInstanceProfile(context.Background(), &iam.GetInstanceProfileInput{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if f.calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", f.calls, tc.wantCalls)
			}
			if len(clock.sleeps) != tc.wantSleeps {
				t.Errorf("slept %v, want %d sleeps", clock.sleeps, tc.wantSleeps)
			}
			if got := r.Stats().Refused; got != tc.wantRefused {
				t.Errorf("refused %d retries, want %d", got, tc.wantRefused)
			}
			if tc.wantRefused > 0 && !errors.Is(err, cloud.ErrRetryQuota) {
				t.Errorf("err = %v, want ErrRetryQuota", err)
			}
		})
	}
}

// The backoff is full jitter under 2^attempt seconds, capped at MaxBackoff, and the same seed
// gives the same sleeps.
func TestRetrierBackoffIsBoundedAndSeeded(t *testing.T) {
	run := func(seed uint64) []time.Duration {
		clock := &fakeClock{}
		r := cloud.NewRetrier(clock, cloud.RetryPolicy{MaxAttempts: 10, MaxBackoff: 5 * time.Second, Seed: seed})
		errs := make([]error, 9)
		for i := range errs {
			errs[i] = throttled()
		}
		if _, err := r.Wrap(cloud.API{IAM: &failingIAM{errs: errs}}).IAM.GetInstanceProfile(context.Background(), &iam.GetInstanceProfileInput{}); err != nil {
			t.Fatal(err)
		}
		return clock.sleeps
	}
	a, b, c := run(1), run(1), run(2)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different sleeps: %v vs %v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("seeds 1 and 2 gave the same sleeps %v", a)
	}
	for i, d := range a {
		ceiling := min(time.Duration(1<<(i+1))*time.Second, 5*time.Second)
		if d < 0 || d >= ceiling {
			t.Errorf("retry %d slept %s, want [0, %s)", i+1, d, ceiling)
		}
	}
}

// The bucket bounds retries across calls: with 500 tokens at 5 a retry, a service that
// throttles everything gets at most 100 retries, then one attempt per call.
func TestRetrierBucketPreventsRetryStorm(t *testing.T) {
	r := cloud.NewRetrier(&fakeClock{}, cloud.RetryPolicy{})
	f := &failingIAM{errs: make([]error, 10000)}
	for i := range f.errs {
		f.errs[i] = throttled()
	}
	api := r.Wrap(cloud.API{IAM: f})
	for range 200 {
		_, _ = api.IAM.GetInstanceProfile(context.Background(), &iam.GetInstanceProfileInput{})
	}
	st := r.Stats()
	if st.Retries != 100 {
		t.Errorf("%d retries, want 100 (the bucket's 500 tokens at 5 each)", st.Retries)
	}
	if f.calls != 300 {
		t.Errorf("%d calls to the service for 200 calls, want 300", f.calls)
	}
}

func blogStack(t *testing.T) *specs.Stack {
	t.Helper()
	s, _, diags := specs.Load("../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return s
}

// One throttled Describe during Observe fails it on the bare simulator (as it would not
// against AWS, where the SDK retries) and passes behind the retry layer.
func TestRetrierAbsorbsAThrottledObserve(t *testing.T) {
	s := blogStack(t)
	for _, op := range []string{"DescribeInstances", "DescribeTargetHealth", "DescribeLoadBalancers"} {
		t.Run(op, func(t *testing.T) {
			faults := simulator.Faults{Throttle: map[string]int{op: 1}}
			bare := simulator.New(simulator.SeedWorld(), simulator.WithFaults(faults))
			if _, err := cloud.Observe(context.Background(), cloud.API{EC2: bare.EC2(), ELBV2: bare.ELBV2(), IAM: bare.IAM()}, s); err == nil {
				t.Fatalf("Observe without retries passed a throttled %s; the test proves nothing", op)
			}
			sim := simulator.New(simulator.SeedWorld(), simulator.WithFaults(faults))
			r := cloud.NewRetrier(sim.Clock(), cloud.RetryPolicy{Seed: 1})
			w, err := cloud.Observe(context.Background(), r.Wrap(cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}), s)
			if err != nil {
				t.Fatalf("Observe behind the retry layer: %v", err)
			}
			if _, err := plan.Build(s, w); err != nil {
				t.Fatal(err)
			}
			if st := r.Stats(); st.Retries != 1 {
				t.Errorf("stats %+v, want one retry", st)
			}
		})
	}
}

// throttler makes a seeded share of calls fail with the service's throttling error during
// a window of simulated time from its start, and counts every call it is given.
type throttler struct {
	clock interface{ Now() time.Time }
	until time.Time
	rate  float64
	calls int
	fails int
}

func (th *throttler) check(op string, code string) error {
	th.calls++
	now := th.clock.Now()
	if !now.Before(th.until) {
		return nil
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d", op, th.calls)
	if float64(h.Sum64()%1000)/1000 < th.rate {
		th.fails++
		return &smithy.GenericAPIError{Code: code, Message: "Rate exceeded", Fault: smithy.FaultClient}
	}
	return nil
}

type throttledEC2 struct {
	cloud.EC2
	th *throttler
}

type throttledELB struct {
	cloud.ELBV2
	th *throttler
}

func (c throttledEC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, o ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	if err := c.th.check("DescribeInstances", "RequestLimitExceeded"); err != nil {
		return nil, err
	}
	return c.EC2.DescribeInstances(ctx, in, o...)
}

func (c throttledEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, o ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	if err := c.th.check("DescribeImages", "RequestLimitExceeded"); err != nil {
		return nil, err
	}
	return c.EC2.DescribeImages(ctx, in, o...)
}

func (c throttledEC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, o ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	if err := c.th.check("DescribeSubnets", "RequestLimitExceeded"); err != nil {
		return nil, err
	}
	return c.EC2.DescribeSubnets(ctx, in, o...)
}

func (c throttledEC2) CreateImage(ctx context.Context, in *ec2.CreateImageInput, o ...func(*ec2.Options)) (*ec2.CreateImageOutput, error) {
	if err := c.th.check("CreateImage", "RequestLimitExceeded"); err != nil {
		return nil, err
	}
	return c.EC2.CreateImage(ctx, in, o...)
}

func (c throttledEC2) RunInstances(ctx context.Context, in *ec2.RunInstancesInput, o ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	if err := c.th.check("RunInstances", "RequestLimitExceeded"); err != nil {
		return nil, err
	}
	return c.EC2.RunInstances(ctx, in, o...)
}

func (c throttledEC2) DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, o ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	if err := c.th.check("DescribeInstanceTypeOfferings", "RequestLimitExceeded"); err != nil {
		return nil, err
	}
	return c.EC2.DescribeInstanceTypeOfferings(ctx, in, o...)
}

func (c throttledELB) DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, o ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	if err := c.th.check("DescribeLoadBalancers", "Throttling"); err != nil {
		return nil, err
	}
	return c.ELBV2.DescribeLoadBalancers(ctx, in, o...)
}

func (c throttledELB) DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, o ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	if err := c.th.check("DescribeTargetGroups", "Throttling"); err != nil {
		return nil, err
	}
	return c.ELBV2.DescribeTargetGroups(ctx, in, o...)
}

func (c throttledELB) DescribeTargetGroupAttributes(ctx context.Context, in *elbv2.DescribeTargetGroupAttributesInput, o ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	if err := c.th.check("DescribeTargetGroupAttributes", "Throttling"); err != nil {
		return nil, err
	}
	return c.ELBV2.DescribeTargetGroupAttributes(ctx, in, o...)
}

func (c throttledELB) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, o ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	if err := c.th.check("DescribeTargetHealth", "Throttling"); err != nil {
		return nil, err
	}
	return c.ELBV2.DescribeTargetHealth(ctx, in, o...)
}

func (c throttledELB) ModifyTargetGroupAttributes(ctx context.Context, in *elbv2.ModifyTargetGroupAttributesInput, o ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupAttributesOutput, error) {
	if err := c.th.check("ModifyTargetGroupAttributes", "Throttling"); err != nil {
		return nil, err
	}
	return c.ELBV2.ModifyTargetGroupAttributes(ctx, in, o...)
}

func (c throttledELB) RegisterTargets(ctx context.Context, in *elbv2.RegisterTargetsInput, o ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error) {
	if err := c.th.check("RegisterTargets", "Throttling"); err != nil {
		return nil, err
	}
	return c.ELBV2.RegisterTargets(ctx, in, o...)
}

func (c throttledELB) SetSubnets(ctx context.Context, in *elbv2.SetSubnetsInput, o ...func(*elbv2.Options)) (*elbv2.SetSubnetsOutput, error) {
	if err := c.th.check("SetSubnets", "Throttling"); err != nil {
		return nil, err
	}
	return c.ELBV2.SetSubnets(ctx, in, o...)
}

// converge plans and applies the blog stack until the plan is empty (at most five rounds)
// and returns how many calls reached the throttler.
func converge(t *testing.T, rate float64) (calls, fails int, stats cloud.RetryStats) {
	t.Helper()
	s := blogStack(t)
	sim := simulator.New(simulator.SeedWorld())
	th := &throttler{clock: sim.Clock(), until: sim.Clock().Now().Add(2 * time.Minute), rate: rate}
	r := cloud.NewRetrier(sim.Clock(), cloud.RetryPolicy{Seed: 7})
	api := r.Wrap(cloud.API{EC2: throttledEC2{sim.EC2(), th}, ELBV2: throttledELB{sim.ELBV2(), th}, IAM: sim.IAM()})
	ctx := context.Background()
	for round := 1; ; round++ {
		w, err := cloud.Observe(ctx, api, s)
		if err != nil {
			t.Fatalf("round %d: observe: %v", round, err)
		}
		p, err := plan.Build(s, w)
		if err != nil {
			t.Fatalf("round %d: plan: %v", round, err)
		}
		if p.Empty() {
			return th.calls, th.fails, r.Stats()
		}
		if round == 5 {
			t.Fatalf("no convergence after %d rounds: %d steps left", round, len(p.Steps))
		}
		if _, err := engine.Apply(ctx, p, api, engine.Options{Clock: sim.Clock()}); err != nil {
			t.Logf("round %d: apply: %v", round, err)
		}
	}
}

// Under a 30% throttle rate for two simulated minutes, plan and apply still converge, and
// the retries cost at most twice the calls of a fault-free run.
func TestConvergesUnderThrottling(t *testing.T) {
	base, baseFails, _ := converge(t, 0)
	if baseFails != 0 {
		t.Fatalf("the fault-free run was throttled %d times", baseFails)
	}
	calls, fails, st := converge(t, 0.3)
	if fails == 0 {
		t.Fatal("nothing was throttled: the test proves nothing")
	}
	ratio := float64(calls) / float64(base)
	t.Logf("fault-free: %d calls; 30%% throttled for 2m: %d calls (%d throttled, %d retries, %s backoff): ratio %.2f",
		base, calls, fails, st.Retries, st.Slept.Round(time.Millisecond), ratio)
	if ratio > 2 {
		t.Errorf("%d calls under throttling, %d without: ratio %.2f, want at most 2", calls, base, ratio)
	}
}
