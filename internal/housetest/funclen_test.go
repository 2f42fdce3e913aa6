package housetest

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// maxFuncLines is the longest a function may be, from its func keyword to its closing brace,
// not counting its tables (below). A longer one mixes concerns: split it into parts named
// after what each checks or does.
const maxFuncLines = 80

// TestNoLongFunctions holds every Go file of the module to maxFuncLines, test files included
// (issue 21: the rule once covered a list of packages, and the packages off the list grew
// functions of 150 lines). docs/testing.md, "The shape of the house", says what counts.
func TestNoLongFunctions(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	files := parseTree(t, fset, repoRoot(t))
	if len(files) == 0 {
		t.Fatal("no Go file found: a rule that checks nothing must not pass")
	}
	for _, problem := range longFunctions(fset, files) {
		t.Error(problem)
	}
}

// longFunctions names every function (declared, or a function literal at package level)
// over maxFuncLines lines whose body is not a single returned literal. Function literals
// inside a function count towards that function, but a table literal inside it counts as
// one line: a table is long because it has many rows, not because it does many things. A
// function literal in a row of a table is checked on its own instead, like a function.
func longFunctions(fset *token.FileSet, files []sourceFile) []string {
	var out []string
	var check func(f sourceFile, name string, node ast.Node, body *ast.BlockStmt)
	check = func(f sourceFile, name string, node ast.Node, body *ast.BlockStmt) {
		start := fset.Position(node.Pos()).Line
		n, rows := countLines(fset, node)
		if n > maxFuncLines && !isTableLiteral(body) {
			out = append(out, fmt.Sprintf("%s:%d: %s is %d lines, over %d: split it by concern", f.name, start, name, n, maxFuncLines))
		}
		for _, lit := range rows {
			check(f, "the function literal", lit, lit.Body)
		}
	}
	for _, f := range files {
		for _, d := range f.file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Body != nil {
					check(f, funcName(d), d, d.Body)
				}
			case *ast.GenDecl:
				ast.Inspect(d, func(n ast.Node) bool {
					if lit, ok := n.(*ast.FuncLit); ok {
						check(f, "the function literal", lit, lit.Body)
						return false
					}
					return true
				})
			}
		}
	}
	return out
}

// countLines counts the lines of a function, each outermost table in it as the one line
// it starts on, and returns the function literals found in those tables' rows.
func countLines(fset *token.FileSet, fn ast.Node) (int, []*ast.FuncLit) {
	start, end := fset.Position(fn.Pos()).Line, fset.Position(fn.End()).Line
	n := end - start + 1
	var rows []*ast.FuncLit
	ast.Inspect(fn, func(node ast.Node) bool {
		lit, ok := node.(*ast.CompositeLit)
		if !ok || !isTable(lit) {
			return true
		}
		n -= fset.Position(lit.End()).Line - fset.Position(lit.Pos()).Line
		ast.Inspect(lit, func(node ast.Node) bool {
			if fl, ok := node.(*ast.FuncLit); ok {
				rows = append(rows, fl)
				return false
			}
			return true
		})
		return false
	})
	return n, rows
}

// isTable reports whether lit is a slice, array or map literal whose elements (a map's
// values) are all composite literals or their addresses, as in
// `tests := []struct{…}{{…}, {…}}`. Only a slice, array or map literal may leave its
// elements' type out, so an element written `{…}` proves lit is one even when its type is
// a named one.
func isTable(lit *ast.CompositeLit) bool {
	if len(lit.Elts) == 0 {
		return false
	}
	elided := false
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			e = kv.Value
		}
		if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
			e = u.X
		}
		row, ok := e.(*ast.CompositeLit)
		if !ok {
			return false
		}
		elided = elided || row.Type == nil
	}
	switch lit.Type.(type) {
	case *ast.ArrayType, *ast.MapType:
		return true
	}
	return elided
}

// isTableLiteral reports whether body only returns one composite literal (or its address),
// whatever its elements: a function that only builds a value.
func isTableLiteral(body *ast.BlockStmt) bool {
	if len(body.List) != 1 {
		return false
	}
	ret, ok := body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return false
	}
	e := ast.Unparen(ret.Results[0])
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = u.X
	}
	_, ok = e.(*ast.CompositeLit)
	return ok
}

