package specs

import (
	"strings"
	"testing"
)

func TestLocalsDependencyOrder(t *testing.T) {
	t.Parallel()
	// Locals refer to locals declared later and in another block; evaluation follows the
	// references, not the text.
	src := `
locals {
  image = "${local.prefix}-${local.version}"
}

variable "version" {
  default = "2023-05-14"
}

locals {
  prefix  = lower(local.app)
  app     = "WEB"
  version = var.version
  zones   = { for z in ["a", "c"] : z => "ap-northeast-1${z}" }
}
` + strings.Replace(minimalTail, `name = "web-1"`, `name = local.image`, 1)
	stack := mustLoad(t, src, Options{})
	if got := stack.Fleets[0].Image.Name; got != "web-2023-05-14" {
		t.Errorf("image name = %q", got)
	}
}

func TestLocalsErrors(t *testing.T) {
	t.Parallel()
	runBadCases(t, []badCase{
		{
			name: "cycle",
			src:  "locals {\n  a = local.b\n  b = \"${local.c}-x\"\n  c = local.a\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:7:", "Cycle in local values", "local.a, local.b, local.c"},
		},
		{
			name: "self reference",
			src:  "locals {\n  a = [local.a]\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:7:", "Cycle in local values", "refers to itself"},
		},
		{
			name: "duplicate across blocks",
			src:  "locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n" + minimalTail,
			want: []string{"bad.hcl:5:3:", "Duplicate local value"},
		},
		{
			name: "undeclared local",
			src:  "locals {\n  a = local.nope\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:7:", "Reference to undeclared local value", `"nope"`},
		},
		{
			name: "block inside locals",
			src:  "locals {\n  x {}\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:3:", "Unexpected \"x\" block"},
		},
		{
			name: "function error",
			src:  "locals {\n  a = upper(1, 2)\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:", "Too many function arguments"},
		},
	})
}

func TestLocalsCycleReportedOnce(t *testing.T) {
	t.Parallel()
	// One diagnostic per cycle, and none for what depends on the cycle.
	src := "locals {\n  a = local.b\n  b = local.a\n  c = \"${local.a}x\"\n}\n" +
		strings.Replace(minimalTail, `name = "web-1"`, `name = local.c`, 1)
	_, _, diags := Load(writeFiles(t, map[string]string{"spec.hcl": src}), Options{})
	if len(diags) != 1 || diags[0].Summary != "Cycle in local values" {
		t.Errorf("diagnostics:\n%s", formatDiags(diags))
	}
}

func TestStronglyConnected(t *testing.T) {
	t.Parallel()
	edges := map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"b"}, "d": {"d"}, "e": nil}
	var got []string
	for _, scc := range stronglyConnected([]string{"a", "b", "c", "d", "e"}, edges) {
		got = append(got, strings.Join(scc, "+"))
	}
	// Dependencies first: {b,c} before a.
	if strings.Join(got, " ") != "c+b a d e" {
		t.Errorf("components = %v", got)
	}
}
