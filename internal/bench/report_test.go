package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/report.golden.*")

// loadReport reads a recorded run (testdata/report.json): real rows and rollouts from small
// sizes, hand-made moto rows and machine, so the page is the same bytes on every machine.
func loadReport(t *testing.T) Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./internal/bench -run %s -update):\n%s", name, t.Name(), got)
	}
}

// The results page and the terminal table of a recorded run are what the golden files hold:
// every section (machine, results, operations, applies, scaling, latency, rollouts with the
// instance refresh model, moto, targets, Go benchmarks) and its prose, from page.md.tmpl.
func TestReportGolden(t *testing.T) {
	rep := loadReport(t)
	var md, txt bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.md", md.Bytes())
	rep.WriteText(&txt)
	golden(t, "report.golden.txt", txt.Bytes())
}

// Without rollouts, latency or moto, their sections are left out, and the page says why there
// are no moto rows.
func TestReportOptionalSections(t *testing.T) {
	rep := loadReport(t)
	rep.Rollouts, rep.Moto, rep.MotoURL = nil, nil, ""
	rep.MotoNote = "No moto: `albctl bench -moto URL` adds plans through the SDK against moto."
	for i := range rep.Rows {
		rep.Rows[i].Latency = nil
	}
	var md, txt bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	page := md.String()
	for _, absent := range []string{"## Plan latency", "## Rollouts", "### Instance refresh model", "The same generated worlds seeded into moto"} {
		if strings.Contains(page, absent) {
			t.Errorf("page has %q", absent)
		}
	}
	if !strings.Contains(page, "## Against moto (the real SDK path)\n\n"+rep.MotoNote+"\n\n## Targets\n") {
		t.Errorf("page lacks the moto note in its place:\n%s", page)
	}
	rep.WriteText(&txt)
	if !strings.Contains(txt.String(), "\nNo moto: albctl bench -moto URL adds") || strings.Contains(txt.String(), "Rollouts (") {
		t.Errorf("text:\n%s", txt.String())
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtCount(1234567), "1,234,567"}, {fmtCount(999), "999"}, {fmtCount(1000), "1,000"},
		{fmtNs(1_500_000_000), "1.50s"}, {fmtNs(2_345_678), "2.35ms"}, {fmtNs(12_345), "12µs"},
		{fmtBytes(3 << 20), "3.0 MiB"}, {fmtBytes(1536), "1.5 KiB"}, {fmtBytes(12), "12 B"},
		{fmtSim(61.4), "1m1s"}, {fmtByOp(map[string]int{"b": 2, "a": 1}), "a 1, b 2"},
		{(&mdTable{headers: []string{"N", "x", "note"}, text: []string{"note"}, rows: [][]string{{"1", "2", "ok"}}}).String(), "| N | x | note |\n| --- | ---: | --- |\n| 1 | 2 | ok |\n"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestCallBudgetFollowsTheStack: the calls a plan may make grow with target groups and load
// balancers, never with instances.
func TestCallBudgetFollowsTheStack(t *testing.T) {
	for _, tc := range []struct {
		calls, tgs, lbs int
		want            string
	}{
		{19, 2, 2, "ok"}, {20, 2, 2, "MISSED"}, {15, 1, 1, "ok"}, {16, 1, 1, "MISSED"},
	} {
		c := checkCalls([]Row{{N: 1000, PlanAPICalls: tc.calls, Fleets: tc.tgs, LoadBalancers: tc.lbs}})
		if c.Status != tc.want {
			t.Errorf("%d calls for %d target groups and %d load balancers: %s, want %s (%s)", tc.calls, tc.tgs, tc.lbs, c.Status, tc.want, c.Got)
		}
	}
	if c := checkCalls([]Row{{N: 100, PlanAPICalls: 99}}); c.Status != "not measured" {
		t.Errorf("no N = 1,000 row: %s, want not measured", c.Status)
	}
}
