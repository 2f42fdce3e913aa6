package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/albctl/albctl/internal/specs"
)

// loaded is a decoded spec with the source files its diagnostics point into.
type loaded struct {
	stack *specs.Stack
	files map[string]*hcl.File
}

// loadStack loads and validates the spec at dir, printing any diagnostics with their
// snippets. Errors come back as errReported.
func (m *Main) loadStack(dir string, c *common) (*loaded, error) {
	if diags, files := checkVarFiles(dir, c.varFiles); diags.HasErrors() {
		m.writeDiags(files, diags)
		return nil, errReported
	}
	stack, files, diags := specs.Load(dir, specs.Options{Vars: c.vars, VarFiles: c.varFiles, Env: m.Env})
	l := &loaded{stack: stack, files: files}
	if len(diags) > 0 {
		m.writeDiags(files, diags)
	}
	if diags.HasErrors() {
		return nil, errReported
	}
	return l, nil
}

// writeDiags prints each diagnostic as "Error: FILE:LINE:COL: summary", its detail, and the
// source line with the offending range underlined — the position first, so editors and CI
// annotations can jump to it.
func (m *Main) writeDiags(files map[string]*hcl.File, diags hcl.Diagnostics) {
	for _, d := range diags {
		sev := "Error"
		if d.Severity == hcl.DiagWarning {
			sev = "Warning"
		}
		if d.Subject == nil {
			fmt.Fprintf(m.Stderr, "%s: %s\n", sev, d.Summary)
		} else {
			r := d.Subject
			fmt.Fprintf(m.Stderr, "%s: %s:%d:%d: %s\n", sev, r.Filename, r.Start.Line, r.Start.Column, d.Summary)
		}
		if d.Detail != "" {
			fmt.Fprintf(m.Stderr, "  %s\n", d.Detail)
		}
		if d.Subject != nil {
			writeSnippet(m.Stderr, files[d.Subject.Filename], d.Subject)
		}
		fmt.Fprintln(m.Stderr)
	}
}

func writeSnippet(w io.Writer, f *hcl.File, r *hcl.Range) {
	if f == nil {
		return
	}
	lines := strings.Split(string(f.Bytes), "\n")
	if r.Start.Line < 1 || r.Start.Line > len(lines) {
		return
	}
	line := strings.TrimRight(lines[r.Start.Line-1], "\r")
	fmt.Fprintf(w, "\n  %4d | %s\n", r.Start.Line, line)
	start := max(r.Start.Column-1, 0)
	end := len(line)
	if r.End.Line == r.Start.Line {
		end = min(max(r.End.Column-1, start+1), len(line))
	}
	if start > len(line) {
		return
	}
	// Keep tabs so the marker lines up under the source.
	pad := strings.Map(func(c rune) rune {
		if c == '\t' {
			return c
		}
		return ' '
	}, line[:start])
	fmt.Fprintf(w, "       | %s%s\n", pad, strings.Repeat("^", max(end-start, 1)))
}

// reportPlanError prints a planning error: diagnostics with their snippets, anything else as
// it is.
func (m *Main) reportPlanError(l *loaded, err error) error {
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		m.writeDiags(l.files, diags)
		return errReported
	}
	return err
}
