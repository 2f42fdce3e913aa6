package specs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// writeFiles writes name -> content into a fresh directory and returns it.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// formatDiag renders a diagnostic compactly as "file:line:col: summary; detail".
func formatDiag(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return fmt.Sprintf("%s; %s", d.Summary, d.Detail)
	}
	return fmt.Sprintf("%s:%d:%d: %s; %s", filepath.Base(d.Subject.Filename),
		d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail)
}

func formatDiags(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(formatDiag(d))
		b.WriteString("\n")
	}
	return b.String()
}

// badCase is a spec that must fail with an error containing every string in want (its
// position as "bad.hcl:line:col" and a part of its summary or detail).
type badCase struct {
	name string
	src  string // written as bad.hcl
	opts Options
	want []string
}

func runBadCases(t *testing.T, cases []badCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"bad.hcl": tc.src})
			stack, _, diags := Load(dir, tc.opts)
			if !diags.HasErrors() {
				t.Fatalf("no error; want %q", tc.want)
			}
			if stack != nil {
				t.Errorf("Stack is not nil despite errors")
			}
			for _, d := range diags {
				s := formatDiag(d)
				all := true
				for _, w := range tc.want {
					all = all && strings.Contains(s, w)
				}
				if all {
					return
				}
			}
			t.Errorf("no diagnostic contains all of %q; got:\n%s", tc.want, formatDiags(diags))
		})
	}
}

// mustLoad loads src as one file and fails the test on any diagnostic.
func mustLoad(t *testing.T, src string, opts Options) *Stack {
	t.Helper()
	dir := writeFiles(t, map[string]string{"spec.hcl": src})
	stack, _, diags := Load(dir, opts)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", formatDiags(diags))
	}
	return stack
}

// minimalTail completes a spec with a valid target group and fleet named "web".
const minimalTail = `
target_group "web" {
  name = "web-tg"
}

fleet "web" {
  source       = "web"
  target_group = target_group.web
  sessions     = "shared"
  image {
    name = "web-1"
  }
  zone "ap-northeast-1a" { count = 1 }
  zone "ap-northeast-1c" { count = 1 }
}
`

func TestLoadBlogExample(t *testing.T) {
	t.Parallel()
	stack, files, diags := Load("../../examples/blog", Options{})
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", formatDiags(diags))
	}
	if _, ok := files[filepath.Join("..", "..", "examples", "blog", "alb.hcl")]; !ok {
		t.Errorf("files map lacks alb.hcl: %v", files)
	}
	c := stack.Cloud
	if c.Target != "sim" || c.Region != "ap-northeast-1" || c.Profile != "" || c.Endpoint != "" {
		t.Errorf("Cloud = %+v", c)
	}

	if len(stack.TargetGroups) != 1 {
		t.Fatalf("TargetGroups = %+v", stack.TargetGroups)
	}
	tg := stack.TargetGroups[0]
	if tg.Label != "web" || tg.Name != "web-tg" || tg.Port != 80 || tg.Protocol != "HTTP" {
		t.Errorf("TargetGroup = %+v", tg)
	}
	if tg.HealthCheck == nil || *tg.HealthCheck != (HealthCheck{Path: "/health", DeclRange: tg.HealthCheck.DeclRange}) {
		t.Errorf("HealthCheck = %+v", tg.HealthCheck)
	}
	if st := tg.Stickiness; st == nil || st.Type != "lb_cookie" || st.Duration != 24*time.Hour || st.CookieName != "" {
		t.Errorf("Stickiness = %+v", tg.Stickiness)
	}

	if len(stack.LoadBalancers) != 1 {
		t.Fatalf("LoadBalancers = %+v", stack.LoadBalancers)
	}
	lb := stack.LoadBalancers[0]
	if lb.Label != "web" || lb.Name != "web-alb" || !lb.ZonesFromTargets || lb.Zones != nil {
		t.Errorf("LoadBalancer = %+v", lb)
	}

	if len(stack.Fleets) != 1 {
		t.Fatalf("Fleets = %+v", stack.Fleets)
	}
	f := stack.Fleets[0]
	if f.Label != "web" || f.Source != "web" || f.TargetGroup != "web" || f.Sessions != "local" || f.IAMInstanceProfile != "inherit" {
		t.Errorf("Fleet = %+v", f)
	}
	if f.Image.Name != "web-2023-05-14" || f.Image.Version != "2023-05-14" || f.Image.NoReboot {
		t.Errorf("Image = %+v", f.Image)
	}
	var zones []string
	for _, z := range f.Zones {
		zones = append(zones, fmt.Sprintf("%s=%d%s", z.AZ, z.Count, z.Subnet))
	}
	if got, want := strings.Join(zones, " "), "ap-northeast-1a=1 ap-northeast-1d=1"; got != want {
		t.Errorf("Zones = %s; want %s", got, want)
	}

	// Ranges point into the file.
	if f.SourceRange.Filename == "" || f.SourceRange.Start.Line == 0 || !strings.HasSuffix(f.DeclRange.Filename, "alb.hcl") {
		t.Errorf("fleet ranges not set: %v %v", f.SourceRange, f.DeclRange)
	}
}

