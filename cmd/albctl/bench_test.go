package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runBench(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}
	code = m.Run(context.Background(), append([]string{"bench"}, args...))
	return out.String(), errb.String(), code
}

// TestBenchJSON: one JSON object per N with every field issue 5 asks for. Small sizes and a
// short -time keep it quick; figures are never checked, only present.
func TestBenchJSON(t *testing.T) {
	out, stderr, code := runBench(t, "-json", "-n", "10,20", "-k", "1,5,20", "-time", "1ms", "-latency", "none", "-rollouts", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
	}
	for i, line := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, f := range []string{"n", "plan_api_calls", "plan_api_calls_by_op", "plan_ns", "build_ns", "plan_allocs", "peak_bytes",
			"bytes_per_instance", "apply_sim_seconds_k1", "apply_sim_seconds_k5", "apply_sim_seconds_k20", "sim_ops_per_sec"} {
			v, ok := row[f]
			if !ok || v == nil {
				t.Errorf("line %d: field %s missing or null", i+1, f)
			}
		}
		if n := row["n"]; n != float64([]int{10, 20}[i]) {
			t.Errorf("line %d: n = %v", i+1, n)
		}
	}
}

func TestBenchTableAndMarkdown(t *testing.T) {
	md := filepath.Join(t.TempDir(), "benchmarks.md")
	out, stderr, code := runBench(t, "-n", "10,20", "-k", "1", "-time", "1ms", "-markdown", md, "-latency", "2", "-rollouts", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"API calls", "apply K=1", "Scaling from N=10 to N=20", "Targets:", "Wrote " + md,
		"Rollouts (one at a time", "instance refresh (estimate)", "No moto: albctl bench -moto URL"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	page, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Benchmarks", "## Machine", "| OS / arch |", "| Go | go", "## Results", "| 20 |", "## Targets",
		"## Plan latency", "| 2 ms, 16 in flight |", "## Rollouts", "### Instance refresh model", "## Against moto", "No moto"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestBenchJSONRollout: with rollouts, one more JSON object per fleet size.
func TestBenchJSONRollout(t *testing.T) {
	out, stderr, code := runBench(t, "-json", "-n", "10", "-k", "1", "-time", "1ms", "-latency", "1", "-rollouts", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
	}
	var row struct {
		Depth   int              `json:"observe_depth"`
		Latency []map[string]any `json:"latency"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil || row.Depth != 2 || len(row.Latency) != 1 {
		t.Errorf("row: %+v (%v)", row, err)
	}
	var ro struct {
		Rollout map[string]any `json:"rollout"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &ro); err != nil || ro.Rollout["members"] != float64(2) || ro.Rollout["inherent_seconds"] == nil || ro.Rollout["asg_seconds"] == nil {
		t.Errorf("rollout line: %s (%v)", lines[1], err)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "0"}, {"-k", "x"}, {"-k", "500"}, {"extra"}, {"-latency", "x"}, {"-rollouts", "0"}, {"-moto", "http://example.com:5000", "-latency", "none", "-rollouts", "none", "-n", "1", "-k", "1", "-time", "1ms"}} {
		if _, _, code := runBench(t, args...); code != 1 {
			t.Errorf("bench %q: exit %d, want 1", args, code)
		}
	}
	if _, _, code := runBench(t, "-h"); code != 0 {
		t.Errorf("bench -h: exit %d, want 0", code)
	}
}
