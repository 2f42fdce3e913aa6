package specs

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestFunctions(t *testing.T) {
	t.Parallel()
	ctx := &hcl.EvalContext{Functions: functions()}
	tests := map[string]cty.Value{
		`upper("web")`:                              cty.StringVal("WEB"),
		`format("%s-%03d", "web", 7)`:               cty.StringVal("web-007"),
		`join(",", sort(["b", "a"]))`:               cty.StringVal("a,b"),
		`length("héllo")`:                           cty.NumberIntVal(5),
		`length(["a", "b"])`:                        cty.NumberIntVal(2),
		`length({ a = 1 })`:                         cty.NumberIntVal(1),
		`max(1, 5, 3)`:                              cty.NumberIntVal(5),
		`replace("a-b", "-", "_")`:                  cty.StringVal("a_b"),
		`jsonencode({ a = 1 })`:                     cty.StringVal(`{"a":1}`),
		`lookup({ a = "x" }, "b", "y")`:             cty.StringVal("y"),
		`try(tonumber("x"), 3)`:                     cty.NumberIntVal(3),
		`regex("v([0-9]+)", "app-v12")[0]`:          cty.StringVal("12"),
		`element(formatlist("z-%s", ["a"]), 0)`:     cty.StringVal("z-a"),
		`substr(trimprefix("web-1", "web-"), 0, 1)`: cty.StringVal("1"),
	}
	for src, want := range tests {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "test", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", src, diags)
		}
		got, diags := expr.Value(ctx)
		if diags.HasErrors() || !got.RawEquals(want) {
			t.Errorf("%s = %#v, %s; want %#v", src, got, diags, want)
		}
	}
}

func TestFunctionsArePure(t *testing.T) {
	t.Parallel()
	// Nothing that reads files, the clock, the environment or randomness.
	for name := range functions() {
		for _, bad := range []string{"file", "time", "date", "uuid", "random", "env", "template", "bcrypt"} {
			if strings.Contains(name, bad) {
				t.Errorf("function %q looks impure", name)
			}
		}
	}
}
