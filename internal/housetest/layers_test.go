package housetest

import (
	"bufio"
	"fmt"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/albctl/albctl/"

// mayImport is the package map of docs/design.md as a rule: for every package of the module,
// the albctl packages its non-test files may import. Arrows point down, from the command to
// the edges, so a package never learns about one above it (the planner does not know the CLI,
// the cloud reader does not know the spec language). A new package states its place here
// before it compiles into the tree; the docs table must say the same (TestDesignDocStatesTheLayers).
var mayImport = map[string][]string{
	"cmd/albctl":                          {"internal/backend", "internal/bench", "internal/cloud", "internal/discover", "internal/engine", "internal/iampolicy", "internal/lock", "internal/mirror", "internal/plan", "internal/planfile", "internal/rehearse", "internal/safefile", "internal/simserve", "internal/simulator", "internal/specs", "internal/views"},
	"integration":                         {},
	"internal/backend":                    {"internal/clock", "internal/cloud", "internal/lock", "internal/plan", "internal/simulator", "internal/specs"},
	"internal/bench":                      {"internal/clock", "internal/cloud", "internal/engine", "internal/mirror", "internal/plan", "internal/simulator", "internal/specs"},
	"internal/clock":                      {},
	"internal/cloud":                      {"internal/clock"},
	"internal/conformance":                {"internal/cloud", "internal/simulator"},
	"internal/discover":                   {"internal/cloud", "internal/reach", "internal/safefile"},
	"internal/engine":                     {"internal/clock", "internal/cloud", "internal/plan"},
	"internal/housetest":                  {},
	"internal/iampolicy":                  {"internal/cloud", "internal/specs"},
	"internal/lock":                       {"internal/clock"},
	"internal/mirror":                     {"internal/clock", "internal/cloud", "internal/simulator"},
	"internal/plan":                       {"internal/clock", "internal/cloud", "internal/reach", "internal/safefile", "internal/specs"},
	"internal/planfile":                   {"internal/cloud", "internal/plan", "internal/safefile", "internal/specs"},
	"internal/reach":                      {"internal/cloud"},
	"internal/rehearse":                   {"internal/backend", "internal/clock", "internal/cloud", "internal/engine", "internal/mirror", "internal/plan", "internal/simulator", "internal/specs"},
	"internal/safefile":                   {},
	"internal/scenarios":                  {},
	"internal/simserve":                   {"internal/safefile", "internal/simulator"},
	"internal/simserve/internal/gennames": {},
	"internal/simulator":                  {"internal/clock", "internal/cloud", "internal/reach", "internal/safefile"},
	"internal/specs":                      {"internal/safefile"},
	"internal/testkit":                    {"internal/clock", "internal/cloud", "internal/engine", "internal/plan", "internal/simulator", "internal/specs"},
	"internal/views":                      {"internal/engine", "internal/plan", "internal/rehearse"},
}

// onlyIn narrows a rule to files: cmd/albctl wires the simulator as a backend in these files
// and nowhere else (every other command reaches it through internal/backend).
var onlyIn = map[string][]string{
	"internal/simulator": {"cmd/albctl/sim.go", "cmd/albctl/simserve.go"},
}

// TestImportsPointDown checks every package's non-test imports against mayImport, that the map
// names exactly the packages there are, and that the imports onlyIn narrows stay in their files.
func TestImportsPointDown(t *testing.T) {
	fset := token.NewFileSet()
	files := parseTree(t, fset, repoRoot(t))
	for _, problem := range layerProblems(importsByPackage(files), mayImport) {
		t.Error(problem)
	}
	for _, problem := range narrowProblems(files, "cmd/albctl", onlyIn) {
		t.Error(problem)
	}
}

// narrowProblems names each non-test file of dir that imports a package of only outside the
// files listed for it.
func narrowProblems(files []sourceFile, dir string, only map[string][]string) []string {
	var out []string
	for _, f := range files {
		if path.Dir(f.name) != dir || strings.HasSuffix(f.name, "_test.go") {
			continue
		}
		for _, imp := range f.file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			rel, ok := strings.CutPrefix(p, module)
			if allowed, narrowed := only[rel]; ok && narrowed && !slices.Contains(allowed, f.name) {
				out = append(out, fmt.Sprintf("%s imports %s, which %s may import only in %v: reach it through internal/backend", f.name, rel, dir, allowed))
			}
		}
	}
	return out
}

// importsByPackage maps each directory holding non-test Go files to the albctl packages
// those files import, with the file that imports each one first.
func importsByPackage(files []sourceFile) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f.name, "_test.go") {
			continue
		}
		dir := path.Dir(f.name)
		if out[dir] == nil {
			out[dir] = map[string]string{}
		}
		for _, imp := range f.file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rel, ok := strings.CutPrefix(p, module); ok {
				if _, seen := out[dir][rel]; !seen {
					out[dir][rel] = f.name
				}
			}
		}
	}
	return out
}

