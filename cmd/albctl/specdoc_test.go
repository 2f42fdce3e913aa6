package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/albctl/albctl/internal/specs"
)

// docBlock is one "Block `path`" section of docs/spec.md.
type docBlock struct {
	attrs    map[string]bool // attribute -> documented as required
	examples []string
}

var (
	blockHeading = regexp.MustCompile("^#{2,3} Block `([a-z_.]+)`$")
	attrRow      = regexp.MustCompile("^\\| `([a-z0-9_]+)` \\| [^|]+ \\| ([^|]*) \\|")
)

// readSpecDoc parses docs/spec.md into its block sections, and returns the hcl examples found
// outside any block section (the complete example, variable files).
func readSpecDoc(t *testing.T) (map[string]*docBlock, []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "spec.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]*docBlock{}
	var cur *docBlock
	var other []string
	var example *strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case example != nil && line == "```":
			if cur != nil {
				cur.examples = append(cur.examples, example.String())
			} else {
				other = append(other, example.String())
			}
			example = nil
		case example != nil:
			example.WriteString(line + "\n")
		case line == "```hcl":
			example = &strings.Builder{}
		case strings.HasPrefix(line, "#"):
			cur = nil
			if m := blockHeading.FindStringSubmatch(line); m != nil {
				if blocks[m[1]] != nil {
					t.Errorf("docs/spec.md documents block %s twice", m[1])
				}
				cur = &docBlock{attrs: map[string]bool{}}
				blocks[m[1]] = cur
			}
		case cur != nil:
			if m := attrRow.FindStringSubmatch(line); m != nil && m[1] != "attribute" {
				cur.attrs[m[1]] = strings.TrimSpace(m[2]) == "yes"
			}
		}
	}
	return blocks, other
}

// docs/spec.md and the decoder agree in both directions: every block and attribute the
// decoder accepts is documented, with the right "required", and nothing else is.
func TestSpecDocMatchesTheDecoder(t *testing.T) {
	doc, _ := readSpecDoc(t)
	for _, b := range specs.Schema() {
		d := doc[b.Path]
		if d == nil {
			t.Errorf("docs/spec.md does not document block %s (a section \"## Block `%s`\")", b.Path, b.Path)
			continue
		}
		if len(d.examples) == 0 {
			t.Errorf("docs/spec.md: block %s has no hcl example", b.Path)
		}
		if b.FreeForm {
			if len(d.attrs) > 0 {
				t.Errorf("docs/spec.md: block %s takes any attribute name, but lists %v", b.Path, d.attrs)
			}
			continue
		}
		for _, a := range b.Attributes {
			req, ok := d.attrs[a.Name]
			switch {
			case !ok:
				t.Errorf("docs/spec.md: %s.%s is accepted by the decoder but not documented", b.Path, a.Name)
			case req != a.Required:
				t.Errorf("docs/spec.md: %s.%s documented required=%v, decoder says %v", b.Path, a.Name, req, a.Required)
			}
		}
		for name := range d.attrs {
			if !slices.ContainsFunc(b.Attributes, func(a specs.SchemaAttribute) bool { return a.Name == name }) {
				t.Errorf("docs/spec.md documents %s.%s, which the decoder does not accept", b.Path, name)
			}
		}
	}
	for path := range doc {
		if !slices.ContainsFunc(specs.Schema(), func(b specs.SchemaBlock) bool { return b.Path == path }) {
			t.Errorf("docs/spec.md documents block %s, which the decoder does not have", path)
		}
	}
}

// Every example parses, is formatted as albctl fmt would write it, and the complete example
// is a valid spec.
func TestSpecDocExamples(t *testing.T) {
	doc, other := readSpecDoc(t)
	all := slices.Clone(other)
	for _, d := range doc {
		all = append(all, d.examples...)
	}
	for _, ex := range all {
		if _, diags := hclsyntax.ParseConfig([]byte(ex), "example.hcl", hcl.InitialPos); diags.HasErrors() {
			t.Errorf("example does not parse: %v\n%s", diags, ex)
		}
	}
	if len(other) == 0 {
		t.Fatal("docs/spec.md has no complete example")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alb.hcl"), []byte(other[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	stack, _, diags := specs.Load(dir, specs.Options{})
	if diags.HasErrors() {
		t.Fatalf("the complete example is not a valid spec: %v", diags)
	}
	f := stack.Fleets[0]
	total := 0
	for _, z := range f.Zones {
		total += z.Count
	}
	if total != 3 || len(f.Zones) != 2 || stack.TargetGroups[0].Stickiness.Type != specs.StickinessAppCookie || stack.LoadBalancers[0].ZonesFromTargets {
		t.Errorf("the complete example no longer shows 3 instances over 2 zones, app_cookie stickiness and explicit zones: %+v", stack)
	}
}
