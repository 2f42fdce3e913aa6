package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/simulator"
)

// patternWorld writes a world of the seed world plus n stopped instances whose 40-character
// Name tags all nearly match the benchmark's patterns, and a spec whose fleet names its
// source by pattern; the seed instance is renamed so that exactly one pattern matches it.
func patternWorld(tb testing.TB, n int, pattern string) (world, dir string) {
	tb.Helper()
	w := simulator.SeedWorld()
	src := &w.Instances[0]
	src.Tags["Name"] = "blog-frontend-production-primary-web-src" // 40 characters
	for i := range n {
		in := *src
		in.ID = fmt.Sprintf("i-%017x", 0xb0000000+i)
		in.Reservation = fmt.Sprintf("r-%017x", 0xb0000000+i)
		in.State, in.IAMAssociation, in.IAMProfileARN = "stopped", "", ""
		in.Tags = map[string]string{"Name": fmt.Sprintf("blog-frontend-production-replica-%05d-we", i)}
		w.Instances = append(w.Instances, in)
	}
	tmp := tb.TempDir()
	world = filepath.Join(tmp, "world.json")
	if err := w.Save(world); err != nil {
		tb.Fatal(err)
	}
	spec, err := os.ReadFile("../../examples/blog/alb.hcl")
	if err != nil {
		tb.Fatal(err)
	}
	s := strings.Replace(string(spec), `source       = "web"`, fmt.Sprintf("source_pattern = %q", pattern), 1)
	if s == string(spec) {
		tb.Fatal("the example spec no longer has the source line this benchmark replaces")
	}
	dir = filepath.Join(tmp, "spec")
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alb.hcl"), []byte(s), 0o644); err != nil {
		tb.Fatal(err)
	}
	return world, dir
}

// sourcePatterns are 40-character patterns in the shape issue 17 found exponential for a
// backtracking matcher ("*?" repeated, then what the name lacks): one matches the source,
// the other nothing.
var sourcePatterns = []struct {
	name, pattern string
	code          int
}{
	{"matches-one", strings.Repeat("*?", 16) + "*web-src", 0},
	{"matches-none", strings.Repeat("*?", 19) + "##", 1},
}

// TestSourcePatternPlans: the benchmark's plans do what they claim (on a small world).
func TestSourcePatternPlans(t *testing.T) {
	for _, sp := range sourcePatterns {
		if len(sp.pattern) != 40 {
			t.Fatalf("pattern %q has %d characters, want 40", sp.pattern, len(sp.pattern))
		}
		world, dir := patternWorld(t, 50, sp.pattern)
		var out, errb bytes.Buffer
		code := (&Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}).Run(context.Background(), []string{"plan", "--world", world, dir})
		if code != sp.code {
			t.Fatalf("%s: exit %d, want %d\n%s%s", sp.name, code, sp.code, out.String(), errb.String())
		}
		if sp.code == 0 && !strings.Contains(out.String(), "i-0a1b2c3d4e5f60001") {
			t.Errorf("%s: the plan does not copy the seed instance:\n%s", sp.name, out.String())
		}
		if sp.code != 0 && !strings.Contains(errb.String(), "matches the pattern") {
			t.Errorf("%s: stderr does not say the pattern matched nothing:\n%s", sp.name, errb.String())
		}
	}
}

// BenchmarkPlanSourcePattern is issue 17's acceptance figure: albctl plan (world file read,
// every lookup the simulator answers, the plan) with a 40-character source_pattern among
// 10,000 Name tags. docs/benchmarks.md records the figures.
func BenchmarkPlanSourcePattern(b *testing.B) {
	for _, sp := range sourcePatterns {
		b.Run(sp.name, func(b *testing.B) {
			world, dir := patternWorld(b, 10000, sp.pattern)
			for b.Loop() {
				var out, errb bytes.Buffer
				code := (&Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}).Run(context.Background(), []string{"plan", "--world", world, dir})
				if code != sp.code {
					b.Fatalf("exit %d, want %d\n%s", code, sp.code, errb.String())
				}
			}
		})
	}
}
