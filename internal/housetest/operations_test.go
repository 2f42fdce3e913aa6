package housetest

import (
	"fmt"
	"go/ast"
	"go/token"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// simServices are the simulator's clients: the type whose exported methods are operations,
// the variable in internal/simulator/sim.go listing them, and the throttling error of the service.
var simServices = []struct{ recv, list, throttle string }{
	{"*EC2", "ec2Ops", "ec2Throttle"},
	{"*ELBV2", "elbOps", "elbThrottle"},
	{"*IAM", "iamOps", "iamThrottle"},
}

// beginsWork are the fields and methods of Sim that only begin may use in an operation: the
// lock, the call counts and the throttling faults. An operation that touches them repeats
// the preamble begin exists to hold once.
var beginsWork = []string{"mu", "calls", "throttled", "begin"}

func TestSimulatorOperationsBegin(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	files := parsePackage(t, fset, repoRoot(t), "internal/simulator")
	for _, problem := range operationProblems(fset, files) {
		t.Error(problem)
	}
}

// operationProblems checks every exported method of a simulator client: it is listed as an
// operation of its service, and it starts with
//
//	unlock, err := s.begin(ctx, "TheMethodName", serviceThrottle())
//	if err != nil {
//		return nil, err
//	}
//	defer unlock()
//
// (after at most aliases such as `s := c.s`), and never touches the lock, the call counts
// or the throttling faults itself. Every listed operation must have its method.
func operationProblems(fset *token.FileSet, files []sourceFile) []string {
	var out []string
	lists := opLists(files)
	found := map[string]bool{}
	for _, f := range files {
		for _, d := range f.file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || !fd.Name.IsExported() || fd.Body == nil {
				continue
			}
			for _, svc := range simServices {
				if typeName(fd.Recv.List[0].Type) != svc.recv {
					continue
				}
				where := fmt.Sprintf("%s:%d: %s", f.name, fset.Position(fd.Pos()).Line, funcName(fd))
				found[svc.list+"/"+fd.Name.Name] = true
				if !slices.Contains(lists[svc.list], fd.Name.Name) {
					out = append(out, fmt.Sprintf("%s is not listed in %s: the simulator does not know it serves it", where, svc.list))
				}
				for _, p := range preambleProblems(fd, svc.throttle) {
					out = append(out, where+": "+p)
				}
			}
		}
	}
	for _, svc := range simServices {
		if lists[svc.list] == nil {
			out = append(out, fmt.Sprintf("simulator: no list of operations %s", svc.list))
		}
		for _, op := range lists[svc.list] {
			if !found[svc.list+"/"+op] {
				out = append(out, fmt.Sprintf("simulator: %s lists %s, which is no method of %s", svc.list, op, svc.recv))
			}
		}
	}
	return out
}

// opLists reads the package-level string slices naming each service's operations.
func opLists(files []sourceFile) map[string][]string {
	lists := map[string][]string{}
	for _, f := range files {
		for _, d := range f.file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.CompositeLit)
					if !ok {
						continue
					}
					for _, e := range lit.Elts {
						if s, ok := stringLit(e); ok {
							lists[name.Name] = append(lists[name.Name], s)
						}
					}
				}
			}
		}
	}
	return lists
}

// preambleProblems says how fd departs from the preamble operationProblems describes.
func preambleProblems(fd *ast.FuncDecl, throttle string) []string {
	stmts := fd.Body.List
	i := slices.IndexFunc(stmts, isBeginCall)
	if i < 0 {
		return []string{"does not start with unlock, err := s.begin(ctx, …)"}
	}
	var out []string
	for _, s := range stmts[:i] {
		if !isAlias(s) {
			out = append(out, "does something before begin (only aliases such as s := c.s may come first)")
			break
		}
	}
	call := stmts[i].(*ast.AssignStmt).Rhs[0].(*ast.CallExpr)
	if len(call.Args) != 3 || !isIdent(call.Args[0], "ctx") {
		out = append(out, "begin takes ctx, the operation's name and the service's throttling error")
	} else {
		if op, ok := stringLit(call.Args[1]); !ok || op != fd.Name.Name {
			out = append(out, fmt.Sprintf("begin counts the call as %s, not %q", exprString(call.Args[1]), fd.Name.Name))
		}
		if c, ok := call.Args[2].(*ast.CallExpr); !ok || !isIdent(c.Fun, throttle) || len(c.Args) != 0 {
			out = append(out, fmt.Sprintf("begin must throttle with %s()", throttle))
		}
	}
	if i+2 >= len(stmts) || !isReturnOnErr(stmts[i+1]) || !isDeferUnlock(stmts[i+2]) {
		out = append(out, "begin must be followed by `if err != nil { return nil, err }` and `defer unlock()`")
	}
	ast.Inspect(&ast.BlockStmt{List: stmts[i+1:]}, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && slices.Contains(beginsWork, sel.Sel.Name) {
			out = append(out, fmt.Sprintf("uses %s.%s, which only begin may use: it repeats begin's preamble", exprString(sel.X), sel.Sel.Name))
		}
		return true
	})
	return out
}

