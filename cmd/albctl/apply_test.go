package main

import (
	"bytes"
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/views"
)

// runAlbctl runs albctl in-process and returns its stdout; a non-zero exit fails the test.
func runAlbctl(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}
	if code := m.Run(context.Background(), args); code != 0 {
		t.Fatalf("albctl %q: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// TestDemoFitsAScreen is the promise of docs/apply.md: `make demo` (apply -auto-approve of
// examples/blog on the built-in world) fits in 40 lines of at most 120 characters.
func TestDemoFitsAScreen(t *testing.T) {
	out := runAlbctl(t, "apply", "-auto-approve", "-no-color", "../../examples/blog")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) > 40 {
		t.Errorf("the demo prints %d lines, more than 40:\n%s", len(lines), out)
	}
	for i, l := range lines {
		if n := len([]rune(l)); n > views.MaxWidth {
			t.Errorf("line %d is %d characters, more than %d: %s", i+1, n, views.MaxWidth, l)
		}
	}
	// Every step ends in one line, numbered as the plan numbers it.
	for _, want := range []string{"  2. + create_image.web: complete after 4m24s simulated", "  6. - trim_zones.web: complete after 0s simulated"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Still waiting") {
		t.Errorf("the simulator's waits are not collapsed:\n%s", out)
	}
}

// phaseRow is a row of the "What clients see, by phase" table, as printed.
type phaseRow struct {
	label       string
	step        int // 0: before or after
	failed      float64
	sessionLost float64
}

var (
	verdictRe = regexp.MustCompile(`During the apply: (?:([\d.]+)% of requests failed|no request failed|no simulated time passed)` +
		`(?:, at worst ([\d.]+)% \(step (\d+)\))?; (?:no session lost|sessions are shared, so none is lost|` +
		`([\d.]+)% of sessions lost, at worst ([\d.]+)% \(step (\d+)\))\.(?: After the apply: (.*)\.)?$`)
	stepLabelRe = regexp.MustCompile(`^(\d+)\. `)
)

// parsePhases reads the table and the verdict under it from apply's human output.
func parsePhases(t *testing.T, out string) (rows []phaseRow, verdict string) {
	t.Helper()
	_, table, ok := strings.Cut(out, "What clients see, by phase:")
	if !ok {
		t.Fatalf("no phase table in:\n%s", out)
	}
	lines := strings.Split(table, "\n")[2:] // the title's tail, the header
	for i, l := range lines {
		if strings.HasPrefix(l, "  During the apply:") {
			for _, more := range lines[i+1:] {
				if !strings.HasPrefix(more, "    ") {
					break
				}
				l += " " + strings.TrimSpace(more)
			}
			return rows, strings.TrimSpace(l)
		}
		f := strings.Fields(l)
		if len(f) < 9 {
			t.Fatalf("short table row %q", l)
		}
		nums := make([]float64, 7)
		for j, s := range f[len(f)-7:] {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
			if err != nil {
				t.Fatalf("row %q: %v", l, err)
			}
			nums[j] = v
		}
		r := phaseRow{label: strings.TrimSpace(l), sessionLost: nums[6]}
		for _, v := range nums[1:6] {
			r.failed += v
		}
		if m := stepLabelRe.FindStringSubmatch(r.label); m != nil {
			r.step, _ = strconv.Atoi(m[1])
		}
		rows = append(rows, r)
	}
	t.Fatalf("no verdict under the table:\n%s", out)
	return nil, ""
}

// TestVerdictMatchesTable checks the sentence under the phase table against the table
// itself: the worst step and its share, the share during the apply (a weighted mean of the
// steps, so within their range), sessions lost, and the after window.
func TestVerdictMatchesTable(t *testing.T) {
	for _, args := range [][]string{
		{"apply", "-auto-approve", "-no-color", "../../examples/blog"},
		{"plan", "-rehearse", "-no-color", "../../examples/blog"},
	} {
		t.Run(args[0], func(t *testing.T) {
			rows, verdict := parsePhases(t, runAlbctl(t, args...))
			m := verdictRe.FindStringSubmatch(verdict)
			if m == nil {
				t.Fatalf("verdict %q does not read as expected", verdict)
			}
			const slack = 0.25 // the table's columns are rounded to 0.1% each
			lo, hi, worst, worstStep, lost := math.Inf(1), 0.0, -1.0, 0, 0.0
			var after phaseRow
			for _, r := range rows {
				switch {
				case r.step == 0 && strings.HasPrefix(r.label, "after"):
					after = r
				case r.step > 0:
					if r.failed > worst+slack {
						worst, worstStep = r.failed, r.step
					}
					if !strings.Contains(r.label, " at ") {
						lo, hi = min(lo, r.failed), max(hi, r.failed)
					}
					lost = max(lost, r.sessionLost)
				}
			}
			num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
			if worst > 0 {
				if m[3] != strconv.Itoa(worstStep) || math.Abs(num(m[2])-worst) > slack {
					t.Errorf("verdict says worst %s%% in step %s; the table's worst is %.1f%% in step %d", m[2], m[3], worst, worstStep)
				}
			} else if m[2] != "" {
				t.Errorf("verdict names a worst step %s; the table shows no failure", m[3])
			}
			if d := num(m[1]); m[1] != "" && (d < lo-slack || d > hi+slack) {
				t.Errorf("verdict says %.1f%% failed during the apply; the steps' table rows range %.1f%% .. %.1f%%", d, lo, hi)
			}
			if (m[4] == "") != (lost == 0) {
				t.Errorf("verdict %q disagrees with the table's sessions lost (at most %.1f%%)", verdict, lost)
			}
			if after.failed > 0 && !strings.Contains(m[7], strconv.FormatFloat(after.failed, 'f', 1, 64)+"% failed") {
				t.Errorf("verdict %q omits the after window's %.1f%% failed", verdict, after.failed)
			}
			if after.failed == 0 && after.sessionLost == 0 && m[7] != "" {
				t.Errorf("verdict %q speaks of an after window the table shows clean", verdict)
			}
		})
	}
}
