package housetest

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the module's root directory, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.HasPrefix(mod, []byte("module github.com/albctl/albctl\n")) {
		t.Fatalf("%s is not the albctl module root (go.mod: %v)", root, err)
	}
	return root
}

// sourceFile is one parsed non-test Go file, named by its path from the repository root.
type sourceFile struct {
	name string
	file *ast.File
}

// parsePackage parses the non-test Go files of the directory dir (slash-separated, from the
// repository root). A directory that is gone or holds no Go file fails the test: a rule that
// checks nothing must not pass.
func parsePackage(t *testing.T, fset *token.FileSet, root, dir string) []sourceFile {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		t.Fatalf("%s: %v (did the package move? update the list of directories in this test)", dir, err)
	}
	var files []sourceFile
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		path := dir + "/" + name
		f, err := parser.ParseFile(fset, filepath.Join(root, filepath.FromSlash(path)), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		files = append(files, sourceFile{name: path, file: f})
	}
	if len(files) == 0 {
		t.Fatalf("%s holds no Go source file", dir)
	}
	slices.SortFunc(files, func(a, b sourceFile) int { return strings.Compare(a.name, b.name) })
	return files
}

// parseSource parses one file given as text, for the tests of the checks themselves.
func parseSource(t *testing.T, fset *token.FileSet, name, src string) []sourceFile {
	t.Helper()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return []sourceFile{{name: name, file: f}}
}

// funcName is a declaration's name as Go writes a method expression: (*EC2).RunInstances.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	return "(" + typeName(fd.Recv.List[0].Type) + ")." + fd.Name.Name
}

func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + typeName(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr: // a generic receiver, T[P]
		return typeName(t.X)
	case *ast.IndexListExpr:
		return typeName(t.X)
	}
	return "?"
}
