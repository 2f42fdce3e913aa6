package housetest

import (
	"fmt"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// testkitPath is the package of helpers shared by tests (internal/testkit's package doc).
const testkitPath = "github.com/albctl/albctl/internal/testkit"

// TestTestkitOnlyInTests fails naming every Go file of the module, other than the kit's own,
// that imports internal/testkit without being a _test.go file: the kit is test code and
// imports the simulator and the engine, which albctl's packages must not carry.
func TestTestkitOnlyInTests(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	for _, problem := range testkitImports(parseTree(t, fset, repoRoot(t))) {
		t.Error(problem)
	}
}

func testkitImports(files []sourceFile) []string {
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f.name, "_test.go") || strings.HasPrefix(f.name, "internal/testkit/") {
			continue
		}
		for _, imp := range f.file.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == testkitPath {
				out = append(out, fmt.Sprintf("%s imports %s, which only tests may import", f.name, testkitPath))
			}
		}
	}
	return out
}

// TestTestkitImportsFound checks the check on small sources.
func TestTestkitImportsFound(t *testing.T) {
	t.Parallel()
	src := "package p\n\nimport _ \"" + testkitPath + "\"\n"
	fset := token.NewFileSet()
	var files []sourceFile
	for _, name := range []string{"cmd/albctl/main.go", "cmd/albctl/main_test.go", "internal/testkit/sim.go"} {
		files = append(files, parseSource(t, fset, name, src)...)
	}
	got := testkitImports(files)
	want := "cmd/albctl/main.go imports " + testkitPath + ", which only tests may import"
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want [%q]", got, want)
	}
}
