package specs

import (
	"cmp"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Options are the inputs of a load besides the spec itself: variable values from the command
// line, var files and the environment. Load reads nothing else, so the caller passes the
// environment in.
type Options struct {
	// Vars are raw -var "name=value" arguments in command-line order (the last one wins).
	Vars []string
	// VarFiles are -var-file paths in order: HCL files (or .json) of name = value attributes.
	VarFiles []string
	// Env is the environment as "K=V" strings (os.Environ()); ALBCTL_VAR_<name>=value sets
	// variable <name>.
	Env []string
}

// EnvVarPrefix is the prefix of environment variables that set spec variables.
const EnvVarPrefix = "ALBCTL_VAR_"

// Top-level block types.
const (
	blockVariable     = "variable"
	blockLocals       = "locals"
	blockCloud        = "cloud"
	blockTargetGroup  = "target_group"
	blockLoadBalancer = "load_balancer"
	blockFleet        = "fleet"
)

// rootSchema is the schema of a spec file: blocks only, no top-level attributes.
var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockVariable, LabelNames: []string{"name"}},
		{Type: blockLocals},
		{Type: blockCloud},
		{Type: blockTargetGroup, LabelNames: []string{"label"}},
		{Type: blockLoadBalancer, LabelNames: []string{"label"}},
		{Type: blockFleet, LabelNames: []string{"label"}},
	},
}

// Load reads the spec at path (a directory of *.hcl files, or one file), applies the variable
// values of opts, and returns the validated Stack. The map holds every file parsed (spec and
// var files) by name, for rendering diagnostics with source snippets. All diagnostics found
// are returned, sorted by file and position; when any is an error, the Stack is nil.
func Load(path string, opts Options) (*Stack, map[string]*hcl.File, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	l := &loader{}

	names := l.specFiles(path)
	var files []*hcl.File
	for _, name := range names {
		f, diags := parseHCL(parser, name, false)
		l.diags = append(l.diags, diags...)
		if f != nil {
			files = append(files, f)
		}
	}
	var varFiles []*hcl.File
	for _, name := range opts.VarFiles {
		var f *hcl.File
		var diags hcl.Diagnostics
		f, diags = parseHCL(parser, name, strings.HasSuffix(name, ".json"))
		l.diags = append(l.diags, diags...)
		if f != nil {
			varFiles = append(varFiles, f)
		}
	}
	if l.diags.HasErrors() {
		return nil, parser.Files(), sortDiagnostics(l.diags)
	}

	stack := l.decode(files, varFiles, opts)
	if !l.diags.HasErrors() && l.unknown {
		// Unknown values only come from placeholders put in place of values that failed,
		// so this is a bug rather than a spec error; still, never return a half-known Stack.
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Value not known",
			Detail:   "An expression in the spec evaluated to an unknown value.",
		})
	}
	if l.diags.HasErrors() {
		stack = nil
	}
	return stack, parser.Files(), sortDiagnostics(l.diags)
}

// specFiles returns the files to load: path itself, or the *.hcl files of the directory path,
// sorted by name. Editor leftovers (names starting with "." or "#") are skipped.
func (l *loader) specFiles(path string) []string {
	info, err := os.Stat(path)
	if err != nil {
		l.errorf(nil, "Cannot read spec", "%s", err)
		return nil
	}
	if !info.IsDir() {
		return []string{path}
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		l.errorf(nil, "Cannot read spec directory", "%s", err)
		return nil
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".hcl") || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "#") {
			continue
		}
		names = append(names, filepath.Join(path, n))
	}
	if len(names) == 0 {
		l.errorf(nil, "No spec files", "The directory %s contains no *.hcl files.", path)
	}
	sort.Strings(names)
	return names
}

