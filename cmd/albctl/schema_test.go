package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// schemaRow is one row of a table in docs/plan-json.md.
type schemaRow struct {
	types    []string
	required bool
}

var rowPattern = regexp.MustCompile("^\\| `([^`]+)` \\| ([a-z, ]+) \\| (yes|no) \\|")

// readSchema returns the documented tables: the plan document's, then the events'.
func readSchema(t *testing.T) (planDoc, events map[string]schemaRow) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "plan-json.md"))
	if err != nil {
		t.Fatal(err)
	}
	var tables []map[string]schemaRow
	var cur map[string]schemaRow
	for _, line := range strings.Split(string(data), "\n") {
		m := rowPattern.FindStringSubmatch(line)
		if m == nil {
			cur = nil
			continue
		}
		if cur == nil {
			cur = map[string]schemaRow{}
			tables = append(tables, cur)
		}
		var types []string
		for _, ty := range strings.Split(m[2], ",") {
			types = append(types, strings.TrimSpace(ty))
		}
		cur[m[1]] = schemaRow{types: types, required: m[3] == "yes"}
	}
	if len(tables) != 2 {
		t.Fatalf("docs/plan-json.md: found %d tables, want 2", len(tables))
	}
	return tables[0], tables[1]
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

// validate checks a decoded JSON value against a documented table: every field is documented
// with its type, every required field of every present object is there. Maps documented with
// a `.{}` child hold free-form keys.
func validate(t *testing.T, what string, v any, schema map[string]schemaRow) {
	t.Helper()
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if path != "" {
			row, ok := schema[path]
			if !ok {
				t.Errorf("%s: field %s is not documented in docs/plan-json.md", what, path)
				return
			}
			if !slices.Contains(row.types, jsonType(v)) {
				t.Errorf("%s: %s is %s, documented as %v", what, path, jsonType(v), row.types)
			}
		}
		join := func(k string) string {
			if path == "" {
				return k
			}
			return path + "." + k
		}
		switch x := v.(type) {
		case map[string]any:
			if _, isMap := schema[join("{}")]; isMap {
				for _, e := range x {
					walk(join("{}"), e)
				}
				return
			}
			for k, e := range x {
				walk(join(k), e)
			}
			prefix := join("")
			for p, row := range schema {
				rest, ok := strings.CutPrefix(p, prefix)
				if path == "" {
					rest, ok = p, true
				}
				if ok && row.required && !strings.ContainsAny(rest, ".[") {
					if _, present := x[rest]; !present {
						t.Errorf("%s: required field %s is missing", what, p)
					}
				}
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		}
	}
	walk("", v)
}

func runCLI(t *testing.T, args ...string) (stdout string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: nil}
	code = m.Run(context.Background(), args)
	if errb.Len() > 0 {
		t.Logf("stderr: %s", errb.String())
	}
	return out.String(), code
}

func TestPlanAndShowJSONMatchTheDocumentedSchema(t *testing.T) {
	planDoc, _ := readSchema(t)
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join("..", "..", "examples", "blog", "world.json"), world)
	saved := filepath.Join(dir, "p.plan")

	out, code := runCLI(t, "plan", "-json", "--world", world, "-out", saved, filepath.Join("..", "..", "examples", "blog"))
	if code != 0 {
		t.Fatalf("plan -json exit %d", code)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("plan -json is not JSON: %v", err)
	}
	validate(t, "plan -json", v, planDoc)

	shown, code := runCLI(t, "show", "-json", saved)
	if code != 0 {
		t.Fatalf("show -json exit %d", code)
	}
	if shown != out {
		t.Errorf("show -json differs from plan -json:\n%s\n---\n%s", shown, out)
	}
}

// plan -rehearse -json adds the rehearsal object; every field of it must be documented, and
// every required one printed, for a step that fails on the copy too.
func TestPlanRehearseJSONMatchesTheDocumentedSchema(t *testing.T) {
	planDoc, _ := readSchema(t)
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join("..", "..", "examples", "blog", "world.json"), world)
	faults := filepath.Join(dir, "faults.json")
	if err := os.WriteFile(faults, []byte(`{"image_failures": [{"name_glob": "web-*"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{nil, {"--faults", faults}} {
		args := append([]string{"plan", "-json", "-rehearse", "--world", world}, extra...)
		out, code := runCLI(t, append(args, filepath.Join("..", "..", "examples", "blog"))...)
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("plan -json -rehearse is not JSON: %v", err)
		}
		if _, ok := v["rehearsal"]; !ok {
			t.Fatalf("%v printed no rehearsal object", args)
		}
		validate(t, fmt.Sprint(args), v, planDoc)
	}
}

func TestApplyJSONEventsMatchTheDocumentedSchema(t *testing.T) {
	planDoc, events := readSchema(t)
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join("..", "..", "examples", "blog", "world.json"), world)
	out, code := runCLI(t, "apply", "-json", "-auto-approve", "--world", world, filepath.Join("..", "..", "examples", "blog"))
	if code != 0 {
		t.Fatalf("apply -json exit %d:\n%s", code, out)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var types []string
	for n := 1; sc.Scan(); n++ {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", n, err, sc.Text())
		}
		ty, _ := v["type"].(string)
		types = append(types, ty)
		if ty == "plan" {
			validate(t, "apply -json plan line", v["plan"], planDoc)
			delete(v, "plan")
		}
		validate(t, fmt.Sprintf("apply -json line %d", n), v, events)
	}
	for _, want := range []string{"plan", "step_started", "waiting", "step_done", "summary", "outcome"} {
		if !slices.Contains(types, want) {
			t.Errorf("apply -json printed no %q event (got %v)", want, slices.Compact(slices.Clone(types)))
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
