package rehearse

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/simulator"
)

// The recorder's clock samples the routing model at every whole sampleEvery from the apply's
// start, however the engine's sleeps fall, and ends each sleep where it was asked to.
func TestSamplingClock(t *testing.T) {
	tests := []struct {
		name         string
		from, sleep  time.Duration
		cancelled    bool
		wantSamples  []time.Duration
		wantEnd      time.Duration
		wantCanceled bool
	}{
		{name: "a long sleep samples every five seconds", sleep: 12 * time.Second, wantSamples: []time.Duration{5 * time.Second, 10 * time.Second}, wantEnd: 12 * time.Second},
		{name: "a sleep up to a boundary samples there", from: 3 * time.Second, sleep: 2 * time.Second, wantSamples: []time.Duration{5 * time.Second}, wantEnd: 5 * time.Second},
		{name: "a sleep between boundaries samples nothing", from: 6 * time.Second, sleep: time.Second, wantEnd: 7 * time.Second},
		{name: "a cancelled sleep does not move the clock", from: 6 * time.Second, sleep: time.Minute, cancelled: true, wantEnd: 6 * time.Second, wantCanceled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := simulator.New(simulator.SeedWorld()).Clock()
			origin := c.Now()
			c.Advance(tt.from)
			var samples []time.Duration
			sc := samplingClock{clock: c, origin: origin, sample: func() { samples = append(samples, c.Now().Sub(origin)) }}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancelled {
				cancel()
			}
			defer cancel()
			err := sc.Sleep(ctx, tt.sleep)
			if errors.Is(err, context.Canceled) != tt.wantCanceled {
				t.Errorf("Sleep: %v", err)
			}
			if d := cmp.Diff(tt.wantSamples, samples); d != "" {
				t.Errorf("samples (-want +got):\n%s", d)
			}
			if got := sc.Now().Sub(origin); got != tt.wantEnd {
				t.Errorf("the clock ends at %s, want %s", got, tt.wantEnd)
			}
		})
	}
}