// decode runs the stages after parsing: variables, locals, then the blocks that may refer to
// them, then the blocks that may refer to those, then the checks across blocks.
func (l *loader) decode(files []*hcl.File, varFiles []*hcl.File, opts Options) *Stack {
	blocks := map[string][]*hcl.Block{}
	for _, f := range files {
		content, diags := f.Body.Content(rootSchema)
		withValidNames(diags, rootSchema, true)
		l.diags = append(l.diags, diags...)
		if content == nil {
			continue
		}
		for _, b := range content.Blocks {
			blocks[b.Type] = append(blocks[b.Type], b)
		}
	}

	vars := l.variables(blocks[blockVariable], varFiles, opts)
	locals := l.locals(blocks[blockLocals], vars)
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": vars, "local": locals},
		Functions: functions(),
	}

	stack := &Stack{}
	stack.Cloud = l.cloud(blocks[blockCloud], ctx)
	tgObjects := map[string]cty.Value{}
	for _, b := range l.uniqueLabels(blocks[blockTargetGroup]) {
		tg, obj := l.targetGroup(b, ctx)
		stack.TargetGroups = append(stack.TargetGroups, tg)
		tgObjects[tg.Label] = obj
	}
	lbObjects := map[string]cty.Value{}
	for _, b := range l.uniqueLabels(blocks[blockLoadBalancer]) {
		lb, obj := l.loadBalancer(b, ctx, stack.Cloud.Region)
		stack.LoadBalancers = append(stack.LoadBalancers, lb)
		lbObjects[lb.Label] = obj
	}
	uniqueNames(l, blockTargetGroup, stack.TargetGroups, func(tg TargetGroup) (string, hcl.Range) { return tg.Name, tg.NameRange })
	uniqueNames(l, blockLoadBalancer, stack.LoadBalancers, func(lb LoadBalancer) (string, hcl.Range) { return lb.Name, lb.NameRange })

	ctx = ctx.NewChild()
	ctx.Variables = map[string]cty.Value{
		blockTargetGroup:  cty.ObjectVal(tgObjects),
		blockLoadBalancer: cty.ObjectVal(lbObjects),
	}
	var fleets []fleetDecl
	for _, b := range l.uniqueLabels(blocks[blockFleet]) {
		fleets = append(fleets, l.fleet(b, ctx, stack))
	}
	l.checkFleets(stack, fleets)
	for _, f := range fleets {
		stack.Fleets = append(stack.Fleets, f.Fleet)
	}

	slices.SortFunc(stack.TargetGroups, func(a, b TargetGroup) int { return cmp.Compare(a.Label, b.Label) })
	slices.SortFunc(stack.LoadBalancers, func(a, b LoadBalancer) int { return cmp.Compare(a.Label, b.Label) })
	slices.SortFunc(stack.Fleets, func(a, b Fleet) int { return cmp.Compare(a.Label, b.Label) })
	return stack
}

// uniqueLabels returns the blocks whose label is a valid identifier and not already used by
// an earlier block of the same type, reporting the others.
func (l *loader) uniqueLabels(blocks []*hcl.Block) []*hcl.Block {
	seen := map[string]*hcl.Block{}
	var out []*hcl.Block
	for _, b := range blocks {
		label := b.Labels[0]
		if !hclsyntax.ValidIdentifier(label) {
			l.errorf(&b.LabelRanges[0], "Invalid block label",
				"The label %q of this %s block is not a valid name: a label must start with a letter and contain only letters, digits, underscores and hyphens, so that it can be referred to as %s.<label>.",
				label, b.Type, b.Type)
			continue
		}
		if first, dup := seen[label]; dup {
			l.errorf(&b.LabelRanges[0], "Duplicate "+b.Type+" block",
				"A %s block labelled %q was already declared at %s. Labels must be unique within a block type.",
				b.Type, label, first.DefRange)
			continue
		}
		seen[label] = b
		out = append(out, b)
	}
	return out
}

// uniqueNames reports two blocks of one type that name the same AWS resource.
func uniqueNames[T any](l *loader, blockType string, items []T, key func(T) (string, hcl.Range)) {
	seen := map[string]hcl.Range{}
	for _, it := range items {
		name, rng := key(it)
		if name == "" {
			continue
		}
		if first, ok := seen[name]; ok {
			l.errorf(&rng, "Duplicate resource name",
				"Another %s block already names %q (at %s): two blocks would manage the same AWS resource.",
				blockType, name, first)
			continue
		}
		seen[name] = rng
	}
}

// loader collects the diagnostics of one Load.
type loader struct {
	diags hcl.Diagnostics
	// unknown is set when an expression evaluated to an unknown value; that only happens
	// downstream of a value that already failed with a diagnostic.
	unknown bool
}

// errorf records an error diagnostic. subject may be nil for problems outside any file
// (a -var argument, a missing directory).
func (l *loader) errorf(subject *hcl.Range, summary, format string, args ...any) {
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
	}
	if subject != nil {
		r := *subject
		d.Subject = &r
	}
	l.diags = append(l.diags, d)
}

// exprErrorf records an error about the value of an attribute's expression, so that the
// diagnostic printer can show the values of the variables it refers to.
func (l *loader) exprErrorf(attr *hcl.Attribute, ctx *hcl.EvalContext, summary, format string, args ...any) {
	r := attr.Expr.Range()
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity:    hcl.DiagError,
		Summary:     summary,
		Detail:      fmt.Sprintf(format, args...),
		Subject:     &r,
		Expression:  attr.Expr,
		EvalContext: ctx,
	})
}

