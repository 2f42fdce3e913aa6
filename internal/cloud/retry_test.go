package cloud_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

func TestRetryableError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "RequestLimitExceeded", Fault: smithy.FaultClient}, true},
		{&smithy.GenericAPIError{Code: "Throttling", Fault: smithy.FaultClient}, true},
		{&smithy.GenericAPIError{Code: "InternalError", Fault: smithy.FaultServer}, true},
		{&smithy.GenericAPIError{Code: "ServiceUnavailable", Fault: smithy.FaultServer}, true},
		{&smithy.GenericAPIError{Code: "InsufficientInstanceCapacity", Fault: smithy.FaultServer}, true}, // a 500: the SDK retries it
		{&smithy.GenericAPIError{Code: "RequestTimeout", Fault: smithy.FaultClient}, true},               // retried by its code
		// The pinned SDK retries an AWS-side error by its HTTP status, not by a list of codes:
		// without a status or a fault nothing says it is AWS's.
		{&smithy.GenericAPIError{Code: "InternalError"}, false},
		{&smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}}, Err: &smithy.GenericAPIError{Code: "Unavailable"}}, true},
		{&smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 429}}, Err: errors.New("too many")}, true}, // an unmodelled 429 is a throttle
		{&smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound", Fault: smithy.FaultClient}, false},
		{&smithy.GenericAPIError{Code: "DryRunOperation", Fault: smithy.FaultClient}, false},
		{&smithy.GenericAPIError{Code: "ValidationError", Fault: smithy.FaultClient}, false},
		{fmt.Errorf("observe: %w", &smithy.GenericAPIError{Code: "Throttling"}), true},
		{context.Canceled, false},
		{errors.New("read tcp: connection reset by peer"), true}, // the SDK retries a reset connection
		{errors.New("no such world"), false},
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

// serverError is what the simulator answers for a shortage of capacity: a fault of AWS's side.
func serverError() error {
	return &smithy.GenericAPIError{Code: "InsufficientInstanceCapacity", Fault: smithy.FaultServer}
}

func TestRetrierPolicy(t *testing.T) {
	t.Parallel()
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
		// A retry after a throttle costs 5 of the quota, after another error 14.
		{name: "quota below a throttle's 5: no retry", policy: cloud.RetryPolicy{Tokens: 4}, errs: []error{throttled()}, wantCalls: 1, wantErr: true, wantRefused: 1},
		{name: "quota of 5 pays a throttle's retry", policy: cloud.RetryPolicy{Tokens: 5}, errs: []error{throttled()}, wantCalls: 2, wantSleeps: 1},
		{name: "quota below a server error's 14: no retry", policy: cloud.RetryPolicy{Tokens: 13}, errs: []error{serverError()}, wantCalls: 1, wantErr: true, wantRefused: 1},
		{name: "quota of 14 pays a server error's retry", policy: cloud.RetryPolicy{Tokens: 14}, errs: []error{serverError()}, wantCalls: 2, wantSleeps: 1},
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

// The backoff is the pinned SDK's: retry i (from 0) sleeps a uniform draw under
// min(x·2^i, MaxBackoff), x being 1 s after a throttle and 50 ms after another error; the same
// seed gives the same sleeps.
func TestRetrierBackoffIsBoundedAndSeeded(t *testing.T) {
	t.Parallel()
	run := func(seed uint64, fail func() error) []time.Duration {
		clock := &fakeClock{}
		r := cloud.NewRetrier(clock, cloud.RetryPolicy{MaxAttempts: 10, MaxBackoff: 5 * time.Second, Seed: seed})
		errs := make([]error, 9)
		for i := range errs {
			errs[i] = fail()
		}
		if _, err := r.Wrap(cloud.API{IAM: &failingIAM{errs: errs}}).IAM.GetInstanceProfile(context.Background(), &iam.GetInstanceProfileInput{}); err != nil {
			t.Fatal(err)
		}
		return clock.sleeps
	}
	for _, tc := range []struct {
		name string
		fail func() error
		base time.Duration
	}{{"throttle", throttled, time.Second}, {"server error", serverError, 50 * time.Millisecond}} {
		a, b, c := run(1, tc.fail), run(1, tc.fail), run(2, tc.fail)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: same seed, different sleeps: %v vs %v", tc.name, a, b)
		}
		if fmt.Sprint(a) == fmt.Sprint(c) {
			t.Errorf("%s: seeds 1 and 2 gave the same sleeps %v", tc.name, a)
		}
		var over time.Duration // the sleeps that exceed the previous retry's ceiling
		for i, d := range a {
			ceiling := min(tc.base<<i, 5*time.Second)
			if d < 0 || d >= ceiling {
				t.Errorf("%s: retry %d slept %s, want [0, %s)", tc.name, i, d, ceiling)
			}
			if i > 0 && d >= min(tc.base<<(i-1), 5*time.Second) {
				over += d
			}
		}
		if over == 0 {
			t.Errorf("%s: no sleep ever passed the previous ceiling, the backoff does not grow: %v", tc.name, a)
		}
	}
}

// A retry that succeeds refunds its cost: a quota of 5 pays one throttled retry per call,
// for any number of calls, as long as each retry succeeds.
func TestRetrierRefundsASuccessfulRetry(t *testing.T) {
	t.Parallel()
	r := cloud.NewRetrier(&fakeClock{}, cloud.RetryPolicy{Tokens: 5})
	f := &failingIAM{}
	api := r.Wrap(cloud.API{IAM: f})
	for i := range 10 {
		f.errs = []error{throttled()}
		if _, err := api.IAM.GetInstanceProfile(context.Background(), &iam.GetInstanceProfileInput{}); err != nil {
			t.Fatalf("call %d: %v (stats %+v)", i, err, r.Stats())
		}
	}
	if st := r.Stats(); st.Retries != 10 || st.Refused != 0 {
		t.Fatalf("%+v, want 10 retries, none refused", st)
	}
}

// The quota bounds retries across calls: with 500 tokens at 5 a throttled retry, a service
// that throttles everything gets at most 100 retries, then one attempt per call; at 14 a
// retry of a server error, 35.
func TestRetrierBucketPreventsRetryStorm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fail    func() error
		retries int
	}{{throttled, 100}, {serverError, 35}} {
		r := cloud.NewRetrier(&fakeClock{}, cloud.RetryPolicy{})
		f := &failingIAM{errs: make([]error, 10000)}
		for i := range f.errs {
			f.errs[i] = tc.fail()
		}
		api := r.Wrap(cloud.API{IAM: f})
		for range 200 {
			_, _ = api.IAM.GetInstanceProfile(context.Background(), &iam.GetInstanceProfileInput{})
		}
		st := r.Stats()
		if st.Retries != tc.retries {
			t.Errorf("%v: %d retries, want %d (the quota's 500 tokens)", tc.fail(), st.Retries, tc.retries)
		}
		if f.calls != 200+tc.retries {
			t.Errorf("%v: %d calls to the service for 200 calls, want %d", tc.fail(), f.calls, 200+tc.retries)
		}
	}
}

