package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// RoundTrip checks that w survives being written and read back, as the CLI does between two
// commands on a world file: Marshal, ParseWorld and Marshal again must succeed and give the
// same bytes. w itself is not changed. docs/simulator.md ("What a world file holds") says why
// every world the simulator reaches must pass.
func (w *World) RoundTrip() error {
	raw, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("world does not save: %w", err)
	}
	return roundTrip(raw)
}

// roundTrip is RoundTrip of the world raw holds (json.Marshal of it).
func roundTrip(raw []byte) error {
	c := &World{}
	if err := json.Unmarshal(raw, c); err != nil {
		return fmt.Errorf("world does not decode: %w", err)
	}
	saved, err := c.Marshal()
	if err != nil {
		return fmt.Errorf("world does not save: %w", err)
	}
	back, err := ParseWorld(saved)
	if err != nil {
		return fmt.Errorf("world does not load back: %w", err)
	}
	again, err := back.Marshal()
	if err != nil {
		return fmt.Errorf("reloaded world does not save: %w", err)
	}
	if !bytes.Equal(saved, again) {
		return fmt.Errorf("world changes when saved, loaded and saved again: %s", firstDifference(saved, again))
	}
	return nil
}

// WithRoundTripCheck makes the simulator check RoundTrip after every call (an API call may
// change the world, and even a Describe consumes a throttling fault), after every clock
// advance, and once at the start, and report each failure with the operation that led to
// it. Tests turn it on so that every state they drive the simulator through is one a world
// file can hold; it costs an encoding per call, and a save and a load per change.
func WithRoundTripCheck(report func(op string, err error)) Option {
	return func(s *Sim) { s.roundTrip = report }
}

// checkRoundTrip runs the round-trip check, if on, after op; s.mu is held. A world that
// differs from the last one checked in nothing but its clock is not checked again: most calls
// are Describes and clock advances while nothing changes, and the loader's only rule on the
// clock, that it is not too late (TestLateClockIsRefusedAtLoad), does not depend on them.
func (s *Sim) checkRoundTrip(op string) {
	if s.roundTrip == nil {
		return
	}
	now := s.w.Now
	s.w.Now = time.Time{}
	timeless, err := json.Marshal(s.w)
	s.w.Now = now
	if err == nil && bytes.Equal(timeless, s.checked) {
		return
	}
	s.checked = timeless
	if err == nil {
		err = s.w.RoundTrip()
	}
	if err != nil {
		s.roundTrip(op, fmt.Errorf("after %s at %s: %w", op, now.UTC().Format("2006-01-02T15:04:05Z"), err))
	}
}

// firstDifference shows the first line where two world files differ.
func firstDifference(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("line %d is %q, then %q", i+1, bytes.TrimSpace(la[i]), bytes.TrimSpace(lb[i]))
		}
	}
	return fmt.Sprintf("%d lines, then %d", len(la), len(lb))
}