func TestBlogExampleIsCanonical(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../../examples/blog/alb.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if got := hclwrite.Format(src); string(got) != string(src) {
		t.Errorf("examples/blog/alb.hcl is not canonically formatted; hclwrite.Format gives:\n%s", got)
	}
}

func TestLoadVariableOverridesExample(t *testing.T) {
	t.Parallel()
	stack, _, diags := Load("../../examples/blog", Options{Vars: []string{"app_version=2024-01-02"}})
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", formatDiags(diags))
	}
	if img := stack.Fleets[0].Image; img.Name != "web-2024-01-02" || img.Version != "2024-01-02" {
		t.Errorf("Image = %+v", img)
	}
}

func TestLoadDirectory(t *testing.T) {
	t.Parallel()
	// Blocks spread over files; refs across files; non-.hcl files and editor files ignored.
	dir := writeFiles(t, map[string]string{
		"a.hcl":        `variable "v" { default = "web" }`,
		"b.hcl":        minimalTail,
		"c.hcl":        "load_balancer \"z\" {\n  name  = \"${var.v}-alb\"\n  zones = [\"ap-northeast-1c\", \"ap-northeast-1a\"]\n}\n",
		"notes.txt":    `this is not HCL {`,
		".#b.hcl":      `broken {`,
		"ignored.json": `{"broken":`,
	})
	stack, files, diags := Load(dir, Options{})
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", formatDiags(diags))
	}
	if len(files) != 3 {
		t.Errorf("parsed %d files; want 3", len(files))
	}
	lb := stack.LoadBalancers[0]
	if lb.Name != "web-alb" || strings.Join(lb.Zones, ",") != "ap-northeast-1a,ap-northeast-1c" || lb.ZonesFromTargets {
		t.Errorf("LoadBalancer = %+v", lb)
	}
}

func TestLoadSingleFile(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"one.hcl": minimalTail, "two.hcl": `broken {`})
	stack, files, diags := Load(filepath.Join(dir, "one.hcl"), Options{})
	if len(diags) > 0 || stack == nil || len(files) != 1 {
		t.Fatalf("stack %v, %d files, diagnostics:\n%s", stack, len(files), formatDiags(diags))
	}
}

func TestLoadEmptyAndMissing(t *testing.T) {
	t.Parallel()
	for name, path := range map[string]string{
		"empty dir": writeFiles(t, map[string]string{"x.txt": ""}),
		"missing":   filepath.Join(t.TempDir(), "nope"),
	} {
		t.Run(name, func(t *testing.T) {
			stack, _, diags := Load(path, Options{})
			if !diags.HasErrors() || stack != nil {
				t.Errorf("want an error and no stack; got %v, %s", stack, formatDiags(diags))
			}
		})
	}
}