// layerProblems names each import the rules do not allow, each package without a rule and
// each rule for a package that is gone, in a stable order.
func layerProblems(got map[string]map[string]string, rules map[string][]string) []string {
	var out []string
	for _, pkg := range sortedKeys(got) {
		allowed, ok := rules[pkg]
		if !ok {
			out = append(out, fmt.Sprintf("%s has no entry in mayImport: say which albctl packages it may import (internal/housetest/layers_test.go, docs/design.md)", pkg))
			continue
		}
		for _, imp := range sortedKeys(got[pkg]) {
			if !slices.Contains(allowed, imp) {
				out = append(out, fmt.Sprintf("%s imports %s, which %s may not import (docs/design.md, package map)", got[pkg][imp], imp, pkg))
			}
		}
	}
	for _, pkg := range sortedKeys(rules) {
		if _, ok := got[pkg]; !ok {
			out = append(out, fmt.Sprintf("mayImport has a rule for %s, which holds no Go file: remove it", pkg))
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestLayerProblemsFound checks the check: an upward import, a package without a rule and a
// rule without a package are each named once.
func TestLayerProblemsFound(t *testing.T) {
	got := map[string]map[string]string{
		"internal/cloud": {"internal/specs": "internal/cloud/observe.go", "internal/clock": "internal/cloud/api.go"},
		"internal/new":   {},
	}
	rules := map[string][]string{
		"internal/cloud": {"internal/clock"},
		"internal/gone":  {},
	}
	want := []string{
		"internal/cloud/observe.go imports internal/specs, which internal/cloud may not import (docs/design.md, package map)",
		"internal/new has no entry in mayImport: say which albctl packages it may import (internal/housetest/layers_test.go, docs/design.md)",
		"mayImport has a rule for internal/gone, which holds no Go file: remove it",
	}
	if problems := layerProblems(got, rules); !slices.Equal(problems, want) {
		t.Errorf("layerProblems:\n got %q\nwant %q", problems, want)
	}
}

// TestNarrowProblemsFound checks the narrowing: the same import is fine in a listed file and
// named in another.
func TestNarrowProblemsFound(t *testing.T) {
	fset := token.NewFileSet()
	src := "package main\n\nimport _ \"github.com/albctl/albctl/internal/simulator\"\n"
	files := append(parseSource(t, fset, "cmd/albctl/sim.go", src), parseSource(t, fset, "cmd/albctl/plan.go", src)...)
	want := []string{"cmd/albctl/plan.go imports internal/simulator, which cmd/albctl may import only in [cmd/albctl/sim.go]: reach it through internal/backend"}
	got := narrowProblems(files, "cmd/albctl", map[string][]string{"internal/simulator": {"cmd/albctl/sim.go"}})
	if !slices.Equal(got, want) {
		t.Errorf("narrowProblems:\n got %q\nwant %q", got, want)
	}
}

// TestDesignDocStatesTheLayers reads the "may import" column of the package table in
// docs/design.md and compares it with mayImport, so the map a newcomer reads is the rule.
func TestDesignDocStatesTheLayers(t *testing.T) {
	doc, err := os.Open(filepath.Join(repoRoot(t), "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	stated, err := statedLayers(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range sortedKeys(mayImport) {
		want := shortNames(mayImport[pkg])
		got, ok := stated[pkg]
		switch {
		case !ok:
			t.Errorf("docs/design.md's package table has no row for %s", pkg)
		case !slices.Equal(got, want):
			t.Errorf("docs/design.md says %s may import %v; the rule (layers_test.go) says %v", pkg, got, want)
		}
	}
	for _, pkg := range sortedKeys(stated) {
		if _, ok := mayImport[pkg]; !ok {
			t.Errorf("docs/design.md's package table has a row for %s, which is not a package", pkg)
		}
	}
}

// statedLayers parses the rows of the table whose header has a "may import" column: the first
// cell is the package in backquotes (`internal/plan/`), the last the packages it may import by
// their last path element, comma-separated, or "nothing".
func statedLayers(doc *os.File) (map[string][]string, error) {
	out := map[string][]string{}
	inTable := false
	sc := bufio.NewScanner(doc)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		last := strings.TrimSpace(cells[len(cells)-1])
		if last == "may import" {
			inTable = true
			continue
		}
		if !inTable || strings.HasPrefix(last, "---") {
			continue
		}
		pkg := strings.Trim(strings.TrimSpace(cells[0]), "`/")
		out[pkg] = statedImports(last)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("docs/design.md has no table with a \"may import\" column")
	}
	return out, sc.Err()
}

func statedImports(cell string) []string {
	names := []string{}
	if cell == "nothing" {
		return names
	}
	for _, n := range strings.Split(cell, ",") {
		names = append(names, strings.Trim(strings.TrimSpace(n), "`"))
	}
	slices.Sort(names)
	return names
}

// shortNames is how the docs name packages: by their last path element, sorted.
func shortNames(pkgs []string) []string {
	out := []string{}
	for _, p := range pkgs {
		out = append(out, path.Base(p))
	}
	slices.Sort(out)
	return out
}
