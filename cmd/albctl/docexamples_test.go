package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/albctl/albctl/internal/specs"
)

// docExample is one ```hcl block of a page of docs/ or README.md: albctl HCL (a spec, a
// fragment of one, a variable file). Other tools' HCL, such as a Terraform provider block, is
// fenced ```terraform and not checked.
type docExample struct {
	where string // page:line, for the failure message
	text  string
}

// docExamples extracts every hcl example of README.md and docs/*.md.
func docExamples(t *testing.T) []docExample {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, filepath.Join("..", "..", "README.md"))
	var out []docExample
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		var cur *strings.Builder
		start := 0
		for i, line := range strings.Split(string(data), "\n") {
			switch {
			case cur != nil && strings.TrimSpace(line) == "```":
				out = append(out, docExample{where: filepath.Base(page) + ":" + strconv.Itoa(start), text: cur.String()})
				cur = nil
			case cur != nil:
				cur.WriteString(line + "\n")
			case strings.TrimSpace(line) == "```hcl":
				cur, start = &strings.Builder{}, i+1
			}
		}
		if cur != nil {
			t.Errorf("%s: an hcl example is never closed", page)
		}
	}
	return out
}

// TestDocExamples holds every hcl example of the docs to what albctl accepts
// (docs/testing.md): each parses and is written as albctl fmt writes it; a whole spec (one
// with a fleet and a target group) validates and plans on the simulator against the example world as written;
// a variable file sets only names; any other fragment uses only blocks and attributes the
// decoder knows, where they belong.
func TestDocExamples(t *testing.T) {
	examples := docExamples(t)
	if len(examples) < 15 {
		t.Fatalf("found %d hcl examples in docs/ and README.md; docs/spec.md alone has 14", len(examples))
	}
	whole := 0
	for _, ex := range examples {
		t.Run(ex.where, func(t *testing.T) {
			f, diags := hclsyntax.ParseConfig([]byte(ex.text), ex.where, hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("does not parse: %v\n%s", diags, ex.text)
			}
			if got := string(hclwrite.Format([]byte(ex.text))); got != ex.text {
				t.Errorf("not as albctl fmt writes it; it would be:\n%s", got)
			}
			body := f.Body.(*hclsyntax.Body)
			switch {
			case hasBlock(body, "fleet") && hasBlock(body, "target_group"):
				whole++
				planDocSpec(t, ex.text)
			case len(body.Blocks) == 0:
				// A variable file: name = value lines, constants only.
				for name, a := range body.Attributes {
					if _, diags := a.Expr.Value(nil); diags.HasErrors() {
						t.Errorf("variable file sets %s to something not a constant: %v", name, diags)
					}
				}
			default:
				for _, b := range body.Blocks {
					checkFragment(t, b, fragmentPath(t, b.Type))
				}
			}
		})
	}
	if whole == 0 {
		t.Error("no example in the docs is a whole spec: the complete example of docs/spec.md is gone")
	}
}

// planDocSpec validates a whole spec and plans it against a copy of the example world.
func planDocSpec(t *testing.T, text string) {
	t.Helper()
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec")
	if err := os.MkdirAll(spec, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(spec, "alb.hcl"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join("..", "..", "examples", "blog", "world.json"), world)
	for _, args := range [][]string{{"validate", spec}, {"plan", "-no-color", "--world", world, spec}} {
		var out, errb bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}
		if code := m.Run(context.Background(), args); code != 0 {
			t.Errorf("albctl %s of the example: exit %d\n%s%s", args[0], code, out.String(), errb.String())
		}
	}
}

// fragmentPath finds the schema path of a block shown on its own: a top-level block by its
// type, a nested one ("zone") by the one path that ends in it.
func fragmentPath(t *testing.T, typ string) string {
	t.Helper()
	var found []string
	for _, b := range specs.Schema() {
		if b.Path == typ || strings.HasSuffix(b.Path, "."+typ) {
			found = append(found, b.Path)
		}
	}
	if len(found) != 1 {
		t.Fatalf("block %q matches schema paths %v: want exactly one", typ, found)
	}
	return found[0]
}

// checkFragment checks a block's attributes and nested blocks against the schema of path.
func checkFragment(t *testing.T, b *hclsyntax.Block, path string) {
	t.Helper()
	i := slices.IndexFunc(specs.Schema(), func(s specs.SchemaBlock) bool { return s.Path == path })
	if i < 0 {
		t.Fatalf("no block %s in the schema", path)
	}
	s := specs.Schema()[i]
	if len(b.Labels) != len(s.Labels) {
		t.Errorf("block %s has %d labels, the decoder takes %d", path, len(b.Labels), len(s.Labels))
	}
	if !s.FreeForm {
		for name := range b.Body.Attributes {
			if !slices.ContainsFunc(s.Attributes, func(a specs.SchemaAttribute) bool { return a.Name == name }) {
				t.Errorf("block %s has attribute %s, which the decoder does not accept", path, name)
			}
		}
	}
	for _, nb := range b.Body.Blocks {
		if !slices.Contains(s.Blocks, path+"."+nb.Type) {
			t.Errorf("block %s has a nested block %s, which the decoder does not accept", path, nb.Type)
			continue
		}
		checkFragment(t, nb, path+"."+nb.Type)
	}
}

func hasBlock(body *hclsyntax.Body, typ string) bool {
	return slices.ContainsFunc(body.Blocks, func(b *hclsyntax.Block) bool { return b.Type == typ })
}