func TestLoadStackSorted(t *testing.T) {
	t.Parallel()
	src := `
target_group "b" { name = "b" }
target_group "a" {
  name = "a"
  stickiness { type = "lb_cookie" }
}
load_balancer "y" {
  name  = "y"
  zones = "targets"
}
load_balancer "x" {
  name  = "x"
  zones = "targets"
}
fleet "z" {
  source       = "z"
  target_group = "a"
  image { name = "zzz" }
  zone "ap-northeast-1d" { count = 1 }
  zone "ap-northeast-1a" { count = 2 }
}
fleet "m" {
  source       = "i-0123456789abcdef0"
  target_group = target_group.b
  sessions     = "shared"
  image { name = "mmm" }
  zone "ap-northeast-1c" { count = 0 }
}
`
	stack := mustLoad(t, src, Options{})
	var got []string
	for _, tg := range stack.TargetGroups {
		got = append(got, "tg:"+tg.Label)
	}
	for _, lb := range stack.LoadBalancers {
		got = append(got, "lb:"+lb.Label)
	}
	for _, f := range stack.Fleets {
		got = append(got, "fleet:"+f.Label)
		for _, z := range f.Zones {
			got = append(got, z.AZ)
		}
	}
	want := "tg:a tg:b lb:x lb:y fleet:m ap-northeast-1c fleet:z ap-northeast-1a ap-northeast-1d"
	if strings.Join(got, " ") != want {
		t.Errorf("order = %s\nwant    %s", strings.Join(got, " "), want)
	}
}

func TestLoadCollectsAllErrorsSorted(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"b.hcl": `target_group "web" {
  name = "-bad-"
  port = 0
}
`,
		"a.hcl": `cloud {
  target = "gcp"
}
`,
	})
	_, _, diags := Load(dir, Options{Vars: []string{"novalue"}})
	var got []string
	for _, d := range diags {
		s := formatDiag(d)
		got = append(got, s[:strings.Index(s, ";")])
	}
	want := []string{
		"Invalid -var option",
		"a.hcl:2:12: Invalid cloud target",
		"b.hcl:2:10: Invalid target group name",
		"b.hcl:3:10: Invalid port",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadBadSpecs(t *testing.T) {
	t.Parallel()
	runBadCases(t, []badCase{
		{
			name: "unknown top-level block",
			src:  "service \"x\" {}\n",
			want: []string{"bad.hcl:1:1:", "Unsupported block type"},
		},
		{
			name: "top-level attribute",
			src:  "name = \"x\"\n",
			want: []string{"bad.hcl:1:1:", "Unsupported argument"},
		},
		{
			name: "syntax error",
			src:  "target_group \"web\" {\n  name = \n}\n",
			want: []string{"bad.hcl:2:", "Invalid expression"},
		},
		{
			name: "unknown function",
			src:  "locals {\n  t = timestamp()\n}\n",
			want: []string{"bad.hcl:2:7:", "Call to unknown function"},
		},
		{
			name: "file function is not there",
			src:  "locals {\n  t = file(\"/etc/passwd\")\n}\n",
			want: []string{"bad.hcl:2:7:", "Call to unknown function"},
		},
	})
}

func FuzzLoad(f *testing.F) {
	seed, err := os.ReadFile("../../examples/blog/alb.hcl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add(minimalTail)
	f.Add("locals {\n  a = local.b\n  b = local.a\n}\n" + minimalTail)
	f.Add("variable \"n\" { type = number }\nlocals { x = [for i in range(var.n) : format(\"%03d\", i)] }\n")
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "fuzz.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		stack, _, diags := Load(dir, Options{Env: []string{"ALBCTL_VAR_n=3", "ALBCTL_VAR_app_version=x"}})
		if !diags.HasErrors() && stack == nil {
			t.Fatalf("no errors but no stack")
		}
		if diags.HasErrors() && stack != nil {
			t.Fatalf("errors but a stack")
		}
	})
}
