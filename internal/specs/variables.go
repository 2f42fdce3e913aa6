package specs

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// variableSchema is the body of a variable "<name>" block.
var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
	},
}

// variable is a declared input variable and the value it ends up with.
type variable struct {
	name      string
	typ       cty.Type // cty.DynamicPseudoType when no type is given
	value     cty.Value
	set       bool // value came from a default or from outside
	declRange hcl.Range
}

// variables decodes the variable blocks and assigns their values, lowest precedence first:
// default, ALBCTL_VAR_<name>, var files in order, -var arguments in order. It returns the
// object that var.<name> refers to; a variable that failed is an unknown placeholder there so
// that what refers to it does not fail again.
func (l *loader) variables(blocks []*hcl.Block, varFiles []*hcl.File, opts Options) cty.Value {
	vars := map[string]*variable{}
	for _, b := range blocks {
		if v := l.declareVariable(b, vars); v != nil {
			vars[v.name] = v
		}
	}

	// Environment: names of undeclared variables are ignored, as the environment is shared
	// with other tools and other stacks.
	for _, kv := range opts.Env {
		rest, ok := strings.CutPrefix(kv, EnvVarPrefix)
		if !ok {
			continue
		}
		name, raw, ok := strings.Cut(rest, "=")
		if !ok {
			continue
		}
		if v := vars[name]; v != nil {
			l.assignRaw(v, raw, "the environment variable "+EnvVarPrefix+name)
		}
	}

	for _, f := range varFiles {
		l.assignFile(f, vars)
	}

	for _, arg := range opts.Vars {
		name, raw, ok := strings.Cut(arg, "=")
		if !ok {
			l.errorf(nil, "Invalid -var option",
				"The -var option %q is not a variable name and a value separated by an equals sign, as in -var 'name=value'.", arg)
			continue
		}
		name = strings.TrimSpace(name)
		v := vars[name]
		if v == nil {
			l.errorf(nil, "Value for undeclared variable",
				"A value for variable %q was given with -var, but the spec declares no variable of that name. To use this value, add a variable %q block.", name, name)
			continue
		}
		l.assignRaw(v, raw, "-var")
	}

	obj := map[string]cty.Value{}
	for name, v := range vars {
		if !v.set {
			l.errorf(&v.declRange, "No value for required variable",
				"The variable %q has no default, so it needs a value: give one with -var '%s=...', in a -var-file, or in the environment variable %s%s.",
				name, name, EnvVarPrefix, name)
		}
		if v.value == cty.NilVal {
			v.value = cty.DynamicVal
		}
		obj[name] = v.value
	}
	return cty.ObjectVal(obj)
}

// declareVariable decodes one variable block, reporting a bad or duplicate name.
func (l *loader) declareVariable(b *hcl.Block, vars map[string]*variable) *variable {
	name := b.Labels[0]
	a, _ := l.decodeBody(b.Body, variableSchema, nil)
	v := &variable{name: name, typ: cty.DynamicPseudoType, declRange: b.DefRange}
	typeOK := true
	if attr := a.attrs["type"]; attr != nil {
		ty, diags := typeexpr.TypeConstraint(attr.Expr)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			typeOK = false
		} else {
			v.typ = ty
		}
	}
	if attr := a.attrs["default"]; attr != nil && typeOK {
		// Defaults are constants: no variables, no function calls (a nil context says so).
		val, diags := attr.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			if conv, err := convert.Convert(val, v.typ); err != nil {
				l.exprErrorf(attr, nil, "Invalid default value for variable",
					"The default value of variable %q does not fit its type %s: %s.", name, typeexpr.TypeString(v.typ), err)
			} else {
				v.value, v.set = conv, true
			}
		} else {
			v.set = true // reported; do not also say it has no value
		}
	}
	if !typeOK {
		v.set = true
	}
	a.str("description") // checked to be a string; only for people reading the spec

	if !hclsyntax.ValidIdentifier(name) {
		l.errorf(&b.LabelRanges[0], "Invalid variable name",
			"%q is not a valid variable name: a name must start with a letter and contain only letters, digits, underscores and hyphens.", name)
		return nil
	}
	if first := vars[name]; first != nil {
		l.errorf(&b.LabelRanges[0], "Duplicate variable declaration",
			"A variable named %q was already declared at %s. Variable names must be unique.", name, first.declRange)
		return nil
	}
	return v
}

// assignRaw sets v from a string given outside any file (-var, environment). As in
// Terraform, the string is the value itself for a string variable or one without a type,
// and an HCL expression (such as 3, true or ["a", "b"]) for any other type.
func (l *loader) assignRaw(v *variable, raw, from string) {
	val := cty.StringVal(raw)
	if v.typ != cty.String && v.typ != cty.DynamicPseudoType {
		pseudo := fmt.Sprintf("<value for var.%s>", v.name)
		diags := checkNesting([]byte(raw), pseudo, hcl.InitialPos)
		var expr hclsyntax.Expression
		if !diags.HasErrors() {
			expr, diags = hclsyntax.ParseExpression([]byte(raw), pseudo, hcl.InitialPos)
		}
		if !diags.HasErrors() {
			var more hcl.Diagnostics
			val, more = expr.Value(nil)
			diags = append(diags, more...)
		}
		if diags.HasErrors() {
			l.errorf(&v.declRange, "Invalid value for variable",
				"The value %q for variable %q, given by %s, is not a valid value of type %s (written in HCL syntax): %s.",
				raw, v.name, from, typeexpr.TypeString(v.typ), firstError(diags))
			v.set = true
			return
		}
	}
	conv, err := convert.Convert(val, v.typ)
	if err != nil {
		l.errorf(&v.declRange, "Invalid value for variable",
			"The value for variable %q given by %s does not fit its type %s: %s.", v.name, from, typeexpr.TypeString(v.typ), err)
		v.set = true
		return
	}
	v.value, v.set = conv, true
}

// assignFile sets variables from the attributes of a var file, in source order.
func (l *loader) assignFile(f *hcl.File, vars map[string]*variable) {
	attrs, diags := f.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	for _, attr := range sortedAttributes(attrs) {
		v := vars[attr.Name]
		if v == nil {
			l.errorf(&attr.NameRange, "Value for undeclared variable",
				"The var file sets %q, but the spec declares no variable of that name.", attr.Name)
			continue
		}
		val, diags := attr.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			v.set = true
			continue
		}
		conv, err := convert.Convert(val, v.typ)
		if err != nil {
			l.exprErrorf(attr, nil, "Invalid value for variable",
				"The value for variable %q does not fit its type %s: %s.", v.name, typeexpr.TypeString(v.typ), err)
			v.set = true
			continue
		}
		v.value, v.set = conv, true
	}
}

// firstError is the detail (or summary) of the first error in diags.
func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			if d.Detail != "" {
				return strings.TrimSuffix(d.Detail, ".")
			}
			return d.Summary
		}
	}
	return "invalid"
}
