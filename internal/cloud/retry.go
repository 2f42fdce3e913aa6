package cloud

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/albctl/albctl/internal/clock"
)

// Against AWS, every call goes through the SDK's retryer, which absorbs throttling and
// AWS-side errors before albctl sees them. An implementation of the interfaces that is not
// an SDK client (the simulator) has no such layer, so one throttled Describe would fail a
// plan there that passes against AWS. Retrying puts the pinned SDK's own retryer in front of
// it (docs/simulator.md, "Retries in front of the simulator"): the SDK's retry.Standard
// decides which errors are retried, how many attempts a call gets and what each retry costs
// from its retry quota; only the waiting is albctl's, because the SDK sleeps on the wall
// clock and draws its jitter from crypto/rand, and a rehearsal must sleep on the simulated
// clock and draw from the world's seed.

// RetryPolicy chooses the SDK retryer's settings; the zero value of each field takes the
// SDK's default.
type RetryPolicy struct {
	// Mode is aws.RetryModeStandard (the default) or aws.RetryModeAdaptive, which adds the
	// SDK's client-side rate limiter: after a throttle, attempts wait for send tokens.
	Mode        aws.RetryMode
	MaxAttempts int           // per call, the first included; default retry.DefaultMaxAttempts (3)
	MaxBackoff  time.Duration // cap of one backoff; default retry.DefaultMaxBackoff (20 s)
	// Tokens is the retry quota's capacity (default retry.DefaultRetryRateTokens, 500). The
	// SDK takes a retry's cost from it (5 after a throttle, 14 otherwise), refunds the cost
	// when the retry succeeds, and adds 1 for a call that succeeds at once; an empty quota
	// ends retrying for every call, so a throttled service is not hammered.
	Tokens int
	// Seed makes the jitter deterministic: the same seed and the same calls give the same
	// sleeps.
	Seed uint64
}

// ErrRetryQuota wraps the last error of a call that was not retried because the retry
// quota was empty (the SDK's ratelimit.QuotaExceededError).
var ErrRetryQuota = errors.New("retry quota exceeded")

// RetryStats counts what the retry layer did.
type RetryStats struct {
	Calls    int // calls made by the caller
	Attempts int // calls made to the wrapped implementation
	Retries  int
	// Refused counts retries the empty retry quota refused.
	Refused int
	// Slept is the total backoff; RateWaited the time attempts waited for the adaptive
	// mode's send tokens.
	Slept      time.Duration
	RateWaited time.Duration
}

// Retrier retries calls as the SDK's retryer does. It is safe for concurrent use.
type Retrier struct {
	clock    clock.Clock
	std      *retry.Standard
	adaptive *adaptiveRate // nil in standard mode

	mu    sync.Mutex
	rng   *rand.Rand
	stats RetryStats
}

// NewRetrier returns a Retrier that sleeps on clk.
func NewRetrier(clk clock.Clock, p RetryPolicy) *Retrier {
	r := &Retrier{clock: clk, rng: rand.New(rand.NewPCG(p.Seed, 0x616c6263746c))}
	r.std = retry.NewStandard(func(o *retry.StandardOptions) {
		if p.MaxAttempts > 0 {
			o.MaxAttempts = p.MaxAttempts
		}
		if p.MaxBackoff > 0 {
			o.MaxBackoff = p.MaxBackoff
		}
		if p.Tokens > 0 {
			o.RateLimiter = ratelimit.NewTokenRateLimit(uint(p.Tokens))
		}
		o.Backoff = seededBackoff{max: o.MaxBackoff, r: r}
	})
	if p.Mode == aws.RetryModeAdaptive {
		r.adaptive = newAdaptiveRate(clk.Now())
	}
	return r
}

// Stats returns what the Retrier did so far.
func (r *Retrier) Stats() RetryStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