// TestLongFunctionsFound checks the check: it must find a long function, and only one.
func TestLongFunctionsFound(t *testing.T) {
	t.Parallel()
	lines := func(n int, line string) string { return strings.Repeat(line+"\n", n) }
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"80 lines pass", "func f() {\n" + lines(78, "\tx++") + "}\n", nil},
		{"81 lines fail", "func f() {\n" + lines(79, "\tx++") + "}\n",
			[]string{"x.go:3: f is 81 lines, over 80: split it by concern"}},
		{"a method is named with its receiver", "func (s *Sim) f() {\n" + lines(79, "\tx++") + "}\n",
			[]string{"x.go:3: (*Sim).f is 81 lines, over 80: split it by concern"}},
		{"a table literal passes", "func f() []int {\n\treturn []int{\n" + lines(100, "\t\t1,") + "\t}\n}\n", nil},
		{"the address of a table literal passes", "func f() *T {\n\treturn &T{\n" + lines(100, "\t\tA: 1,") + "\t}\n}\n", nil},
		{"a literal built and then changed fails", "func f() *T {\n\tt := &T{\n" + lines(100, "\t\tA: 1,") + "\t}\n\tt.A++\n\treturn t\n}\n",
			[]string{"x.go:3: f is 106 lines, over 80: split it by concern"}},
		{"a long closure in a package variable fails", "var v = func() int {\n" + lines(90, "\tx++") + "\treturn x\n}()\n",
			[]string{"x.go:3: the function literal is 93 lines, over 80: split it by concern"}},
		{"closures count towards their function", "func f() {\n\tg := func() {\n" + lines(79, "\t\tx++") + "\t}\n\tg()\n}\n",
			[]string{"x.go:3: f is 84 lines, over 80: split it by concern"}},
		{"a test table counts as one line", "func TestF(t *testing.T) {\n\ttests := []struct{ a, b int }{\n" + lines(100, "\t\t{1, 2},") + "\t}\n" + lines(77, "\tx++") + "}\n", nil},
		{"a test table and 78 lines of code fail", "func TestF(t *testing.T) {\n\ttests := []struct{ a, b int }{\n" + lines(100, "\t\t{1, 2},") + "\t}\n" + lines(78, "\tx++") + "}\n",
			[]string{"x.go:3: TestF is 81 lines, over 80: split it by concern"}},
		{"a map of rows is a table", "func f() {\n\tm := map[string]T{\n" + lines(100, "\t\t\"a\": {A: 1},") + "\t}\n\tuse(m)\n}\n", nil},
		{"a named table type is a table when its rows leave their type out", "func f() {\n\tc := cases{\n" + lines(100, "\t\t{A: 1},") + "\t}\n\tuse(c)\n}\n", nil},
		{"a table of addresses is a table", "func f() {\n\tc := []*T{\n" + lines(100, "\t\t&T{A: 1},") + "\t}\n\tuse(c)\n}\n", nil},
		{"a slice of numbers is not a table", "func f() {\n\tc := []int{\n" + lines(100, "\t\t1,") + "\t}\n\tuse(c)\n}\n",
			[]string{"x.go:3: f is 105 lines, over 80: split it by concern"}},
		{"a struct literal is not a table", "func f() {\n\tc := T{\n" + lines(100, "\t\tA: U{},") + "\t}\n\tuse(c)\n}\n",
			[]string{"x.go:3: f is 105 lines, over 80: split it by concern"}},
		{"a long closure in a row of a table is checked on its own", "func f() {\n\tc := []T{\n\t\t{F: func() {\n" + lines(80, "\t\t\tx++") + "\t\t}},\n\t}\n\tuse(c)\n}\n",
			[]string{"x.go:5: the function literal is 82 lines, over 80: split it by concern"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fset := token.NewFileSet()
			got := longFunctions(fset, parseSource(t, fset, "x.go", "package p\n\n"+tt.src))
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
