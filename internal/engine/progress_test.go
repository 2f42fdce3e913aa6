package engine_test

import (
	"testing"
	"time"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/simulator"
)

// TestProgressOnASteadyCadence: a waiting step reports "still waiting" exactly every
// ProgressEvery, however its polls back off (they reach 30 s apart while an image bakes).
func TestProgressOnASteadyCadence(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
	p := planFor(t, sim, blogStack(t))
	var times []time.Duration
	if _, err := apply(t, sim, p, engine.Options{ProgressEvery: 10 * time.Second, Events: func(e engine.Event) {
		if e.Type == engine.EventWaiting && e.Step == "create_image.web" {
			times = append(times, e.Elapsed)
		}
	}}); err != nil {
		t.Fatal(err)
	}
	if len(times) < 10 {
		t.Fatalf("only %d progress reports while the image baked: %v", len(times), times)
	}
	for i, d := range times {
		if want := time.Duration(i+1) * 10 * time.Second; d != want {
			t.Fatalf("report %d at %s, want %s (all: %v)", i+1, d, want, times)
		}
	}
}
