package engine

import (
	"context"
	"time"
)

// Clock is how the engine reads and waits for time. Against AWS it is the wall clock; on the
// simulator it is virtual and Sleep advances it at once, so a seven-minute apply takes
// milliseconds and is reproducible.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever is first, and returns ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock is the real clock.
type WallClock struct{}

func (WallClock) Now() time.Time { return time.Now() }

func (WallClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
