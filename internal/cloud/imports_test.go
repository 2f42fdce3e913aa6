package cloud_test

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// internal/cloud reads what the planner asks for (a cloud.Query, built by plan.QueryOf) and
// knows neither the spec nor the plan (docs/design.md, "Packages and what each must not do").
func TestCloudKnowsNeitherSpecNorPlan(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			if strings.HasPrefix(path, "github.com/albctl/albctl/internal/") {
				t.Errorf("%s imports %s", e.Name(), path)
			}
		}
	}
}
