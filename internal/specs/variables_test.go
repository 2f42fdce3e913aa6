package specs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// varSpec uses variables of several types in places where the Stack shows their values.
const varSpec = `
variable "version" {
  type    = string
  default = "from-default"
}

variable "count_a" {
  type    = number
  default = 1
}

variable "zones" {
  type    = list(string)
  default = ["ap-northeast-1a", "ap-northeast-1c"]
}

variable "names" {
  type    = map(string)
  default = { tg = "web-tg" }
}

variable "reboot" {
  type    = bool
  default = false
}

target_group "web" {
  name = var.names["tg"]
}

load_balancer "web" {
  name  = "web-alb"
  zones = var.zones
}

fleet "web" {
  source       = "web"
  target_group = target_group.web
  sessions     = "shared"
  image {
    name      = "web-${var.version}"
    no_reboot = var.reboot
  }
  zone "ap-northeast-1a" { count = var.count_a }
  zone "ap-northeast-1c" { count = 1 }
}
`

func TestVariablePrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file1 := filepath.Join(dir, "one.vars.hcl")
	file2 := filepath.Join(dir, "two.vars.hcl")
	os.WriteFile(file1, []byte("version = \"from-file-1\"\ncount_a = 4\n"), 0o644)
	os.WriteFile(file2, []byte("version = \"from-file-2\"\n"), 0o644)
	env := []string{"HOME=/root", "ALBCTL_VAR_version=from-env", "ALBCTL_VAR_count_a=3", "ALBCTL_VAR_undeclared=ignored"}

	tests := []struct {
		name        string
		opts        Options
		wantVersion string
		wantCount   int
	}{
		{"default", Options{}, "from-default", 1},
		{"env over default", Options{Env: env}, "from-env", 3},
		{"var-file over env", Options{Env: env, VarFiles: []string{file1}}, "from-file-1", 4},
		{"later var-file wins", Options{Env: env, VarFiles: []string{file1, file2}}, "from-file-2", 4},
		{"-var over var-file", Options{Env: env, VarFiles: []string{file1, file2}, Vars: []string{"version=from-var"}}, "from-var", 4},
		{"last -var wins", Options{Vars: []string{"version=first", "version=last", "count_a=7"}}, "last", 7},
		{"string -var is literal", Options{Vars: []string{"version=[1]=2"}}, "[1]=2", 1},
		{"env empty string", Options{Env: []string{"ALBCTL_VAR_version="}}, "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := varSpec
			if tc.wantVersion == "" || strings.ContainsAny(tc.wantVersion, "[]=") {
				// "web-" alone or with brackets is still a valid AMI name; "=" is not.
				src = strings.Replace(src, `name      = "web-${var.version}"`, `name      = "web-${replace(var.version, "=", "_")}"`, 1)
			}
			stack := mustLoad(t, src, tc.opts)
			f := stack.Fleets[0]
			want := "web-" + strings.ReplaceAll(tc.wantVersion, "=", "_")
			if f.Image.Name != want {
				t.Errorf("image name = %q; want %q", f.Image.Name, want)
			}
			if f.Zones[0].Count != tc.wantCount {
				t.Errorf("count = %d; want %d", f.Zones[0].Count, tc.wantCount)
			}
		})
	}
}

func TestVariableTypedVarParsing(t *testing.T) {
	t.Parallel()
	stack := mustLoad(t, varSpec, Options{Vars: []string{
		"count_a=2",
		`zones=["ap-northeast-1d", "ap-northeast-1a"]`,
		`names={ tg = "other-tg" }`,
		"reboot=true",
	}})
	if got := stack.Fleets[0].Zones[0].Count; got != 2 {
		t.Errorf("count = %d", got)
	}
	if got := strings.Join(stack.LoadBalancers[0].Zones, ","); got != "ap-northeast-1a,ap-northeast-1d" {
		t.Errorf("zones = %s", got)
	}
	if got := stack.TargetGroups[0].Name; got != "other-tg" {
		t.Errorf("target group name = %s", got)
	}
	if !stack.Fleets[0].Image.NoReboot {
		t.Errorf("no_reboot = false")
	}
}

func TestVariableVarFileJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "vars.json")
	os.WriteFile(file, []byte(`{"count_a": 5, "zones": ["ap-northeast-1a", "ap-northeast-1d"]}`), 0o644)
	stack := mustLoad(t, varSpec, Options{VarFiles: []string{file}})
	if got := stack.Fleets[0].Zones[0].Count; got != 5 {
		t.Errorf("count = %d", got)
	}
}

func TestVariableUntypedIsLiteral(t *testing.T) {
	t.Parallel()
	src := "variable \"v\" {}\n" + strings.Replace(minimalTail, `"web-1"`, `"web-${var.v}"`, 1)
	stack := mustLoad(t, src, Options{Vars: []string{"v=[2]"}})
	if got := stack.Fleets[0].Image.Name; got != "web-[2]" {
		t.Errorf("image name = %q", got)
	}
}

func TestVariableErrors(t *testing.T) {
	t.Parallel()
	runBadCases(t, []badCase{
		{
			name: "missing required variable",
			src:  "variable \"region\" {\n  type = string\n}\n" + minimalTail,
			want: []string{"bad.hcl:1:1:", "No value for required variable", `"region"`},
		},
		{
			name: "-var for an undeclared variable",
			src:  minimalTail,
			opts: Options{Vars: []string{"nope=1"}},
			want: []string{"Value for undeclared variable", `"nope"`},
		},
		{
			name: "-var without equals",
			src:  minimalTail,
			opts: Options{Vars: []string{"nope"}},
			want: []string{"Invalid -var option"},
		},
		{
			name: "-var not a number",
			src:  "variable \"n\" {\n  type = number\n}\n" + minimalTail,
			opts: Options{Vars: []string{"n=abc"}},
			want: []string{"bad.hcl:1:1:", "Invalid value for variable", "Variables may not be used here"},
		},
		{
			name: "-var not an expression",
			src:  "variable \"l\" {\n  type = list(string)\n}\n" + minimalTail,
			opts: Options{Vars: []string{"l=[1,"}},
			want: []string{"bad.hcl:1:1:", "Invalid value for variable", "not a valid value of type list(string)"},
		},
		{
			name: "env not a bool",
			src:  "variable \"b\" {\n  type = bool\n}\n" + minimalTail,
			opts: Options{Env: []string{"ALBCTL_VAR_b=maybe"}},
			want: []string{"bad.hcl:1:1:", "Invalid value for variable", "ALBCTL_VAR_b"},
		},
		{
			name: "default of the wrong type",
			src:  "variable \"n\" {\n  type    = number\n  default = \"many\"\n}\n" + minimalTail,
			want: []string{"bad.hcl:3:13:", "Invalid default value for variable"},
		},
		{
			name: "default refers to a variable",
			src:  "variable \"a\" {\n  default = var.b\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:13:", "Variables not allowed"},
		},
		{
			name: "bad type",
			src:  "variable \"n\" {\n  type = integer\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:10:", "Invalid type specification"},
		},
		{
			name: "unknown attribute",
			src:  "variable \"n\" {\n  sensitive = true\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:3:", "Unsupported argument"},
		},
		{
			name: "duplicate variable",
			src:  "variable \"n\" { default = 1 }\nvariable \"n\" { default = 2 }\n" + minimalTail,
			want: []string{"bad.hcl:2:10:", "Duplicate variable declaration"},
		},
		{
			name: "invalid name",
			src:  "variable \"1n\" { default = 1 }\n" + minimalTail,
			want: []string{"bad.hcl:1:10:", "Invalid variable name"},
		},
		{
			name: "reference to an undeclared variable",
			src:  "locals {\n  x = var.nope\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:10:", "Unsupported attribute"},
		},
	})
}

func TestVariableFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.vars.hcl")
	os.WriteFile(file, []byte("count_a = 2\nnope    = 1\nzones   = \"ap-northeast-1a\"\n"), 0o644)
	_, _, diags := Load(writeFiles(t, map[string]string{"spec.hcl": varSpec}), Options{VarFiles: []string{file}})
	got := formatDiags(diags)
	for _, want := range []string{
		"bad.vars.hcl:2:1: Value for undeclared variable",
		"bad.vars.hcl:3:11: Invalid value for variable",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	if _, _, diags := Load(writeFiles(t, map[string]string{"spec.hcl": varSpec}), Options{VarFiles: []string{filepath.Join(dir, "missing.hcl")}}); !diags.HasErrors() {
		t.Errorf("a missing var file is not an error")
	}
}
