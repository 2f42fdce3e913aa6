package views

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/plan"
)

// blogPlan is the plan of examples/blog on the built-in world, as `albctl plan -json` printed
// it into testdata/blog-plan.json: six steps, one of them an OUTAGE.
func blogPlan(t *testing.T) *plan.Plan {
	t.Helper()
	data, err := os.ReadFile("testdata/blog-plan.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc PlanJSON
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("testdata/blog-plan.json: %v", err)
	}
	return &plan.Plan{Steps: doc.Steps, Warnings: doc.Warnings}
}

// The plan document reads back as the plan it was written from; an empty plan prints empty
// lists, not null, so consumers need not check for both (docs/plan-json.md).
func TestPlanJSONRoundTrip(t *testing.T) {
	blog := blogPlan(t)
	for _, tc := range []struct {
		name    string
		p       *plan.Plan
		summary map[string]int
	}{
		{"blog", blog, map[string]int{"validate_launch": 1, "create_image": 1, "launch_instance": 1, "enable_stickiness": 1, "register_target": 1, "trim_zones": 1}},
		{"empty", &plan.Plan{}, map[string]int{}},
		{"warnings only", &plan.Plan{Warnings: []string{"fleet web: no zone left"}}, map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderPlanJSON(&buf, "simulator", tc.p); err != nil {
				t.Fatal(err)
			}
			var got PlanJSON
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, buf.String())
			}
			want := PlanJSON{FormatVersion: PlanFormatVersion, Target: "simulator", TargetVerified: true, Changes: !tc.p.Empty(),
				Summary: tc.summary, Steps: tc.p.Steps, Warnings: tc.p.Warnings}
			if want.Steps == nil {
				want.Steps = []plan.Step{}
			}
			if want.Warnings == nil {
				want.Warnings = []string{}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("plan JSON read back (-want +got):\n%s", d)
			}
			for _, key := range []string{`"steps": [`, `"warnings": [`} {
				if !strings.Contains(buf.String(), key) {
					t.Errorf("no %s in:\n%s", key, buf.String())
				}
			}
			if strings.Contains(buf.String(), `"rehearsal"`) {
				t.Errorf("a plan without a rehearsal prints one:\n%s", buf.String())
			}
		})
	}
}

// apply -auto-approve against AWS lists the plan a step a line (the simulator leaves the
// lines to its progress): number, symbol, ID, resource, and OUTAGE where the step warns of one;
// the warnings in full, wrapped at MaxWidth.
func TestRenderPlanCompact(t *testing.T) {
	p := blogPlan(t)
	for _, tc := range []struct {
		name    string
		header  string
		list    bool
		want    []string
		notWant []string
	}{
		{
			name: "listed", header: "AWS account 123456789012, ap-northeast-1", list: true,
			want: []string{
				"albctl: AWS account 123456789012, ap-northeast-1",
				"albctl will take these steps (-auto-approve; 'albctl plan' shows why):",
				"   1. = validate_launch.web.ap-northeast-1d    launch parameters in subnet-0a1b2c3d4e5f61d01",
				"   2. + create_image.web                       image web-2023-05-14  OUTAGE",
				"   4. ~ enable_stickiness.web                  target group web-tg",
				"   6. - trim_zones.web                         load balancer web-alb",
				"Plan: 6 steps (1 validate_launch, 1 create_image, 1 launch_instance, 1 enable_stickiness, 1 register_target, 1",
				"  trim_zones), 1 warning:",
				"  ! step 2 (create_image.web): OUTAGE: CreateImage reboots i-0a1b2c3d4e5f60001 (no_reboot = false), and it is the only",
			},
		},
		{
			name: "left to the progress lines", header: "simulator", list: false,
			want: []string{"albctl: simulator", "  trim_zones), 1 warning:",
				"    outage."},
			notWant: []string{"trim_zones.web", "albctl will take these steps"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			RenderPlanCompact(&buf, tc.header, p, false, tc.list)
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			for _, want := range tc.want {
				if !slices.Contains(lines, want) {
					t.Errorf("no line %q in:\n%s", want, buf.String())
				}
			}
			for _, not := range tc.notWant {
				if strings.Contains(buf.String(), not) {
					t.Errorf("%q printed in:\n%s", not, buf.String())
				}
			}
			for _, l := range lines {
				if len(l) > MaxWidth {
					t.Errorf("line of %d characters: %s", len(l), l)
				}
			}
		})
	}
}

