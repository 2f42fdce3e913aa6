package rehearse

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/simulator"
)

// Each count and share lands in its own field, and each column and series name reads it.
func TestStats(t *testing.T) {
	counts := simulator.Counts{Requests: 100, Served: 40, ConnectionErrors: 1, Status502: 2, Status503: 3, Status504: 4, TargetErrors: 50,
		SessionsLost: 10, Why: []string{"w"}}
	sample := simulator.Traffic{Served: 0.4, Failed: 0.6, SwitchServer: 0.25, Why: "w", Status502: 0.02, Status503: 0.03, Status504: 0.05, TargetErrors: 0.5}
	local := sample
	local.Sessions = "local"
	tests := []struct {
		name string
		got  Stats
		want Stats
	}{
		{"counts", fromCounts(counts), Stats{Requests: 100, Served: 0.4, ConnErrors: 0.01, Status502: 0.02, Status503: 0.03, Status504: 0.04, AppErrors: 0.5, SessionsLost: 0.25, Why: []string{"w"}}},
		{"no requests", fromCounts(simulator.Counts{}), Stats{}},
		{"a sample, shared sessions", fromTraffic(sample), Stats{Served: 0.4, Status502: 0.02, Status503: 0.03, Status504: 0.05, AppErrors: 0.5, Why: []string{"w"}}},
		{"a sample, local sessions: a switch loses one", fromTraffic(local), Stats{Served: 0.4, Status502: 0.02, Status503: 0.03, Status504: 0.05, AppErrors: 0.5, SessionsLost: 0.25, Why: []string{"w"}}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, tt.got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	s := Stats{Served: 0.1, ConnErrors: 0.01, Status502: 0.02, Status503: 0.03, Status504: 0.04, AppErrors: 0.05, SessionsLost: 0.5}
	for name, want := range map[string]float64{"served": 0.1, "conn errors": 0.01, "502": 0.02, "503": 0.03, "504": 0.04, "app errors": 0.05, "sessions lost": 0.5, "other": 0} {
		if got := s.Value(name); got != want {
			t.Errorf("Value(%q) = %v, want %v", name, got, want)
		}
	}
	// Added in the columns' order, so every view prints the same figure.
	var want float64
	for _, v := range []float64{0.01, 0.02, 0.03, 0.04, 0.05} {
		want += v
	}
	if got := s.Failed(); got != want {
		t.Errorf("Failed() = %v, want %v", got, want)
	}
}

// sum adds every count, and each cause once, in order of first appearance.
func TestSum(t *testing.T) {
	a := simulator.Counts{Requests: 1, Served: 1, ConnectionErrors: 1, Status502: 1, Status503: 1, Status504: 1, TargetErrors: 1, SessionsLost: 1, SessionsStarted: 1, Why: []string{"b"}}
	sum(&a, simulator.Counts{Requests: 10, Served: 20, ConnectionErrors: 30, Status502: 40, Status503: 50, Status504: 60, TargetErrors: 70, SessionsLost: 80, SessionsStarted: 90, Why: []string{"a", "b"}})
	want := simulator.Counts{Requests: 11, Served: 21, ConnectionErrors: 31, Status502: 41, Status503: 51, Status504: 61, TargetErrors: 71, SessionsLost: 81, SessionsStarted: 91, Why: []string{"b", "a"}}
	if d := cmp.Diff(want, a); d != "" {
		t.Errorf("sum (-want +got):\n%s", d)
	}
}
