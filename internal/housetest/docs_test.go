package housetest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docPages are the pages that may name the test behind a claim: README.md and every page
// under docs/. A name that no longer exists means the claim lost its test.
func docPages(t *testing.T, root string) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no docs/*.md under %s: %v", root, err)
	}
	return append(pages, filepath.Join(root, "README.md"))
}

// testName is a Go test, benchmark or fuzz target named in backticks in a page.
var testName = regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Z][A-Za-z0-9_]*)")

func TestDocsNameExistingTests(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	defined := definedTests(t, root)
	for _, page := range docPages(t, root) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, missing := range unknownTests(string(b), defined) {
			t.Errorf("%s names %s, which no _test.go file defines", page, missing)
		}
	}
}

// unknownTests lists, in page order, the test names page mentions that defined lacks.
func unknownTests(page string, defined map[string]bool) []string {
	var out []string
	for _, m := range testName.FindAllStringSubmatch(page, -1) {
		if !defined[m[1]] && !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// definedTests collects every top-level Test, Fuzz and Benchmark function of the repository.
func definedTests(t *testing.T, root string) map[string]bool {
	t.Helper()
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]*)\(`)
	out := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUnknownTestsFound(t *testing.T) {
	t.Parallel()
	page := "test: `TestReal`, `TestGone` (\"case\"), `FuzzGone`; `TestReal` again; `Testing` is a word"
	got := unknownTests(page, map[string]bool{"TestReal": true})
	if want := []string{"TestGone", "FuzzGone"}; !slices.Equal(got, want) {
		t.Errorf("unknownTests = %q, want %q", got, want)
	}
}
