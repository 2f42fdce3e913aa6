package cloud

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aws/smithy-go"
)

// Against AWS, every call goes through the SDK's standard retryer, which absorbs throttling
// and AWS-side errors before albctl sees them. An implementation of the interfaces that is
// not an SDK client (the simulator) has no such layer, so one throttled Describe would fail
// a plan there that passes against AWS. Retrying puts the same policy in front of it
// (docs/simulator.md, "Retries in front of the simulator"): the same codes, the same attempt
// limit, the same backoff and the same retry-token bucket, sleeping on an injected clock.

// Clock is how the retry layer waits: the simulator's virtual clock, or the wall clock.
// engine.Clock has the same shape.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// RetryPolicy is the aws-sdk-go-v2 standard retryer's policy (retry.NewStandard); the zero
// value of each field takes the SDK's default.
type RetryPolicy struct {
	MaxAttempts int           // per call, the first included; default 3
	MaxBackoff  time.Duration // cap of one backoff; default 20s
	// Tokens is the retry-token bucket's capacity (default 500); a retry costs RetryCost
	// (default 5) and a call that succeeds at once puts NoRetryIncrement (default 1) back. An
	// empty bucket ends retrying for everyone, so a throttled service is not hammered.
	Tokens           int
	RetryCost        int
	NoRetryIncrement int
	// Seed makes the jitter deterministic: the same seed and the same calls give the same
	// sleeps.
	Seed uint64
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.MaxAttempts, 3)
	def(&p.Tokens, 500)
	def(&p.RetryCost, 5)
	def(&p.NoRetryIncrement, 1)
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 20 * time.Second
	}
	return p
}

// throttleCodes are the error codes the SDK's standard retryer treats as throttling
// (aws/retry: DefaultThrottleErrorCodes).
var throttleCodes = []string{
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
	"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException",
}

// transientCodes are the codes it retries as transient (DefaultRetryableErrorCodes), beside
// any answer with a 5xx status.
var transientCodes = []string{"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"}

// RetryableError says whether the standard retryer retries err: a throttling or transient
// code, or an error of the service's side (a 5xx, which smithy marks FaultServer). A
// cancelled or expired context is never retried.
func RetryableError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	code := ae.ErrorCode()
	return slices.Contains(throttleCodes, code) || slices.Contains(transientCodes, code) || ae.ErrorFault() == smithy.FaultServer
}

// ErrRetryQuota wraps the last error of a call that was not retried because the retry-token
// bucket was empty (the SDK's QuotaExceededError).
var ErrRetryQuota = errors.New("retry quota exceeded")

// RetryStats counts what the retry layer did.
type RetryStats struct {
	Calls    int // calls made by the caller
	Attempts int // calls made to the wrapped implementation
	Retries  int
	// Refused counts retries the empty token bucket refused.
	Refused int
	// Slept is the total backoff.
	Slept time.Duration
}

// Retrier retries calls by the standard retryer's policy. It is safe for concurrent use.
type Retrier struct {
	clock  Clock
	policy RetryPolicy

	mu     sync.Mutex
	rng    *rand.Rand
	tokens int
	stats  RetryStats
}

// NewRetrier returns a Retrier that sleeps on clock.
func NewRetrier(clock Clock, p RetryPolicy) *Retrier {
	p = p.withDefaults()
	return &Retrier{clock: clock, policy: p, tokens: p.Tokens, rng: rand.New(rand.NewPCG(p.Seed, 0x616c6263746c))}
}

// Stats returns what the Retrier did so far.
func (r *Retrier) Stats() RetryStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Wrap returns api with every client behind r. A nil client stays nil.
func (r *Retrier) Wrap(api API) API { return Intercept(api, r.around) }

// backoff is the SDK's exponential backoff with full jitter: a uniform draw from
// [0, 2^attempt s), capped at MaxBackoff; attempt counts retries from 1.
func (r *Retrier) backoff(attempt int) time.Duration {
	ceiling := r.policy.MaxBackoff
	if attempt < 31 {
		if d := time.Duration(1<<attempt) * time.Second; d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(r.rng.Float64() * float64(ceiling))
}

// takeToken takes a retry's cost from the bucket, or says it is empty.
func (r *Retrier) takeToken() bool {
	if r.tokens < r.policy.RetryCost {
		r.stats.Refused++
		return false
	}
	r.tokens -= r.policy.RetryCost
	r.stats.Retries++
	return true
}

func (r *Retrier) refill(n int) {
	r.tokens = min(r.tokens+n, r.policy.Tokens)
}

// around is r as an Interceptor: it runs call until it succeeds, fails with an error that is
// not retried, runs out of attempts, or the bucket refuses a retry.
func (r *Retrier) around(ctx context.Context, _ string, call func(context.Context) error) error {
	r.mu.Lock()
	r.stats.Calls++
	r.mu.Unlock()
	retried := false
	for attempt := 1; ; attempt++ {
		r.mu.Lock()
		r.stats.Attempts++
		r.mu.Unlock()
		err := call(ctx)
		if err == nil {
			r.mu.Lock()
			if retried {
				// The SDK hands the successful retry's token back.
				r.refill(r.policy.RetryCost)
			} else {
				r.refill(r.policy.NoRetryIncrement)
			}
			r.mu.Unlock()
			return nil
		}
		if attempt >= r.policy.MaxAttempts || !RetryableError(err) {
			return err
		}
		r.mu.Lock()
		if !r.takeToken() {
			r.mu.Unlock()
			return fmt.Errorf("%w: %w", ErrRetryQuota, err)
		}
		d := r.backoff(attempt)
		r.stats.Slept += d
		r.mu.Unlock()
		retried = true
		if serr := r.clock.Sleep(ctx, d); serr != nil {
			return errors.Join(err, serr)
		}
	}
}
