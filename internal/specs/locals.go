package specs

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// locals merges the attributes of all locals blocks and evaluates them in dependency order,
// each with var.*, local.* and the functions in scope. It returns the object that local.<name>
// refers to; a local that failed (or sits in a cycle) is an unknown placeholder there.
func (l *loader) locals(blocks []*hcl.Block, vars cty.Value) cty.Value {
	defs := l.localDefs(blocks)
	if len(defs) == 0 {
		return cty.EmptyObjectVal
	}

	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	slices.Sort(names)

	deps, failed := l.localDeps(names, defs)

	values := map[string]cty.Value{}
	for _, name := range names {
		values[name] = cty.DynamicVal
	}
	for _, scc := range stronglyConnected(names, deps) {
		if len(scc) > 1 || slices.Contains(deps[scc[0]], scc[0]) {
			l.reportCycle(scc, defs)
			continue
		}
		name := scc[0]
		if failed[name] {
			continue
		}
		ctx := &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": vars, "local": cty.ObjectVal(values)},
			Functions: functions(),
		}
		val, diags := defs[name].Expr.Value(ctx)
		if !diags.HasErrors() {
			diags = append(diags, checkValue(val, defs[name].Expr.Range(), "local."+name)...)
		}
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		values[name] = val
	}
	return cty.ObjectVal(values)
}

// localDefs merges the attributes of all locals blocks by name, reporting a name defined twice.
func (l *loader) localDefs(blocks []*hcl.Block) map[string]*hcl.Attribute {
	defs := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		attrs, diags := b.Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		for _, attr := range sortedAttributes(attrs) {
			if first := defs[attr.Name]; first != nil {
				l.errorf(&attr.NameRange, "Duplicate local value",
					"A local value named %q was already defined at %s. Local value names must be unique.",
					attr.Name, first.NameRange)
				continue
			}
			defs[attr.Name] = attr
		}
	}
	return defs
}

// localDeps is the graph of locals: each local's name to the names of the locals its
// expression refers to. failed holds the locals that refer to an undeclared one.
func (l *loader) localDeps(names []string, defs map[string]*hcl.Attribute) (deps map[string][]string, failed map[string]bool) {
	deps, failed = map[string][]string{}, map[string]bool{}
	for _, name := range names {
		for _, tr := range defs[name].Expr.Variables() {
			if tr.RootName() != "local" || len(tr) < 2 {
				continue // not a local, or an invalid one that evaluation will report
			}
			var ref string
			switch step := tr[1].(type) {
			case hcl.TraverseAttr:
				ref = step.Name
			case hcl.TraverseIndex:
				if step.Key.Type() == cty.String && step.Key.IsKnown() && !step.Key.IsNull() {
					ref = step.Key.AsString()
				}
			}
			if ref == "" {
				continue
			}
			if defs[ref] == nil {
				rng := tr.SourceRange()
				l.errorf(&rng, "Reference to undeclared local value",
					"There is no local value named %q; declare it in a locals block.", ref)
				failed[name] = true
				continue
			}
			if !slices.Contains(deps[name], ref) {
				deps[name] = append(deps[name], ref)
			}
		}
	}

	return deps, failed
}

// reportCycle reports locals that refer to each other, on the one written first.
func (l *loader) reportCycle(scc []string, defs map[string]*hcl.Attribute) {
	slices.SortFunc(scc, func(a, b string) int {
		ra, rb := defs[a].Range, defs[b].Range
		return cmp.Or(cmp.Compare(ra.Filename, rb.Filename), cmp.Compare(ra.Start.Byte, rb.Start.Byte))
	})
	refs := make([]string, len(scc))
	for i, n := range scc {
		refs[i] = "local." + n
	}
	rng := defs[scc[0]].Expr.Range()
	var detail string
	if len(scc) == 1 {
		detail = fmt.Sprintf("The local value %s refers to itself, so it cannot be evaluated.", refs[0])
	} else {
		detail = fmt.Sprintf("The local values %s refer to each other in a cycle, so none of them can be evaluated.", strings.Join(refs, ", "))
	}
	l.errorf(&rng, "Cycle in local values", "%s", detail)
}

// stronglyConnected returns the strongly connected components of the graph (Tarjan's
// algorithm), dependencies before the nodes that depend on them. Visiting nodes in the given
// order makes the result deterministic.
func stronglyConnected(nodes []string, edges map[string][]string) [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	next := 0
	var visit func(n string)
	visit = func(n string) {
		index[n], low[n] = next, next
		next++
		stack = append(stack, n)
		onStack[n] = true
		for _, m := range edges[n] {
			if _, seen := index[m]; !seen {
				visit(m)
				low[n] = min(low[n], low[m])
			} else if onStack[m] {
				low[n] = min(low[n], index[m])
			}
		}
		if low[n] == index[n] {
			var scc []string
			for {
				m := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[m] = false
				scc = append(scc, m)
				if m == n {
					break
				}
			}
			out = append(out, scc)
		}
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	return out
}

// sortedAttributes returns attrs in source order.
func sortedAttributes(attrs hcl.Attributes) []*hcl.Attribute {
	list := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		list = append(list, a)
	}
	slices.SortFunc(list, func(a, b *hcl.Attribute) int {
		return cmp.Or(cmp.Compare(a.Range.Filename, b.Range.Filename), cmp.Compare(a.Range.Start.Byte, b.Range.Start.Byte))
	})
	return list
}