func blogStack(t *testing.T) *specs.Stack {
	t.Helper()
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return s
}

// One throttled Describe during Observe fails it on the bare simulator (as it would not
// against AWS, where the SDK retries) and passes behind the retry layer.
func TestRetrierAbsorbsAThrottledObserve(t *testing.T) {
	t.Parallel()
	s := blogStack(t)
	for _, op := range []string{"DescribeInstances", "DescribeTargetHealth", "DescribeLoadBalancers"} {
		t.Run(op, func(t *testing.T) {
			faults := simulator.Faults{Throttle: map[string]int{op: 1}}
			bare := simulator.New(simulator.SeedWorld(), simulator.WithFaults(faults))
			if _, err := cloud.Observe(context.Background(), cloud.API{EC2: bare.EC2(), ELBV2: bare.ELBV2(), IAM: bare.IAM()}, plan.QueryOf(s)); err == nil {
				t.Fatalf("Observe without retries passed a throttled %s; the test proves nothing", op)
			}
			sim := simulator.New(simulator.SeedWorld(), simulator.WithFaults(faults))
			r := cloud.NewRetrier(sim.Clock(), cloud.RetryPolicy{Seed: 1})
			w, err := cloud.Observe(context.Background(), r.Wrap(cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}), plan.QueryOf(s))
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

// converge plans and applies the blog stack through the retry layer until the plan is empty
// (at most five rounds), with every operation throttled at rate for the first two simulated
// minutes (the simulator's throttle_rates fault), and returns the simulator's call count,
// failed calls included.
func converge(t *testing.T, rate float64) (calls, throttled int, stats cloud.RetryStats) {
	t.Helper()
	s := blogStack(t)
	var opts []simulator.Option
	if rate > 0 {
		opts = append(opts, simulator.WithFaults(simulator.Faults{ThrottleRates: []simulator.ThrottleRate{
			{Operation: "*", Rate: rate, Window: simulator.Window{Until: clock.Duration(2 * time.Minute)}},
		}}))
	}
	sim := simulator.New(simulator.SeedWorld(), opts...)
	r := cloud.NewRetrier(sim.Clock(), cloud.RetryPolicy{Seed: 7})
	api := r.Wrap(cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()})
	ctx := context.Background()
	total := func() (n int) {
		for _, c := range sim.Calls() {
			n += c
		}
		return n
	}
	for round := 1; ; round++ {
		w, err := cloud.Observe(ctx, api, plan.QueryOf(s))
		if err != nil {
			t.Fatalf("round %d: observe: %v", round, err)
		}
		p, err := plan.Build(s, w)
		if err != nil {
			t.Fatalf("round %d: plan: %v", round, err)
		}
		if p.Empty() {
			st := r.Stats()
			return total(), st.Attempts - st.Calls, st
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
	t.Parallel()
	base, baseRetried, _ := converge(t, 0)
	if baseRetried != 0 {
		t.Fatalf("the fault-free run retried %d times", baseRetried)
	}
	// Without the retry layer the same fault fails the first Observe.
	bare := simulator.New(simulator.SeedWorld(), simulator.WithFaults(simulator.Faults{ThrottleRates: []simulator.ThrottleRate{
		{Operation: "*", Rate: 0.3, Window: simulator.Window{Until: clock.Duration(2 * time.Minute)}},
	}}))
	if _, err := cloud.Observe(context.Background(), cloud.API{EC2: bare.EC2(), ELBV2: bare.ELBV2(), IAM: bare.IAM()}, plan.QueryOf(blogStack(t))); cloud.ErrorCode(err) == "" {
		t.Fatalf("Observe without retries under 30%% throttling: %v, want a throttling error", err)
	}
	calls, retried, st := converge(t, 0.3)
	if retried == 0 {
		t.Fatal("nothing was retried: the test proves nothing")
	}
	ratio := float64(calls) / float64(base)
	t.Logf("fault-free: %d calls; 30%% throttled for 2m: %d calls (%d retries, %d refused by the bucket, %s backoff): ratio %.2f",
		base, calls, st.Retries, st.Refused, st.Slept.Round(time.Millisecond), ratio)
	if ratio > 2 {
		t.Errorf("%d calls under throttling, %d without: ratio %.2f, want at most 2", calls, base, ratio)
	}
}
