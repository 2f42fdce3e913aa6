package cloud

import (
	"math"
	"sync"
	"time"
)

// adaptiveRate is the client-side rate limiter of the SDK's adaptive retry mode (aws/retry
// adaptive_ratelimit.go and adaptive_token_bucket.go of the pinned aws-sdk-go-v2), on an
// injected clock: the SDK's reads time.Now through an internal package, so a simulated run
// could neither control it nor stay deterministic with it. Same constants, same CUBIC
// formulas, same order of updates (docs/simulator.md, "Retries in front of the simulator").
//
// Until the first throttle every attempt goes out at once. A throttle enables a token bucket
// that fills at a rate of 0.7 × the measured send rate, which then grows back along a cubic
// curve while attempts succeed; an attempt that finds the bucket empty waits for a token.
type adaptiveRate struct {
	mu sync.Mutex

	enabled bool

	fillRate         float64
	calculatedRate   float64
	lastRefilled     time.Time
	measuredTxRate   float64
	lastTxRateBucket float64
	requestCount     int64
	lastMaxRate      float64
	lastThrottleTime time.Time
	timeWindow       float64

	tokens, capacity float64
}

// The SDK's constants (newAdaptiveRateLimit, newAdaptiveTokenBucket).
const (
	adaptiveSmooth      = 0.8
	adaptiveBeta        = 0.7
	adaptiveScale       = 0.4
	adaptiveMinFillRate = 0.5
	adaptiveMinCapacity = 1.0
	adaptiveRequestCost = 1.0 // retry.DefaultRequestCost
)

func newAdaptiveRate(now time.Time) *adaptiveRate {
	return &adaptiveRate{lastTxRateBucket: math.Floor(unixSeconds(now)), lastThrottleTime: now}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / float64(time.Second) }

// acquire takes a send token at now, or says how long to wait before trying again.
func (a *adaptiveRate) acquire(now time.Time) (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.enabled {
		return 0, true
	}
	a.refill(now)
	if adaptiveRequestCost > a.tokens {
		// Rounded up: on a clock that moves only when slept on, a wait rounded down to
		// nothing would never refill the bucket.
		return time.Duration(math.Ceil((adaptiveRequestCost - a.tokens) / a.fillRate * float64(time.Second))), false
	}
	a.tokens -= adaptiveRequestCost
	return 0, true
}

// update records an attempt's outcome at now (the SDK's adaptiveRateLimit.Update).
func (a *adaptiveRate) update(now time.Time, throttled bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.updateMeasuredRate(now)
	if throttled {
		rate := a.measuredTxRate
		if a.enabled {
			rate = math.Min(a.measuredTxRate, a.fillRate)
		}
		a.lastMaxRate = rate
		a.calculateTimeWindow()
		a.lastThrottleTime = now
		a.calculatedRate = rate * adaptiveBeta
		a.enabled = true
	} else {
		a.calculateTimeWindow()
		a.calculatedRate = a.cubicSuccess(now)
	}
	a.updateRate(now, math.Min(a.calculatedRate, 2*a.measuredTxRate))
}

func (a *adaptiveRate) cubicSuccess(now time.Time) float64 {
	dt := now.Sub(a.lastThrottleTime).Seconds()
	return adaptiveScale*math.Pow(dt-a.timeWindow, 3) + a.lastMaxRate
}

func (a *adaptiveRate) calculateTimeWindow() {
	a.timeWindow = math.Pow(a.lastMaxRate*(1-adaptiveBeta)/adaptiveScale, 1./3.)
}

func (a *adaptiveRate) updateRate(now time.Time, rps float64) {
	a.refill(now)
	a.fillRate = math.Max(rps, adaptiveMinFillRate)
	a.capacity = math.Max(rps, adaptiveMinCapacity)
	a.tokens = math.Min(a.tokens, a.capacity)
}

// updateMeasuredRate smooths the send rate over half-second buckets.
func (a *adaptiveRate) updateMeasuredRate(now time.Time) {
	bucket := math.Floor(unixSeconds(now)*2) / 2
	a.requestCount++
	if bucket > a.lastTxRateBucket {
		current := float64(a.requestCount) / (bucket - a.lastTxRateBucket)
		a.measuredTxRate = current*adaptiveSmooth + a.measuredTxRate*(1-adaptiveSmooth)
		a.requestCount = 0
		a.lastTxRateBucket = bucket
	}
}

func (a *adaptiveRate) refill(now time.Time) {
	if a.lastRefilled.IsZero() {
		a.lastRefilled = now
		return
	}
	a.tokens = math.Min(a.tokens+now.Sub(a.lastRefilled).Seconds()*a.fillRate, a.capacity)
	a.lastRefilled = now
}
