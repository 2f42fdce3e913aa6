package clock_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/clock"
)

// Wall and the simulator's virtual clock are both used as a Clock.
var _ clock.Clock = clock.Wall{}

// TestDurationRoundTrip: what MarshalJSON writes, UnmarshalJSON reads back to the same value;
// the text is the Go duration string saved plans and world files hold.
func TestDurationRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		json string
	}{
		{0, `"0s"`},
		{800 * time.Millisecond, `"800ms"`},
		{30 * time.Second, `"30s"`},
		{5 * time.Minute, `"5m0s"`},
		{2*time.Hour + 7*time.Second, `"2h0m7s"`},
	} {
		b, err := json.Marshal(clock.Duration(tc.d))
		if err != nil || string(b) != tc.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.d, b, err, tc.json)
		}
		var back clock.Duration
		if err := json.Unmarshal(b, &back); err != nil || back.D() != tc.d {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", b, back, err, tc.d)
		}
		if back.String() != tc.d.String() {
			t.Errorf("String() = %q, want %q", back.String(), tc.d.String())
		}
	}
}

// TestDurationRefuses: a number is not read as nanoseconds, and a malformed string is an error.
func TestDurationRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`30`, `a duration must be a string such as "30s", not 30`},
		{`"30"`, `duration: time: missing unit in duration "30"`},
		{`"soon"`, `duration: time: invalid duration "soon"`},
		{`null`, `duration: time: invalid duration ""`}, // refused, as both former copies did: a field is given or omitted
	} {
		var d clock.Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

// TestWallSleep: Sleep(0) returns nil; a done context ends Sleep at once with ctx.Err(),
// however long it was asked to wait (no timing is asserted: an hour would hang the test).
func TestWallSleep(t *testing.T) {
	if err := (clock.Wall{}).Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (clock.Wall{}).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if (clock.Wall{}).Now().IsZero() {
		t.Error("Wall.Now() is the zero time")
	}
}
