package views

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/plan"
)

// Free text in a table cell or a quote stays in it: one line, no pipe, no HTML.
func TestMarkdownText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a | b", `a \| b`},
		{"two\nlines", "two lines"},
		{"<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"},
	} {
		if got := MarkdownText(tc.in); got != tc.want {
			t.Errorf("MarkdownText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// gatedPlan is a rollout paused by one gate, and a step whose reason carries a pipe.
func gatedPlan() *plan.Plan {
	onePercent := 1.0
	return &plan.Plan{Steps: []plan.Step{
		{ID: "launch_instance.web.a.1", Kind: plan.LaunchInstance, Resource: "instance web-a-1", Reason: "fleet | web wants 2"},
		{ID: "gate.web.batch-1", Kind: plan.Gate, Resource: "fleet web", Reason: "bake", DependsOn: []string{"launch_instance.web.a.1"},
			Gate: &plan.GateParams{Fleet: "web", Checkpoint: 50, Replaced: 1, Total: 2, Bake: clock.Duration(5 * time.Minute),
				Alarms: []string{"web-5xx"}, Max5xxPercent: &onePercent, Rollback: plan.GateRollback{Restore: make([]plan.TargetParams, 1)}}},
	}}
}

// A pull-request comment: the title counts steps and warnings, the warnings come first, the
// gates and the rehearsal before the folded steps, and every step is a table row.
func TestRenderPlanMarkdown(t *testing.T) {
	rehearsed := func(w io.Writer) { fmt.Fprintln(w, "#### What clients would see") }
	for _, tc := range []struct {
		name      string
		p         *plan.Plan
		rehearsed func(io.Writer)
		// want are lines in the order they must appear.
		want []string
	}{
		{"blog", blogPlan(t), nil, []string{
			"### albctl plan: 6 steps, 1 warning",
			"> [!WARNING]",
			"> **Step 2** (`create_image.web`): OUTAGE: CreateImage reboots i-0a1b2c3d4e5f60001 (no_reboot = false), and it is the only healthy target of web-tg: requests fail until it passes its health checks again. Set no_reboot = true, or accept the outage.",
			"Target: simulator &lt;built-in&gt;",
			"**Plan:** 6 steps (1 validate_launch, 1 create_image, 1 launch_instance, 1 enable_stickiness, 1 register_target, 1 trim_zones).",
			"<details><summary>The 6 steps, in order</summary>",
			"| 2 | `+ ⚠️` | `create_image.web` | image web-2023-05-14 | new instances must boot what i-0a1b2c3d4e5f60001 runs now, not its original AMI ami-0a1b2c3d4e5f60100 (\"launch more like this\" copies settings, not the disk) | 1 |",
			"| 5 | `+` | `register_target.web.ap-northeast-1d.1` | instance web-1d-1 in web-tg | the new instance serves only once it is a healthy target of web-tg | 3, 4 |",
			"<details><summary>The API calls</summary>",
			"2. CreateImage of i-0a1b2c3d4e5f60001 named \"web-2023-05-14\", rebooting the source",
		}},
		{"gated and rehearsed", gatedPlan(), rehearsed, []string{
			"### albctl plan: 2 steps",
			"**Plan:** 2 steps (1 launch_instance, 1 gate).",
			"**Gates:**",
			"- `gate.web.batch-1`: fleet web at 50% (1 of 2 replaced), for 5m0s: alarm web-5xx, max_5xx_percent = 1; a breach restores 1 old member(s)",
			"#### What clients would see",
			"<details><summary>The 2 steps, in order</summary>",
			"| 1 | `+` | `launch_instance.web.a.1` | instance web-a-1 | fleet \\| web wants 2 |  |",
		}},
		{"no changes", &plan.Plan{Warnings: []string{"fleet web: no zone left"}}, rehearsed, []string{
			"### albctl plan: no changes, 1 warning",
			"> fleet web: no zone left",
			"No changes. The world matches the spec.",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			RenderPlanMarkdownWith(&buf, "simulator <built-in>", tc.p, tc.rehearsed)
			lines := strings.Split(buf.String(), "\n")
			at := -1
			for _, want := range tc.want {
				i := slices.Index(lines, want)
				if i < 0 {
					t.Fatalf("no line %q in:\n%s", want, buf.String())
				}
				if i <= at {
					t.Errorf("line %q comes before the one it should follow:\n%s", want, buf.String())
				}
				at = i
			}
			if tc.p.Empty() && strings.Contains(buf.String(), "What clients would see") {
				t.Errorf("a plan without changes prints a rehearsal:\n%s", buf.String())
			}
		})
	}
}
