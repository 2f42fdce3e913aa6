package bench

import (
	"context"
	"slices"
	"sync"
	"time"

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
func (l *Latency) Wrap(api cloud.API) cloud.API { return cloud.Intercept(api, l.around) }

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

// around is l as a cloud.Interceptor: one call after the round trip, its span recorded.
func (l *Latency) around(ctx context.Context, _ string, call func(context.Context) error) error {
	start := time.Now()
	t := time.NewTimer(l.rtt)
	select {
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	case <-t.C:
	}
	err := call(ctx)
	end := time.Now()
	l.mu.Lock()
	l.spans = append(l.spans, span{start, end})
	l.mu.Unlock()
	return err
}

func (l *Latency) total() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var d time.Duration
	for _, s := range l.spans {
		d += s.end.Sub(s.start)
	}
	return d
}