func (r *Retrier) count(f func(*RetryStats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// Wrap returns api with every client behind r. A nil client stays nil.
func (r *Retrier) Wrap(api API) API { return Intercept(api, r.around) }

// seededBackoff is the pinned SDK's exponential backoff with jitter (aws/retry
// jitter_backoff.go, backoffDelay2026): before retry i (from 0), a uniform draw from
// [0, min(x·2^i, MaxBackoff)), where x is 1 s after a throttling error and the SDK's base
// delay of 50 ms after any other — with the draw from the seeded generator.
type seededBackoff struct {
	max time.Duration
	r   *Retrier
}

// sdkBaseDelay is retry.NewStandard's base delay for errors other than throttling (the
// SDK does not export it).
const sdkBaseDelay = 50 * time.Millisecond

var sdkThrottles = retry.IsErrorThrottles(retry.DefaultThrottles)

func (b seededBackoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	x := sdkBaseDelay
	if sdkThrottles.IsErrorThrottle(err).Bool() {
		x = time.Second
	}
	ceiling := min(float64(x)*math.Pow(2, float64(max(attempt-1, 0))), float64(b.max))
	b.r.mu.Lock()
	u := b.r.rng.Float64()
	b.r.mu.Unlock()
	return time.Duration(u * ceiling), nil
}

// withStatus gives an AWS error the HTTP status AWS sends with it, which is what the SDK's
// retryer classifies transient errors by: a fault of the service's side is a 500, the
// caller's a 400. The simulator's errors carry no HTTP response.
func withStatus(err error) error {
	var ae smithy.APIError
	var hs interface{ HTTPStatusCode() int }
	if err == nil || errors.As(err, &hs) || !errors.As(err, &ae) {
		return err
	}
	status := 0
	switch ae.ErrorFault() {
	case smithy.FaultServer:
		status = http.StatusInternalServerError
	case smithy.FaultClient:
		status = http.StatusBadRequest
	default:
		return err
	}
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}
}

// RetryableError says whether the SDK's standard retryer retries err (retry.DefaultRetryables:
// throttling codes, RequestTimeout, a 500/502/503/504 status, connection errors). A cancelled
// or expired context is never retried.
func RetryableError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(withStatus(err)).Bool()
}

// around is r as an Interceptor. It follows the SDK's retry middleware (aws/retry
// middleware.go, handleAttempt): each attempt takes a send token in adaptive mode; the
// first attempt's token adds to the quota when it succeeds; a failed attempt is retried when
// the error is retryable, attempts remain and the quota pays for the retry, after a backoff;
// a retry that succeeds refunds its cost.
func (r *Retrier) around(ctx context.Context, _ string, call func(context.Context) error) error {
	r.count(func(s *RetryStats) { s.Calls++ })
	releaseRetry := func(error) error { return nil }
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.waitToSend(ctx); err != nil {
			return err
		}
		releaseAttempt := func(error) error { return nil }
		if attempt == 1 {
			// The first attempt's token; the SDK gives later attempts a no-op one.
			release, err := r.std.GetAttemptToken(ctx)
			if err != nil {
				return fmt.Errorf("retry attempt token: %w", err)
			}
			releaseAttempt = release
		}
		r.count(func(s *RetryStats) { s.Attempts++ })
		err := call(ctx)
		_ = releaseRetry(err)
		_ = releaseAttempt(err)
		if r.adaptive != nil {
			r.adaptive.update(r.clock.Now(), sdkThrottles.IsErrorThrottle(err).Bool())
		}
		if err == nil {
			return nil
		}
		classified := withStatus(err)
		if !r.std.IsErrorRetryable(classified) || attempt >= r.std.MaxAttempts() {
			return err
		}
		release, qerr := r.std.GetRetryToken(ctx, classified)
		if qerr != nil {
			r.count(func(s *RetryStats) { s.Refused++ })
			return fmt.Errorf("%w: %w", ErrRetryQuota, err)
		}
		releaseRetry = release
		d, _ := r.std.RetryDelay(attempt, classified)
		r.count(func(s *RetryStats) { s.Retries++; s.Slept += d })
		if serr := r.clock.Sleep(ctx, d); serr != nil {
			return errors.Join(err, serr)
		}
	}
}

// waitToSend takes an attempt's send token in adaptive mode, sleeping on the clock until
// the rate limiter has one (the SDK's AdaptiveMode.GetAttemptToken).
func (r *Retrier) waitToSend(ctx context.Context) error {
	if r.adaptive == nil {
		return nil
	}
	for {
		wait, ok := r.adaptive.acquire(r.clock.Now())
		if ok {
			return nil
		}
		r.count(func(s *RetryStats) { s.RateWaited += wait })
		if err := r.clock.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("wait for the adaptive retry mode's send token: %w", err)
		}
	}
}
