package bench

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestRun runs the whole measurement on a small world, quickly: the figures are not checked,
// only that every one is filled in and the applies converge.
func TestRun(t *testing.T) {
	rows, err := RunOptions(context.Background(), []int{10}, []int{1, 20}, Options{MinTime: time.Millisecond, Latencies: []LatencyConfig{{RTT: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	if r.N != 10 || r.PlanAPICalls == 0 || r.PlanNs <= 0 || r.BuildNs <= 0 || r.PlanAllocs <= 0 || r.SimOpsPerSec <= 0 {
		t.Errorf("missing figures: %+v", r)
	}
	if r.ObserveDepth != 2 || len(r.Latency) != 1 || r.Latency[0].Calls != r.PlanAPICalls || r.Latency[0].Depth < r.ObserveDepth || r.Latency[0].MaxInFlight != 16 {
		t.Errorf("depth %d, latency runs %+v", r.ObserveDepth, r.Latency)
	}
	if r.ApplySimSecondsK1 == nil || r.ApplySimSecondsK20 == nil || r.ApplySimSecondsK5 != nil {
		t.Errorf("apply figures: k1 %v k5 %v k20 %v", r.ApplySimSecondsK1, r.ApplySimSecondsK5, r.ApplySimSecondsK20)
	}
	for _, a := range r.Apply {
		if !a.ConvergedPlan || a.SimSeconds <= 0 || a.APICalls == 0 {
			t.Errorf("apply k=%d: %+v", a.K, a)
		}
	}
	if _, err := RunOptions(context.Background(), []int{10}, []int{MaxExtra + 1}, Options{}); err == nil {
		t.Error("k above MaxExtra accepted")
	}
}

func TestScalingsFlagQuadratic(t *testing.T) {
	rows := []Row{
		{N: 100, ObserveNs: 1e6, BuildNs: 1e5, PeakBytes: 1e5, BytesPerInstance: 1000},
		{N: 1000, PlanAPICalls: 20, ObserveNs: 10e6, BuildNs: 1e6, PeakBytes: 1e6, BytesPerInstance: 1000},
		{N: 10000, ObserveNs: 110e6, BuildNs: 100e6, PeakBytes: 1e7, BytesPerInstance: 1000},
	}
	flagged := map[string]bool{}
	for _, s := range Scalings(rows) {
		if s.FromN != 1000 || s.ToN != 10000 {
			t.Fatalf("compared %d with %d, want 1000 with 10000", s.FromN, s.ToN)
		}
		flagged[s.What] = s.Superlinear
	}
	if flagged["observe time, simulator included"] || !flagged["build time"] || flagged["plan memory (peak_bytes)"] {
		t.Errorf("flags: %v", flagged)
	}
	// Without 1,000 and 10,000, the two largest sizes are compared.
	s := Scalings(rows[:2])
	if len(s) == 0 || s[0].FromN != 100 || s[0].ToN != 1000 {
		t.Errorf("Scalings(100, 1000) = %+v", s)
	}
	var status []string
	for _, c := range Checks(rows) {
		status = append(status, c.Status)
	}
	want := []string{"MISSED", "ok", "ok", "not measured", "not measured", "MISSED"}
	if !slices.Equal(status, want) {
		t.Errorf("check statuses %q, want %q", status, want)
	}
}

func TestParseInts(t *testing.T) {
	got, err := ParseInts("10, 100,1_000,010")
	if err != nil || !slices.Equal(got, []int{10, 100, 1000, 10}) {
		t.Errorf("ParseInts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "x", "-5", ","} {
		if _, err := ParseInts(bad); err == nil {
			t.Errorf("ParseInts(%q) accepted", bad)
		}
	}
}
