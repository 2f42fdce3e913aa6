package housetest

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function may be, from its func keyword to its closing brace.
// A longer one mixes concerns: split it into parts named after what each checks or does.
const maxFuncLines = 80

// smallRooms are the directories whose functions must stay short (issue 13).
var smallRooms = []string{"internal/plan", "internal/engine", "internal/simulator", "internal/planfile", "internal/backend", "internal/bench", "internal/views", "internal/discover", "internal/rehearse"}

func TestNoLongFunctions(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	for _, dir := range smallRooms {
		for _, problem := range longFunctions(fset, parsePackage(t, fset, root, dir)) {
			t.Error(problem)
		}
	}
}

// longFunctions names every function (declared, or a function literal at package level)
// over maxFuncLines lines whose body is not a single table literal. Function literals inside
// a function count towards that function.
func longFunctions(fset *token.FileSet, files []sourceFile) []string {
	var out []string
	check := func(f sourceFile, name string, node ast.Node, body *ast.BlockStmt) {
		start, end := fset.Position(node.Pos()), fset.Position(node.End())
		if n := end.Line - start.Line + 1; n > maxFuncLines && !isTableLiteral(body) {
			out = append(out, fmt.Sprintf("%s:%d: %s is %d lines, over %d: split it by concern", f.name, start.Line, name, n, maxFuncLines))
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

// isTableLiteral reports whether body only returns one composite literal (or its address):
// a table is long because it has many rows, not because it does many things.
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			got := longFunctions(fset, parseSource(t, fset, "x.go", "package p\n\n"+tt.src))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
