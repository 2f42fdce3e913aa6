package specs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// SchemaBlock is one block type of the spec language as the decoder checks it: its path from
// the top of a file ("fleet.zone"), labels, and the attributes and nested blocks it accepts.
// docs/spec.md documents exactly these; a test in cmd/albctl holds the two together.
type SchemaBlock struct {
	Path       string
	Labels     []string
	Attributes []SchemaAttribute
	Blocks     []string // paths of the nested block types
	// FreeForm is set for blocks whose attributes are names the user chooses (locals).
	FreeForm bool
}

// SchemaAttribute is one attribute of a block.
type SchemaAttribute struct {
	Name     string
	Required bool
}

// blockSchemas maps each block path to its body schema; locals takes any attribute names.
func blockSchemas() map[string]*hcl.BodySchema {
	return map[string]*hcl.BodySchema{
		blockVariable:                      variableSchema,
		blockLocals:                        nil,
		blockCloud:                         cloudSchema,
		blockTargetGroup:                   targetGroupSchema,
		blockTargetGroup + ".health_check": healthCheckSchema,
		blockTargetGroup + ".stickiness":   stickinessSchema,
		blockLoadBalancer:                  loadBalancerSchema,
		blockFleet:                         fleetSchema,
		blockFleet + ".image":              imageSchema,
		blockFleet + ".zone":               zoneSchema,
		blockFleet + ".rollout":            rolloutSchema,
	}
}

// Schema returns every block type of the spec language, sorted by path.
func Schema() []SchemaBlock {
	labels := map[string][]string{}
	var walk func(prefix string, s *hcl.BodySchema)
	walk = func(prefix string, s *hcl.BodySchema) {
		for _, b := range s.Blocks {
			labels[prefix+b.Type] = b.LabelNames
		}
	}
	schemas := blockSchemas()
	walk("", rootSchema)
	for path, s := range schemas {
		if s != nil {
			walk(path+".", s)
		}
	}
	var out []SchemaBlock
	for path, s := range schemas {
		b := SchemaBlock{Path: path, Labels: labels[path], FreeForm: s == nil}
		if s != nil {
			for _, a := range s.Attributes {
				b.Attributes = append(b.Attributes, SchemaAttribute{Name: a.Name, Required: a.Required})
			}
			for _, nb := range s.Blocks {
				b.Blocks = append(b.Blocks, path+"."+nb.Type)
			}
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b SchemaBlock) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// withValidNames adds to the decoder's "Unsupported argument" and "Unsupported block type"
// diagnostics the names that are valid in that place, so nobody has to read the source to
// find them (docs/spec.md has the rest).
func withValidNames(diags hcl.Diagnostics, schema *hcl.BodySchema, top bool) {
	var attrs, blocks []string
	for _, a := range schema.Attributes {
		attrs = append(attrs, a.Name)
	}
	for _, b := range schema.Blocks {
		blocks = append(blocks, b.Type)
	}
	for _, d := range diags {
		switch d.Summary {
		case "Unsupported argument", "Unsupported block type":
		default:
			continue
		}
		var parts []string
		if len(attrs) > 0 {
			parts = append(parts, "arguments: "+strings.Join(attrs, ", "))
		}
		if len(blocks) > 0 {
			parts = append(parts, "blocks: "+strings.Join(blocks, ", "))
		}
		if len(parts) == 0 {
			parts = append(parts, "nothing")
		}
		d.Detail = fmt.Sprintf("%s Valid here: %s. See docs/spec.md.", d.Detail, strings.Join(parts, "; "))
		if top && d.Summary == "Unsupported argument" {
			d.Detail += " A file of name = value lines is a variable file: name it *.albvars (not .hcl, which is a spec file) and pass it with -var-file."
		}
	}
}
