package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A rollout with gates and without keep_old prints its relaunches (gate.rollback.relaunch,
// and target.rollback.fleet.rollback.relaunch on its registrations): every field of them is
// documented in docs/plan-json.md, and every required one printed.
func TestRelaunchJSONMatchesTheDocumentedSchema(t *testing.T) {
	planDoc, _ := readSchema(t)
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join("..", "..", "examples", "blog", "world.json"), world)
	spec := filepath.Join(dir, "blog")
	if err := os.MkdirAll(spec, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "blog", "alb.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	end := strings.LastIndex(string(src), "\n}")
	gated := string(src)[:end] + "\n  rollout {\n    bake_time       = \"5m\"\n    max_5xx_percent = 1\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(spec, "alb.hcl"), []byte(gated), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, code := runCLI(t, "apply", "-auto-approve", "--world", world, spec); code != 0 {
		t.Fatalf("apply exit %d", code)
	}
	out, code := runCLI(t, "plan", "-json", "-var", "app_version=2", "--world", world, spec)
	if code != 0 {
		t.Fatalf("plan -json exit %d", code)
	}
	if !strings.Contains(out, `"relaunch": [`) {
		t.Fatalf("the plan relaunches nothing:\n%s", out)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("plan -json is not JSON: %v", err)
	}
	validate(t, "plan -json of a relaunching rollout", v, planDoc, nil)
}
