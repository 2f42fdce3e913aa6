package housetest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// clockHome is the one package that may declare a clock interface or a Duration type
// (issue 21: three copies of Clock and two of Duration had grown apart; docs/design.md).
const clockHome = "internal/clock"

// TestOneClockOneDuration fails if any Go file outside internal/clock, tests included,
// declares an interface with exactly the methods Now() time.Time and
// Sleep(context.Context, time.Duration) error, or a type named Duration over time.Duration.
func TestOneClockOneDuration(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	fset := token.NewFileSet()
	files := parseTree(t, fset, root)
	var home int
	for _, f := range files {
		if filepath.Dir(f.name) == clockHome {
			home++
			continue
		}
		for _, problem := range clockCopies(fset, []sourceFile{f}) {
			t.Error(problem)
		}
	}
	if home == 0 {
		t.Fatalf("no Go file found in %s: did the package move?", clockHome)
	}
}

// TestClockIsALeaf checks what the package doc of internal/clock promises: it imports no
// other albctl package and nothing that does I/O beyond the wall clock.
func TestClockIsALeaf(t *testing.T) {
	t.Parallel()
	allowed := []string{"context", "encoding/json", "fmt", "time"}
	fset := token.NewFileSet()
	for _, f := range parsePackage(t, fset, repoRoot(t), clockHome) {
		for _, imp := range f.file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !slices.Contains(allowed, path) {
				t.Errorf("%s imports %s: internal/clock may import only %v (docs/design.md)", f.name, path, allowed)
			}
		}
	}
}

// parseTree parses every Go file of the module, test files included, skipping testdata,
// hidden directories (such as .venv), vendor and the root's bin (tools built for make).
func parseTree(t *testing.T, fset *token.FileSet, root string) []sourceFile {
	t.Helper()
	var files []sourceFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || path == filepath.Join(root, "bin")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parse %s: %w", rel, err)
		}
		files = append(files, sourceFile{name: filepath.ToSlash(rel), file: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// clockCopies names every type declaration, at package level or inside a function, that is
// a clock interface or a Duration over time.Duration.
func clockCopies(fset *token.FileSet, files []sourceFile) []string {
	var out []string
	for _, f := range files {
		ast.Inspect(f.file, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			line := fset.Position(ts.Pos()).Line
			if it, ok := ts.Type.(*ast.InterfaceType); ok && isClockInterface(it) {
				out = append(out, fmt.Sprintf("%s:%d: interface %s repeats clock.Clock: use %s", f.name, line, ts.Name.Name, clockHome))
			}
			if ts.Name.Name == "Duration" && types.ExprString(ts.Type) == "time.Duration" {
				out = append(out, fmt.Sprintf("%s:%d: type Duration repeats clock.Duration: use %s", f.name, line, clockHome))
			}
			return true
		})
	}
	return out
}

// isClockInterface reports whether it has exactly the methods Now() time.Time and
// Sleep(context.Context, time.Duration) error, parameter names aside.
func isClockInterface(it *ast.InterfaceType) bool {
	want := map[string]string{"Now": "() (time.Time)", "Sleep": "(context.Context, time.Duration) (error)"}
	got := map[string]string{}
	for _, m := range it.Methods.List {
		ft, ok := m.Type.(*ast.FuncType)
		if !ok || len(m.Names) != 1 {
			return false // an embedded interface or constraint: not this shape
		}
		got[m.Names[0].Name] = "(" + fieldTypes(ft.Params) + ") (" + fieldTypes(ft.Results) + ")"
	}
	if len(got) != len(want) {
		return false
	}
	for name, sig := range want {
		if got[name] != sig {
			return false
		}
	}
	return true
}

// fieldTypes lists a parameter or result list's types, one per value: (a, b int) is "int, int".
func fieldTypes(fl *ast.FieldList) string {
	if fl == nil {
		return ""
	}
	var list []string
	for _, f := range fl.List {
		n := max(len(f.Names), 1)
		for range n {
			list = append(list, types.ExprString(f.Type))
		}
	}
	return strings.Join(list, ", ")
}

// TestClockCopiesFound checks the check: each shape is found under any name, and near
// misses (an extra method, another Duration, a struct Clock) are not.
func TestClockCopiesFound(t *testing.T) {
	t.Parallel()
	src := `package x

import (
	"context"
	"time"
)

type Timer interface {
	Now() time.Time
	Sleep(c context.Context, d time.Duration) error
}

type Duration time.Duration

type Bigger interface {
	Now() time.Time
	Sleep(context.Context, time.Duration) error
	Stop()
}

type Clock struct{}

type Duration2 time.Duration

func f() {
	type Duration = time.Duration
}
`
	fset := token.NewFileSet()
	got := clockCopies(fset, parseSource(t, fset, "x.go", src))
	want := []string{
		"x.go:8: interface Timer repeats clock.Clock: use internal/clock",
		"x.go:13: type Duration repeats clock.Duration: use internal/clock",
		"x.go:26: type Duration repeats clock.Duration: use internal/clock",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
