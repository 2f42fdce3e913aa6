package rehearse

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package keeps to what its doc says (docs/design.md): it neither prints nor writes
// files — no os or io, no fmt.Print or Fprint — and imports neither the views nor the CLI.
func TestNeitherPrintsNorImportsItsViews(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := map[string]bool{"os": true, "io": true, "github.com/albctl/albctl/internal/views": true}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if banned[path] || strings.HasPrefix(path, "github.com/albctl/albctl/cmd/") {
				t.Errorf("%s imports %s", fset.Position(imp.Pos()), path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && printsWithFmt(sel) {
				t.Errorf("%s: fmt.%s prints", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

// printsWithFmt says whether sel is fmt.Print… or fmt.Fprint….
func printsWithFmt(sel *ast.SelectorExpr) bool {
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == "fmt" && (strings.HasPrefix(sel.Sel.Name, "Print") || strings.HasPrefix(sel.Sel.Name, "Fprint"))
}
