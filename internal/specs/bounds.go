package specs

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/albctl/albctl/internal/safefile"
)

// Bounds on what a spec may ask of the loader, so that no input — hostile or mistyped —
// exhausts the stack or the memory (docs/security.md). A real spec is a few kilobytes with
// expressions a handful of levels deep; these limits are far above that.
const (
	// MaxFileSize bounds each spec and var file.
	MaxFileSize = safefile.MaxSpecSize
	// MaxNesting bounds how deeply expressions nest: brackets, parentheses, template
	// interpolations, chains of unary operators and of conditionals. The HCL parser recurses
	// once (or more) per level.
	MaxNesting = 100
	// MaxValueSize bounds the size of any function's result and of any local value: elements
	// of collections plus bytes of strings, counted through nested values.
	MaxValueSize = 100_000
)

// readSource reads a spec or var file, refusing one larger than MaxFileSize without reading
// more than that (a var file named /dev/zero fails at the limit).
func readSource(name string) ([]byte, hcl.Diagnostics) {
	src, err := safefile.ReadFileLimited(name, MaxFileSize)
	if err == nil {
		return src, nil
	}
	start := hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos}
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "File too large", Subject: &start,
			Detail: fmt.Sprintf("%s is larger than %d MiB, the most albctl reads of a spec or variable file; a spec is a few kilobytes.", name, MaxFileSize>>20)}}
	}
	return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Failed to read file",
		Detail: fmt.Sprintf("The file %q could not be read: %s.", name, err)}}
}

// checkNesting refuses HCL source nested deeper than MaxNesting, before the recursive parser
// sees it, with a diagnostic at the token that goes too deep. The lexer is not recursive.
func checkNesting(src []byte, filename string, start hcl.Pos) hcl.Diagnostics {
	tokens, _ := hclsyntax.LexConfig(src, filename, start)
	// levels holds, per open bracket, the conditionals ('?') seen at that level since its
	// last separator: a ? b : c ? d : ... nests one level per '?'.
	levels := []int{0}
	depth, unary := 0, 0
	for _, tok := range tokens {
		switch tok.Type {
		case hclsyntax.TokenOParen, hclsyntax.TokenOBrack, hclsyntax.TokenOBrace,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl, hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc:
			levels = append(levels, 0)
			depth++
		case hclsyntax.TokenCParen, hclsyntax.TokenCBrack, hclsyntax.TokenCBrace,
			hclsyntax.TokenTemplateSeqEnd, hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc:
			if len(levels) > 1 {
				depth -= levels[len(levels)-1] + 1
				levels = levels[:len(levels)-1]
			}
		case hclsyntax.TokenQuestion:
			levels[len(levels)-1]++
			depth++
		case hclsyntax.TokenComma, hclsyntax.TokenNewline:
			depth -= levels[len(levels)-1]
			levels[len(levels)-1] = 0
		}
		if tok.Type == hclsyntax.TokenBang || tok.Type == hclsyntax.TokenMinus {
			unary++
		} else {
			unary = 0
		}
		if depth+unary > MaxNesting {
			rng := tok.Range
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Expression nested too deeply",
				Detail:   fmt.Sprintf("Expressions may nest at most %d levels deep (brackets, parentheses, templates, conditionals, operators); this one goes deeper here. Use locals to split it.", MaxNesting),
				Subject:  &rng,
			}}
		}
	}
	return nil
}

// checkJSONNesting is checkNesting for JSON var files.
func checkJSONNesting(src []byte, filename string) hcl.Diagnostics {
	depth, line, col := 0, 1, 1
	inString, escaped := false, false
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case inString && escaped:
			escaped = false
		case inString && r == '\\':
			escaped = true
		case r == '"':
			inString = !inString
		case !inString && (r == '[' || r == '{'):
			depth++
			if depth > MaxNesting {
				pos := hcl.Pos{Line: line, Column: col, Byte: i}
				return hcl.Diagnostics{{
					Severity: hcl.DiagError,
					Summary:  "Value nested too deeply",
					Detail:   fmt.Sprintf("Values may nest at most %d levels deep.", MaxNesting),
					Subject:  &hcl.Range{Filename: filename, Start: pos, End: hcl.Pos{Line: line, Column: col + 1, Byte: i + 1}},
				}}
			}
		case !inString && (r == ']' || r == '}'):
			depth--
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return nil
}

// parseHCL reads and parses one HCL file through the bounds above.
func parseHCL(p interface {
	ParseHCL([]byte, string) (*hcl.File, hcl.Diagnostics)
	ParseJSON([]byte, string) (*hcl.File, hcl.Diagnostics)
}, name string, json bool) (*hcl.File, hcl.Diagnostics) {
	src, diags := readSource(name)
	if diags.HasErrors() {
		return nil, diags
	}
	if json {
		if diags := checkJSONNesting(src, name); diags.HasErrors() {
			return nil, diags
		}
		return p.ParseJSON(src, name)
	}
	if diags := checkNesting(src, name, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return p.ParseHCL(src, name)
}

// valueSize counts the elements and string bytes of v, stopping once past limit.
func valueSize(v cty.Value, limit int) int {
	if !v.IsKnown() || v.IsNull() {
		return 1
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return 1 + len(v.AsString())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		n := 1
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			n += valueSize(e, limit-n)
			if n > limit {
				return n
			}
		}
		return n
	}
	return 1
}

