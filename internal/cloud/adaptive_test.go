package cloud

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// The expected figures below are the pinned aws-sdk-go-v2's own (aws/retry
// adaptive_ratelimit_test.go, TestAdaptiveRateLimit_cubic and TestAdaptiveRateLimit_Update):
// the port must compute what the SDK computes, to the SDK's tolerance.
const sdkEpsilon = 1e-12

func near(a, b float64) bool { return math.Abs(a-b) < sdkEpsilon }

func TestAdaptiveRateCubicMatchesTheSDK(t *testing.T) {
	t.Parallel()
	type step struct {
		throttled bool
		at        int64 // Unix seconds
		want      float64
	}
	for name, steps := range map[string][]step{
		"success": {{false, 5, 7}, {false, 6, 9.64893600966}, {false, 7, 10.000030849917364}, {false, 8, 10.453284520772092},
			{false, 9, 13.408697022224185}, {false, 10, 21.26626835427364}, {false, 11, 36.425998516920465}},
		"mixed": {{false, 5, 7}, {false, 6, 9.64893600966}, {true, 7, 6.754255206761999}, {true, 8, 4.727978644733399},
			{false, 9, 4.670125557970046}, {false, 10, 4.770870456867401}, {false, 11, 6.011819748005445}, {false, 12, 10.792973431384178}},
	} {
		a := newAdaptiveRate(time.Unix(0, 0))
		a.lastMaxRate = 10
		a.lastThrottleTime = time.Unix(5, 0)
		var rate float64
		for _, s := range steps {
			at := time.Unix(s.at, 0)
			a.calculateTimeWindow()
			if s.throttled {
				rate *= adaptiveBeta
				a.lastThrottleTime, a.lastMaxRate = at, rate
			} else {
				rate = a.cubicSuccess(at)
			}
			if !near(rate, s.want) {
				t.Errorf("%s at %ds: rate %v, want %v", name, s.at, rate, s.want)
			}
		}
	}
}

func TestAdaptiveRateUpdateMatchesTheSDK(t *testing.T) {
	t.Parallel()
	steps := []struct {
		throttled      bool
		ms             int64
		measured, fill float64
	}{
		{false, 200, 0, 0.5}, {false, 400, 0, 0.5}, {false, 600, 4.8, 0.5}, {false, 800, 4.8, 0.5},
		{false, 1000, 4.16, 0.5}, {false, 1200, 4.16, 0.6912}, {false, 1400, 4.16, 1.0976},
		{false, 1600, 5.632, 1.6384}, {false, 1800, 5.632, 2.3328}, {true, 2000, 4.3264, 3.02848},
		{false, 2200, 4.3264, 3.4866391734702598}, {false, 2400, 4.3264, 3.8218744160402554},
		{false, 2600, 5.665280, 4.053385727709987}, {false, 2800, 5.665280, 4.200373108479455},
		{false, 3000, 4.333056, 4.282036558348658}, {true, 3200, 4.333056, 2.99742559084406},
		{false, 3400, 4.333056, 3.4522263943863463},
	}
	a := newAdaptiveRate(time.Unix(0, 0))
	for _, s := range steps {
		a.update(time.UnixMilli(s.ms), s.throttled)
		if !near(a.measuredTxRate, s.measured) || !near(a.fillRate, s.fill) {
			t.Errorf("at %d ms: measured %v fill %v, want %v and %v", s.ms, a.measuredTxRate, a.fillRate, s.measured, s.fill)
		}
	}
}

// stepClock is a virtual clock for the retry layer.
type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }
func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return ctx.Err()
}

// throttlingIAM throttles every second call and takes 100 ms of the clock per call.
type throttlingIAM struct {
	clock *stepClock
	calls int
}

func (f *throttlingIAM) GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, optFns ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	f.calls++
	f.clock.now = f.clock.now.Add(100 * time.Millisecond)
	if f.calls%2 == 0 {
		return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
	}
	return &iam.GetInstanceProfileOutput{}, nil
}

// In adaptive mode, throttles make attempts wait for send tokens on the injected clock, and
// the same seed gives the same waits; standard mode never waits to send.
func TestAdaptiveModePacesAttemptsAfterThrottles(t *testing.T) {
	t.Parallel()
	run := func(mode aws.RetryMode) (RetryStats, time.Duration) {
		clock := &stepClock{now: time.Date(2023, 5, 14, 0, 0, 0, 0, time.UTC)}
		start := clock.now
		r := NewRetrier(clock, RetryPolicy{Mode: mode, Seed: 3})
		api := r.Wrap(API{IAM: &throttlingIAM{clock: clock}})
		for range 100 {
			_, _ = api.IAM.GetInstanceProfile(context.Background(), &iam.GetInstanceProfileInput{})
		}
		return r.Stats(), clock.now.Sub(start)
	}
	std, _ := run(aws.RetryModeStandard)
	if std.RateWaited != 0 {
		t.Fatalf("standard mode waited %s to send", std.RateWaited)
	}
	a, took := run(aws.RetryModeAdaptive)
	if a.RateWaited == 0 {
		t.Fatalf("adaptive mode never waited for a send token: %+v", a)
	}
	b, _ := run(aws.RetryModeAdaptive)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same seed, different runs: %+v vs %+v", a, b)
	}
	t.Logf("standard: %+v; adaptive: %+v over %s", std, a, took)
}
