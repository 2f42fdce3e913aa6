package views

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// downstairs are the albctl packages a view may import (doc.go): the data it renders. The
// command, the backend and the simulator are above or beside it; what a view needs of them
// comes in through a type or an interface of this package (Traffic).
var downstairs = []string{"internal/clock", "internal/cloud", "internal/engine", "internal/plan", "internal/rehearse", "internal/specs"}

func TestViewsImportOnlyDown(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rel, ok := strings.CutPrefix(p, "github.com/albctl/albctl/"); ok && !slices.Contains(downstairs, rel) {
				t.Errorf("%s imports %s; a view may import only %v (docs/design.md)", name, rel, downstairs)
			}
		}
	}
}
