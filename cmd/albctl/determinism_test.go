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

// TestOutputIsDeterministic runs plan, apply and bench twice each, with Observe's reads in
// flight side by side, and compares the output byte for byte. Run it under the race
// detector (go test -race ./cmd/albctl -run TestOutputIsDeterministic) to check the
// concurrent reads too.
func TestOutputIsDeterministic(t *testing.T) {
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}
		if code := m.Run(context.Background(), args); code != 0 {
			t.Fatalf("albctl %q: exit %d: %s", args, code, errb.String())
		}
		return out.String() + errb.String()
	}
	dir := t.TempDir()
	// The same path every run (it is in the output), with the example's world afresh.
	world := func() string {
		data, err := os.ReadFile("../../examples/blog/world.json")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "world.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name string
		args func() []string
		keep func(string) string
	}{
		{"plan", func() []string { return []string{"plan", "-no-color", "--world", world(), "../../examples/blog"} }, nil},
		{"plan -json", func() []string { return []string{"plan", "-json", "--world", world(), "../../examples/blog"} }, nil},
		{"apply", func() []string {
			return []string{"apply", "-auto-approve", "-no-color", "--world", world(), "../../examples/blog"}
		}, nil},
		{"bench", func() []string {
			return []string{"bench", "-json", "-n", "10,100", "-k", "1,5", "-time", "1ms", "-latency", "none", "-rollouts", "2,10"}
		}, simulatedOnly},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := run(c.args()...), run(c.args()...)
			if c.keep != nil {
				a, b = c.keep(a), c.keep(b)
			}
			if a != b {
				t.Errorf("two runs differ:\n--- first\n%s\n--- second\n%s", a, b)
			}
			if len(a) < 100 {
				t.Errorf("output too short to compare: %q", a)
			}
		})
	}
}

// simulatedOnly keeps of bench's JSON what does not depend on the machine: counts of calls,
// depths, steps and simulated times; wall times, CPU, allocations and memory are dropped.
func simulatedOnly(s string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			return "not JSON: " + line
		}
		b, _ := json.Marshal(strip(v))
		out = append(out, string(b))
	}
	return strings.Join(out, "\n")
}

func strip(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k := range v {
			if strings.HasSuffix(k, "_ns") || strings.Contains(k, "alloc") || strings.Contains(k, "bytes") ||
				k == "sim_ops_per_sec" || k == "plan_reps" || k == "round_trips" || k == "bytes_per_instance" {
				delete(v, k)
				continue
			}
			v[k] = strip(v[k])
		}
	case []any:
		for i := range v {
			v[i] = strip(v[i])
		}
	}
	return v
}
