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
// The one albctl package it may import is internal/clock, a leaf that knows neither either
// (the retry layer waits on a clock.Clock).
func TestCloudKnowsNeitherSpecNorPlan(t *testing.T) {
	t.Parallel()
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
			if strings.HasPrefix(path, "github.com/albctl/albctl/internal/") && path != "github.com/albctl/albctl/internal/clock" {
				t.Errorf("%s imports %s", e.Name(), path)
			}
		}
	}
}