// isBeginCall reports whether s is `unlock, err := <x>.begin(…)`.
func isBeginCall(s ast.Stmt) bool {
	as, ok := s.(*ast.AssignStmt)
	if !ok || as.Tok != token.DEFINE || len(as.Lhs) != 2 || len(as.Rhs) != 1 ||
		!isIdent(as.Lhs[0], "unlock") || !isIdent(as.Lhs[1], "err") {
		return false
	}
	call, ok := as.Rhs[0].(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "begin"
}

// isAlias reports whether s only names fields, such as `s := c.s`.
func isAlias(s ast.Stmt) bool {
	as, ok := s.(*ast.AssignStmt)
	if !ok || as.Tok != token.DEFINE {
		return false
	}
	for _, e := range as.Rhs {
		if _, ok := e.(*ast.SelectorExpr); !ok {
			return false
		}
	}
	return true
}

func isReturnOnErr(s ast.Stmt) bool {
	is, ok := s.(*ast.IfStmt)
	if !ok || is.Init != nil || is.Else != nil || len(is.Body.List) != 1 {
		return false
	}
	cond, ok := is.Cond.(*ast.BinaryExpr)
	if !ok || cond.Op != token.NEQ || !isIdent(cond.X, "err") || !isIdent(cond.Y, "nil") {
		return false
	}
	ret, ok := is.Body.List[0].(*ast.ReturnStmt)
	return ok && len(ret.Results) == 2 && isIdent(ret.Results[0], "nil") && isIdent(ret.Results[1], "err")
}

func isDeferUnlock(s ast.Stmt) bool {
	ds, ok := s.(*ast.DeferStmt)
	return ok && isIdent(ds.Call.Fun, "unlock") && len(ds.Call.Args) == 0
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// exprString writes the simple expressions these messages quote.
func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.BasicLit:
		return e.Value
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	}
	return fmt.Sprintf("%T", e)
}

// TestOperationProblemsFound checks the check on operations that break the rule one way each.
func TestOperationProblemsFound(t *testing.T) {
	t.Parallel()
	const head = `package simulator

var ec2Ops = []string{"RunInstances"}
var elbOps = []string{"RegisterTargets"}
var iamOps = []string{"GetInstanceProfile"}

func (c *ELBV2) RegisterTargets(ctx context.Context, in *Input) (*Output, error) {
	s := c.s
	unlock, err := s.begin(ctx, "RegisterTargets", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	s.settle()
	return &Output{}, nil
}

func (c *IAM) GetInstanceProfile(ctx context.Context, in *Input) (*Output, error) {
	unlock, err := c.s.begin(ctx, "GetInstanceProfile", iamThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	return &Output{}, nil
}

func (c *EC2) helper() {}

`
	const run = "x.go:29: (*EC2).RunInstances: "
	tests := []struct {
		name string
		op   string
		want []string
	}{
		{"the preamble passes", `func (c *EC2) RunInstances(ctx context.Context, in *Input) (*Output, error) {
	s := c.s
	unlock, err := s.begin(ctx, "RunInstances", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	return &Output{}, nil
}`, nil},
		{"the old lock-and-defer preamble fails", `func (c *EC2) RunInstances(ctx context.Context, in *Input) (*Output, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["RunInstances"]++
	return &Output{}, nil
}`, []string{run + "does not start with unlock, err := s.begin(ctx, …)"}},
		{"validation before begin fails", `func (c *EC2) RunInstances(ctx context.Context, in *Input) (*Output, error) {
	if in == nil {
		return nil, errMissing
	}
	unlock, err := c.s.begin(ctx, "RunInstances", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	return &Output{}, nil
}`, []string{run + "does something before begin (only aliases such as s := c.s may come first)"}},
		{"a call counted under another name fails", `func (c *EC2) RunInstances(ctx context.Context, in *Input) (*Output, error) {
	unlock, err := c.s.begin(ctx, "TerminateInstances", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	return &Output{}, nil
}`, []string{run + `begin counts the call as "TerminateInstances", not "RunInstances"`, run + "begin must throttle with ec2Throttle()"}},
		{"a missing deferred unlock fails", `func (c *EC2) RunInstances(ctx context.Context, in *Input) (*Output, error) {
	unlock, err := c.s.begin(ctx, "RunInstances", ec2Throttle())
	if err != nil {
		return nil, err
	}
	out := &Output{}
	unlock()
	return out, nil
}`, []string{run + "begin must be followed by `if err != nil { return nil, err }` and `defer unlock()`"}},
		{"locking again, or counting calls, fails", `func (c *EC2) RunInstances(ctx context.Context, in *Input) (*Output, error) {
	unlock, err := c.s.begin(ctx, "RunInstances", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	c.s.calls["DescribeInstances"]++
	if c.s.throttled("RunInstances") {
		return nil, errThrottled
	}
	return &Output{}, nil
}`, []string{run + "uses c.s.calls, which only begin may use: it repeats begin's preamble", run + "uses c.s.throttled, which only begin may use: it repeats begin's preamble"}},
		{"an operation not listed fails, and so does a listed one without its method", `func (c *EC2) RunInstance(ctx context.Context, in *Input) (*Output, error) {
	unlock, err := c.s.begin(ctx, "RunInstance", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	return &Output{}, nil
}`, []string{"x.go:29: (*EC2).RunInstance is not listed in ec2Ops: the simulator does not know it serves it",
			"simulator: ec2Ops lists RunInstances, which is no method of *EC2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			got := operationProblems(fset, parseSource(t, fset, "x.go", head+tt.op+"\n"))
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
