package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/albctl/albctl/internal/safefile"
	"github.com/albctl/albctl/internal/specs"
)

// varFileExt is the extension of variable files (name = value lines in HCL syntax). It is not
// .hcl on purpose: every *.hcl file in a spec directory is a spec file, so a variable file
// named prod.hcl next to the spec would be read as spec too.
const varFileExt = ".albvars"

// checkVarFiles refuses a -var-file that the spec directory would also load as a spec file,
// with a diagnostic that points at the file and says what to do instead.
func checkVarFiles(specPath string, varFiles []string) (hcl.Diagnostics, map[string]*hcl.File) {
	fi, err := os.Stat(specPath)
	if err != nil || !fi.IsDir() {
		return nil, nil
	}
	dir, err := filepath.Abs(specPath)
	if err != nil {
		return nil, nil
	}
	var diags hcl.Diagnostics
	files := map[string]*hcl.File{}
	for _, vf := range varFiles {
		if !strings.HasSuffix(vf, ".hcl") {
			continue
		}
		abs, err := filepath.Abs(vf)
		if err != nil || filepath.Dir(abs) != dir {
			continue
		}
		// Only to show the file in the diagnostic: bounded like every read of a spec file.
		src, _ := safefile.ReadFileLimited(vf, specs.MaxFileSize)
		files[vf] = &hcl.File{Bytes: src}
		base := strings.TrimSuffix(filepath.Base(vf), ".hcl")
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Variable file inside the spec directory",
			Detail: fmt.Sprintf("Every *.hcl file in %s is loaded as a spec file, so %s would be read as spec too. "+
				"Name variable files *%s (mv %s %s), or move it out of %s.",
				specPath, vf, varFileExt, vf, filepath.Join(filepath.Dir(vf), base+varFileExt), specPath),
			Subject: &hcl.Range{Filename: vf, Start: hcl.InitialPos, End: hcl.Pos{Line: 1, Column: 1, Byte: 0}},
		})
	}
	return diags, files
}