// The human plan numbers the steps, says what each one waits for by number, colours only on
// a terminal, and repeats every warning under the summary line.
func TestRenderPlanHuman(t *testing.T) {
	blog := blogPlan(t)
	for _, tc := range []struct {
		name   string
		p      *plan.Plan
		colour bool
		want   []string
	}{
		{"blog", blog, false, []string{
			"albctl will take these 6 steps, in this order:",
			"   5. + register_target.web.ap-northeast-1d.1  instance web-1d-1 in web-tg",
			"        after: 3, 4",
			"        !!! OUTAGE: CreateImage reboots i-0a1b2c3d4e5f60001 (no_reboot = false), and it is the only healthy target of web-tg: requests fail until it passes its health checks again. Set no_reboot = true, or accept the outage.",
			"Plan: 6 steps (1 validate_launch, 1 create_image, 1 launch_instance, 1 enable_stickiness, 1 register_target, 1 trim_zones), 1 warning:",
			"  ! step 2 (create_image.web): OUTAGE: CreateImage reboots i-0a1b2c3d4e5f60001 (no_reboot = false), and it is the only healthy target of web-tg: requests fail until it passes its health checks again. Set no_reboot = true, or accept the outage.",
		}},
		{"colour", blog, true, []string{
			"   6. " + red + "-" + reset + " " + bold + "trim_zones.web" + reset + "  load balancer web-alb",
			"  " + bold + red + "!" + reset + " " + red + "step 2 (create_image.web): OUTAGE: CreateImage reboots i-0a1b2c3d4e5f60001 (no_reboot = false), and it is the only healthy target of web-tg: requests fail until it passes its health checks again. Set no_reboot = true, or accept the outage." + reset,
		}},
		{"one step", &plan.Plan{Steps: blog.Steps[3:4]}, false, []string{
			"albctl will take this step:",
			"Plan: 1 step (1 enable_stickiness).",
		}},
		{"no changes, a warning", &plan.Plan{Warnings: []string{"fleet web has no healthy member"}}, false, []string{
			"Warning: fleet web has no healthy member",
			"No changes. The world matches the spec.",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			RenderPlanHuman(&buf, "simulator", tc.p, tc.colour)
			lines := strings.Split(buf.String(), "\n")
			if lines[0] != "albctl: simulator" {
				t.Errorf("first line %q, want the target", lines[0])
			}
			for _, want := range tc.want {
				if !slices.Contains(lines, want) {
					t.Errorf("no line %q in:\n%s", want, buf.String())
				}
			}
			if !tc.colour && strings.Contains(buf.String(), "\033[") {
				t.Errorf("colour off, but ANSI codes in:\n%s", buf.String())
			}
		})
	}
}

// KindOrder lists the kinds albctl knows in the order a plan takes them, then the others by
// name, so a summary never depends on map order.
func TestKindOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []plan.Kind
		want []plan.Kind
	}{
		{"known", []plan.Kind{plan.TrimZones, plan.CreateImage, plan.RegisterTarget, plan.ValidateLaunch},
			[]plan.Kind{plan.ValidateLaunch, plan.CreateImage, plan.RegisterTarget, plan.TrimZones}},
		{"unknown after, by name", []plan.Kind{"zz_new", plan.Gate, "aa_new", "mm_new", "bb_new", "yy_new"},
			[]plan.Kind{plan.Gate, "aa_new", "bb_new", "mm_new", "yy_new", "zz_new"}},
		{"none", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := map[plan.Kind]int{}
			for _, k := range tc.in {
				m[k]++
			}
			if d := cmp.Diff(tc.want, KindOrder(m)); d != "" {
				t.Errorf("KindOrder (-want +got):\n%s", d)
			}
		})
	}
}

// Every kind has its mark; a kind the sequence does not know is still ordered (after the
// others), so a new kind can never vanish from a summary.
func TestSymbol(t *testing.T) {
	want := map[plan.Kind]string{
		plan.ValidateLaunch: "=", plan.CreateImage: "+", plan.ModifyHealthCheck: "~", plan.LaunchInstance: "+",
		plan.AssociateInstanceProfile: "~", plan.EnableStickiness: "~", plan.AddZones: "+", plan.RegisterTarget: "+",
		plan.Wait: "=", plan.Gate: "=", plan.DeregisterTarget: "-", plan.TerminateInstance: "-", plan.TrimZones: "-",
		plan.TagSnapshots: "~", plan.DeregisterImage: "-",
	}
	for _, k := range plan.Kinds() {
		if !slices.Contains(kindSequence, k) {
			t.Errorf("kindSequence lacks %s: summaries would list it last", k)
		}
	}
	for _, k := range kindSequence {
		if got := Symbol(k); got != want[k] {
			t.Errorf("Symbol(%s) = %q, want %q", k, got, want[k])
		}
	}
	if len(kindSequence) != len(want) || len(want) != len(plan.Kinds()) {
		t.Errorf("kindSequence has %d kinds, the table %d", len(kindSequence), len(want))
	}
}

// Each warning is listed once, those of steps first with their step numbers.
func TestPlanWarnings(t *testing.T) {
	p := &plan.Plan{
		Steps: []plan.Step{
			{ID: "a"}, {ID: "b", Warning: "OUTAGE: b reboots"}, {ID: "c", Warning: "c is slow"},
		},
		Warnings: []string{"plan-wide", "OUTAGE: b reboots", "plan-wide"},
	}
	want := []Warning{{Step: 2, ID: "b", Text: "OUTAGE: b reboots"}, {Step: 3, ID: "c", Text: "c is slow"}, {Text: "plan-wide"}}
	if d := cmp.Diff(want, PlanWarnings(p)); d != "" {
		t.Errorf("PlanWarnings (-want +got):\n%s", d)
	}
}

func TestWriteWrapped(t *testing.T) {
	long := strings.Repeat("word ", 60)
	for _, tc := range []struct {
		name, first string
		indent      int
		text        string
		want        []string
	}{
		{"short", "> ", 2, "one two", []string{"> one two"}},
		{"wrapped", "", 4, long, []string{
			strings.TrimSpace(strings.Repeat("word ", 24)),
			"    " + strings.TrimSpace(strings.Repeat("word ", 23)),
			"    " + strings.TrimSpace(strings.Repeat("word ", 13)),
		}},
		{"a word longer than the line stays whole", "", 0, strings.Repeat("x", 130), []string{strings.Repeat("x", 130)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			WriteWrapped(&buf, tc.first, tc.indent, tc.text)
			got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("WriteWrapped (-want +got):\n%s", d)
			}
		})
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 steps"}, {1, "1 step"}, {2, "2 steps"}} {
		if got := Plural(tc.n, "step"); got != tc.want {
			t.Errorf("Plural(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
