package housetest

import (
	"fmt"
	"go/ast"
	"go/token"
	"testing"
)

// statelessRooms are the packages that may hold no package-level variable: what they need
// is passed in or kept in a value (issue 21: a package-level test hook blocks t.Parallel, and
// a package-level resolver or lock table is shared by every caller).
var statelessRooms = []string{"internal/backend", "internal/planfile"}

func TestNoPackageState(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	fset := token.NewFileSet()
	for _, dir := range statelessRooms {
		for _, problem := range packageVars(fset, parsePackage(t, fset, root, dir)) {
			t.Error(problem)
		}
	}
}

// packageVars names every package-level variable, the blank one included.
func packageVars(fset *token.FileSet, files []sourceFile) []string {
	var out []string
	for _, f := range files {
		for _, d := range f.file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					out = append(out, fmt.Sprintf("%s:%d: package-level variable %s: keep it in a value, or make it a constant or a function", f.name, fset.Position(name.Pos()).Line, name.Name))
				}
			}
		}
	}
	return out
}

// TestPackageVarsFound checks the check: a variable is found, constants and types are not.
func TestPackageVarsFound(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	files := parseSource(t, fset, "x.go", "package x\n\nconst c = 1\n\ntype T struct{}\n\nvar (\n\thook func()\n)\n\nfunc f() { var local int; _ = local }\n")
	got := packageVars(fset, files)
	if len(got) != 1 || got[0] != "x.go:8: package-level variable hook: keep it in a value, or make it a constant or a function" {
		t.Errorf("got %q", got)
	}
}
