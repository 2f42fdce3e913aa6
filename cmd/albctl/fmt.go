package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/albctl/albctl/internal/safefile"
	"github.com/albctl/albctl/internal/specs"
)

// fmtCmd rewrites spec files canonically, as terraform fmt does: -check exits 3 when a file
// would change, -diff shows how.
func (m *Main) fmtCmd(_ context.Context, args []string) error {
	fs := m.flagSet("fmt")
	check := fs.Bool("check", false, "change nothing; exit 3 if any file is not formatted")
	showDiff := fs.Bool("diff", false, "print the changes as a diff")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	target, err := oneDir("fmt", pos)
	if err != nil {
		return err
	}
	files, err := specFiles(target)
	if err != nil {
		return err
	}
	var unformatted []string
	for _, path := range files {
		src, err := safefile.ReadFileLimited(path, specs.MaxFileSize)
		if err != nil {
			return err
		}
		// Refuse to "format" a file that does not parse: hclwrite would keep the garbage.
		if _, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos); diags.HasErrors() {
			m.writeDiags(nil, diags)
			return errReported
		}
		out := hclwrite.Format(src)
		if bytes.Equal(src, out) {
			continue
		}
		unformatted = append(unformatted, path)
		fmt.Fprintln(m.Stdout, path)
		if *showDiff {
			m.Stdout.Write(diff.Diff(path, src, path+" (formatted)", out))
		}
		if !*check {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				return err
			}
		}
	}
	if *check && len(unformatted) > 0 {
		return &exitError{code: 3}
	}
	return nil
}

func specFiles(target string) ([]string, error) {
	fi, err := os.Stat(target)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{target}, nil
	}
	matches, err := filepath.Glob(filepath.Join(target, "*.hcl"))
	if err != nil {
		return nil, err
	}
	varFiles, err := filepath.Glob(filepath.Join(target, "*"+varFileExt))
	matches = append(matches, varFiles...)
	if err != nil {
		return nil, err
	}
	sort.Strings(matches)
	return matches, nil
}