// errTooLarge is the error of a function whose result would pass MaxValueSize.
func errTooLarge(what string, n int) error {
	return fmt.Errorf("the result would have %s (%d); the limit is %d elements and characters", what, n, MaxValueSize)
}

// bounded wraps a function so that its result is at most MaxValueSize; pre, when set, refuses
// arguments that would make a larger result before any of it is allocated.
func bounded(f function.Function, pre func(args []cty.Value) error) function.Function {
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		// Some functions do their work when asked for their type (jsondecode parses there), so
		// the arguments are checked before that too.
		Type: func(args []cty.Value) (cty.Type, error) {
			if pre != nil {
				if err := pre(args); err != nil {
					return cty.NilType, err
				}
			}
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if pre != nil {
				if err := pre(args); err != nil {
					return cty.NilVal, err
				}
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			if n := valueSize(v, MaxValueSize); n > MaxValueSize {
				return cty.NilVal, errTooLarge("more than that many elements and characters", n)
			}
			return v, nil
		},
	})
}

// lengthOf returns the number of elements of a known collection, or 0.
func lengthOf(v cty.Value) int {
	if !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
		return 0
	}
	return v.LengthInt()
}

// productBound refuses a setproduct whose result would have too many elements: the product
// of the argument lengths, times the number of arguments in each element.
func productBound(args []cty.Value) error {
	n := 1
	for _, a := range args {
		n *= max(lengthOf(a), 1)
		if n*len(args) > MaxValueSize {
			return errTooLarge("more elements than the product of the argument lengths allows", n*len(args))
		}
	}
	return nil
}

// formatBound refuses a format string with a width or precision that would pad a result past
// the limit (format("%999999999d", 1)).
func formatBound(args []cty.Value) error {
	if len(args) == 0 || !args[0].IsKnown() || args[0].IsNull() || args[0].Type() != cty.String {
		return nil
	}
	s := args[0].AsString()
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		for i++; i < len(s); i++ {
			c := s[i]
			if c >= '0' && c <= '9' {
				n := 0
				for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
					n = min(n*10+int(s[i]-'0'), MaxValueSize+1)
				}
				if n > MaxValueSize {
					return errTooLarge("a width or precision larger than that", n)
				}
				i--
				continue
			}
			if c != '.' && c != '-' && c != '+' && c != '#' && c != ' ' && c != '[' && c != ']' && c != '*' {
				break
			}
		}
	}
	return nil
}

// replaceBound refuses a replace whose result could pass the limit: every position of the
// string replaced by the replacement.
func replaceBound(args []cty.Value) error {
	if len(args) != 3 {
		return nil
	}
	for _, a := range args {
		if !a.IsKnown() || a.IsNull() || a.Type() != cty.String {
			return nil
		}
	}
	s, repl := len(args[0].AsString()), len(args[2].AsString())
	if n := (s+1)*repl + s; repl > 0 && n > MaxValueSize {
		return errTooLarge("up to that many characters", n)
	}
	return nil
}

// joinBound refuses a join whose separators alone pass the limit.
func joinBound(args []cty.Value) error {
	if len(args) < 2 || !args[0].IsKnown() || args[0].IsNull() || args[0].Type() != cty.String {
		return nil
	}
	n := 0
	for _, l := range args[1:] {
		n += lengthOf(l)
	}
	if total := n * len(args[0].AsString()); total > MaxValueSize {
		return errTooLarge("that many characters of separators", total)
	}
	return nil
}

// jsonBound refuses a jsondecode of a value nested deeper than MaxNesting: the decoder
// recurses once per level.
func jsonBound(args []cty.Value) error {
	if len(args) != 1 || !args[0].IsKnown() || args[0].IsNull() || args[0].Type() != cty.String {
		return nil
	}
	if diags := checkJSONNesting([]byte(args[0].AsString()), "<jsondecode>"); diags.HasErrors() {
		return fmt.Errorf("the JSON value is nested more than %d levels deep", MaxNesting)
	}
	return nil
}

// checkValue is the local-value counterpart of bounded: templates can double a string per
// local, so each local's value is bounded too.
func checkValue(v cty.Value, rng hcl.Range, what string) hcl.Diagnostics {
	if n := valueSize(v, MaxValueSize); n > MaxValueSize {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Value too large",
			Detail:   fmt.Sprintf("The value of %s has more than %d elements and characters.", what, MaxValueSize),
			Subject:  &rng,
		}}
	}
	return nil
}