// sortDiagnostics orders diagnostics by file, line and column; those without a location
// (command-line problems) come first.
func sortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	key := func(d *hcl.Diagnostic) (string, int, int) {
		if d.Subject == nil {
			return "", 0, 0
		}
		return d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
	}
	slices.SortStableFunc(diags, func(a, b *hcl.Diagnostic) int {
		af, al, ac := key(a)
		bf, bl, bc := key(b)
		return cmp.Or(cmp.Compare(af, bf), cmp.Compare(al, bl), cmp.Compare(ac, bc))
	})
	return diags
}

// attrs decodes the attributes of one block's content with one evaluation context.
type attrs struct {
	l      *loader
	ctx    *hcl.EvalContext
	schema *hcl.BodySchema
	attrs  hcl.Attributes
}

// decodeBody checks body against schema and returns its attributes ready for decoding, and
// its nested blocks.
func (l *loader) decodeBody(body hcl.Body, schema *hcl.BodySchema, ctx *hcl.EvalContext) (attrs, hcl.Blocks) {
	content, diags := body.Content(schema)
	withValidNames(diags, schema, false)
	l.diags = append(l.diags, diags...)
	a := attrs{l: l, ctx: ctx, schema: schema}
	if content == nil {
		return a, nil
	}
	a.attrs = content.Attributes
	return a, content.Blocks
}

// value evaluates the attribute name converted to ty. ok is false when the attribute is
// absent or null (a null argument counts as not given, as in Terraform), or when it failed
// (a diagnostic is recorded), or when it is unknown because a value it depends on failed.
func (a attrs) value(name string, ty cty.Type) (val cty.Value, attr *hcl.Attribute, ok bool) {
	attr = a.attrs[name]
	if attr == nil {
		return cty.NilVal, nil, false
	}
	val, diags := attr.Expr.Value(a.ctx)
	a.l.diags = append(a.l.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, attr, false
	}
	val, _ = val.UnmarkDeep()
	if !val.IsWhollyKnown() {
		a.l.unknown = true
		return cty.NilVal, attr, false
	}
	if val.IsNull() {
		for _, as := range a.schema.Attributes {
			if as.Name == name && as.Required {
				a.l.exprErrorf(attr, a.ctx, "Missing required argument", "The argument %q is required and must not be null.", name)
			}
		}
		return cty.NilVal, attr, false
	}
	val, err := convert.Convert(val, ty)
	if err != nil {
		a.l.exprErrorf(attr, a.ctx, "Incorrect attribute value type",
			"Inappropriate value for attribute %q: %s.", name, err)
		return cty.NilVal, attr, false
	}
	return val, attr, true
}

// str evaluates a string attribute.
func (a attrs) str(name string) (string, *hcl.Attribute, bool) {
	val, attr, ok := a.value(name, cty.String)
	if !ok {
		return "", attr, false
	}
	return val.AsString(), attr, true
}

// boolean evaluates a bool attribute.
func (a attrs) boolean(name string) (bool, *hcl.Attribute, bool) {
	val, attr, ok := a.value(name, cty.Bool)
	if !ok {
		return false, attr, false
	}
	return val.True(), attr, true
}

// integer evaluates a whole-number attribute within [lo, hi]; what names the quantity in the
// error ("port").
func (a attrs) integer(name string, lo, hi int64, summary, what string) (int, *hcl.Attribute, bool) {
	val, attr, ok := a.value(name, cty.Number)
	if !ok {
		return 0, attr, false
	}
	bf := val.AsBigFloat()
	if !bf.IsInt() {
		a.l.exprErrorf(attr, a.ctx, summary, "The %s must be a whole number; got %s.", what, bf.Text('g', -1))
		return 0, attr, false
	}
	n, acc := bf.Int64()
	if acc != big.Exact || n < lo || n > hi {
		a.l.exprErrorf(attr, a.ctx, summary, "The %s must be between %d and %d; got %s.", what, lo, hi, bf.Text('g', -1))
		return 0, attr, false
	}
	return int(n), attr, true
}

// duration evaluates a duration-string attribute ("30s", "7d").
func (a attrs) duration(name string, summary string) (time.Duration, *hcl.Attribute, bool) {
	s, attr, ok := a.str(name)
	if !ok {
		return 0, attr, false
	}
	d, err := ParseDuration(s)
	if err != nil {
		a.l.exprErrorf(attr, a.ctx, summary, "Invalid duration %s. Write a duration like \"30s\", \"5m\", \"24h\" or \"7d\".", err)
		return 0, attr, false
	}
	return d, attr, true
}

// singleBlock returns the first block of type typ, reporting any further one.
func (l *loader) singleBlock(blocks hcl.Blocks, typ string) *hcl.Block {
	var first *hcl.Block
	for _, b := range blocks {
		if b.Type != typ {
			continue
		}
		if first != nil {
			l.errorf(&b.DefRange, "Duplicate "+typ+" block",
				"Only one %s block is allowed here; the first is at %s.", typ, first.DefRange)
			continue
		}
		first = b
	}
	return first
}
