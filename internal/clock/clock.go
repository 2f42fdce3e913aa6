package clock

import (
	"context"
	"time"
)

// Clock is how albctl reads and waits for time. Against AWS it is Wall; on the simulator it is
// virtual and Sleep advances it at once, so a seven-minute apply takes milliseconds and is
// reproducible (docs/simulator.md).
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever is first, and returns ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// Wall is the real clock, the only I/O this package does.
type Wall struct{}

// Now returns the wall-clock time.
func (Wall) Now() time.Time { return time.Now() }

// Sleep waits for d on the wall clock, or returns ctx.Err() as soon as ctx is done.
func (Wall) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
