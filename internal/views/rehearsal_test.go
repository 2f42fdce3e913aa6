package views

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/rehearse"
)

func sec(s int) time.Duration { return time.Duration(s) * time.Second }

// Each window says its share failed (or that all were served), its span, the share that
// switches server and the legend numbers of its causes.
func TestWindowText(t *testing.T) {
	tests := []struct {
		win  rehearse.Window
		last bool
		want string
	}{
		{rehearse.Window{From: 0, To: sec(60), Failed: 1, Refs: []int{1, 2}}, false, "100% failed 0s .. 1m0s [1,2]"},
		{rehearse.Window{From: sec(60), To: sec(357), Failed: 0.004, Refs: []int{3}}, false, "under 1% failed 1m0s .. 5m57s [3]"},
		{rehearse.Window{From: sec(357), To: sec(400), Switching: 0.5, Causes: []string{"x"}}, true, "all served from 5m57s, 50% switch server"},
		{rehearse.Window{From: -sec(1), To: 1400 * time.Millisecond, Failed: 0.334}, false, "33% failed -1s .. 1s"},
	}
	for _, tt := range tests {
		if got := windowText(tt.win, tt.last); got != tt.want {
			t.Errorf("windowText(%+v) = %q, want %q", tt.win, got, tt.want)
		}
	}
}

// The verdict says the apply's share failed and the worst step, sessions lost (or why none
// is), and the after window when something failed or was lost there.
func TestVerdictText(t *testing.T) {
	failed := func(f float64) rehearse.Stats { return rehearse.Stats{Requests: 100, Served: 1 - f, Status504: f} }
	tests := []struct {
		name string
		v    rehearse.Verdict
		want string
	}{
		{"failures, shared sessions", rehearse.Verdict{During: failed(0.074), WorstStep: 1, WorstFailed: 1.0 / 3, After: failed(0.028)},
			"During the apply: 7.4% of requests failed, at worst 33.3% (step 1); sessions are shared, so none is lost. After the apply: 2.8% failed."},
		{"nothing failed, local sessions", rehearse.Verdict{During: failed(0), LocalSessions: true},
			"During the apply: no request failed; no session lost."},
		{"no time passed and nothing failed", rehearse.Verdict{},
			"During the apply: no request failed; sessions are shared, so none is lost."},
		{"instant steps only", rehearse.Verdict{WorstStep: 2, WorstFailed: 0.5, LocalSessions: true},
			"During the apply: no simulated time passed, at worst 50.0% (step 2); no session lost."},
		{"sessions lost", rehearse.Verdict{During: rehearse.Stats{Requests: 10, Served: 1, SessionsLost: 0.2}, LostIn: 3, WorstLost: 0.49, LocalSessions: true,
			After: rehearse.Stats{Requests: 10, Served: 1, SessionsLost: 0.002}},
			"During the apply: no request failed; 20.0% of sessions lost, at worst 49.0% (step 3). After the apply: 0.2% sessions lost."},
	}
	for _, tt := range tests {
		if got := verdictText(tt.v); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// The worst moment names the answer, the span, the step and the first cause.
func TestWorstText(t *testing.T) {
	tests := []struct {
		w    *rehearse.Worst
		want string
	}{
		{nil, "no request failed during the apply."},
		{&rehearse.Worst{Failed: 1, Answer: "504", To: sec(60), Step: "create_image.web", N: 2, Causes: []string{"rebooting", "sg", "node"}},
			"the worst moment: 100% of requests get 504 from 0s to 1m0s, during step 2, create_image.web: rebooting (and 2 other causes)."},
		{&rehearse.Worst{Failed: 0.4, Answer: "503", Mixed: true, From: sec(5), To: sec(60), Step: "trim", N: 6, Until: true, Causes: []string{"full", "x"}},
			"the worst moment: 40% of requests fail (mostly 503) from 5s to 1m0s, until step 6, trim: full (and 1 other cause)."},
		{&rehearse.Worst{Failed: 0.25, Answer: "app errors", From: sec(70), ToEnd: true},
			"the worst moment: 25% of requests get an error from the app from 1m10s on."},
	}
	for _, tt := range tests {
		if got := worstText(tt.w); got != tt.want {
			t.Errorf("worstText(%+v):\n got %q\nwant %q", tt.w, got, tt.want)
		}
	}
}

// report is a small report: a seed, an assumption, one listener with a phase per kind.
func report() *rehearse.Report {
	stats := rehearse.Stats{Requests: 10, Served: 0.9, Status504: 0.1, SessionsLost: 0.25, Why: []string{"down"}}
	return &rehearse.Report{
		World: "a snapshot of aws", Seed: 7, Faults: "f.json", Elapsed: sec(90), Error: "create_image.web: failed",
		Assumptions: []rehearse.Assumption{{Kind: "instance", Resource: "i-1", Text: "state assumed"}},
		Unsimulated: []string{"web-5xx (metric math)"}, Clients: 200, RequestEvery: time.Second, From: -sec(60), To: sec(120),
		Steps:   []rehearse.Step{{ID: "create_image.web", N: 2, Outage: true, Failed: true, To: sec(90)}},
		Routing: []rehearse.Routing{{Key: "alb -> tg", Windows: []rehearse.Window{{From: 0, To: sec(90), Failed: 0.1, Causes: []string{"down"}, Refs: []int{1}}}}},
		Legend:  []string{"down"},
		Listeners: []rehearse.Listener{{Key: "alb -> tg", LoadBalancer: "alb", TargetGroup: "tg", Sessions: "local",
			Phases: []rehearse.Phase{{Name: "before", From: -sec(60)}, {Name: "step", Step: "create_image.web", N: 2, Failed: true, Outage: true, To: sec(90), Stats: stats},
				{Name: "step", Step: "trim_zones.web", N: 6, Failed: true, From: sec(90), To: sec(90)}, {Name: "after", From: sec(90), To: sec(120)}},
			Verdict: rehearse.Verdict{During: stats, WorstStep: 2, WorstFailed: 0.1, LostIn: 2, WorstLost: 0.25, LocalSessions: true},
			Worst:   &rehearse.Worst{Failed: 0.1, Answer: "504", To: sec(90), Step: "create_image.web", N: 2, Until: true, Causes: []string{"down"}},
			Bars:    []rehearse.Stats{{}, stats}}},
		Changes: []rehearse.Change{{At: time.Date(2023, 5, 14, 9, 0, 0, 0, time.UTC), Traffic: rehearse.Traffic{LoadBalancer: "alb", TargetGroup: "tg", Failed: 0.1, Status504: 0.1}}},
	}
}

// The human text: the copy, its assumptions and unsimulated alarms, how the plan ended, the
// windows with the legend, the phase table and the verdict.
func TestWriteRehearsal(t *testing.T) {
	var b bytes.Buffer
	WriteRehearsal(&b, report())
	want := `
Rehearsal on a copy of a snapshot of aws (nothing is written back; seed 7, faults from f.json):
The copy is not the account: it assumed or left out 1 things (docs/simulator.md, "Snapshot"):
  - instance i-1: state assumed
Alarms the rehearsal cannot evaluate (their gates trip on the copy): web-5xx (metric math)
The plan stopped after 1m30s simulated: create_image.web: failed
Traffic alb -> tg (routing model, at every poll): 10% failed from 0s [1].
  [1] down

What clients see, by phase: alb -> tg (200 simulated clients, a request each per 1s):
  phase                         window         served  conn err   502   503    504  app err  sess lost
  before the first step         -1m0s .. 0s      0.0%      0.0%  0.0%  0.0%   0.0%     0.0%       0.0%
  2. create_image.web (failed)  0s .. 1m30s     90.0%      0.0%  0.0%  0.0%  10.0%     0.0%      25.0%
  6. trim_zones.web (failed)    at 1m30s         0.0%      0.0%  0.0%  0.0%   0.0%     0.0%       0.0%
  after the last step           1m30s .. 2m0s    0.0%      0.0%  0.0%  0.0%   0.0%     0.0%       0.0%
  During the apply: 10.0% of requests failed, at worst 10.0% (step 2); 25.0% of sessions lost, at worst 25.0% (step 2).
`
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("text (-want +got):\n%s", d)
	}
}

// The markdown: the outage step in bold, the worst moment, the verdict, and a mermaid chart
// of a point per bucket of the report's bars.
func TestWriteRehearsalMarkdown(t *testing.T) {
	var b bytes.Buffer
	WriteRehearsalMarkdown(&b, report())
	out := b.String()
	for _, want := range []string{
		"): **the plan stopped** after 1m30s simulated: create_image.web: failed\n",
		"**alb -&gt; tg**: the worst moment: 10% of requests get 504 from 0s to 1m30s, until step 2, create_image.web: down.\n",
		"| **2. create_image.web (failed) (OUTAGE)** | 0s .. 1m30s | 90.0% |",
		"| before the first step | -1m0s .. 0s | 0.0% |",
		"| 6. trim_zones.web (failed) | at 1m30s | 0.0% |",
		"    x-axis \"simulated seconds from the first step\" -60 --> -30\n    y-axis \"% of requests\" 0 --> 100\n    bar [0, 10]\n    line [0, 90]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

// The JSON object reads back as written, with shares rounded to four decimals; the traffic
// lines of apply -json read back one per change.
func TestRehearsalJSONRoundTrip(t *testing.T) {
	r := report()
	r.Listeners[0].Phases[1].Stats.Served = 0.123456
	doc := NewRehearsalJSON(r)
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var back RehearsalJSON
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(doc, &back); d != "" {
		t.Errorf("read back (-wrote +read):\n%s", d)
	}
	if got := back.Listeners[0].Phases[1]; got.Served != 0.1235 || got.Status504 != 0.1 || got.Step != "create_image.web" || !got.Failed {
		t.Errorf("step phase %+v", got)
	}
	if back.Outcome != "stopped" || back.Error != r.Error || back.Elapsed != r.Elapsed || len(back.Assumptions) != 1 {
		t.Errorf("outcome %q, error %q, elapsed %s, assumptions %v", back.Outcome, back.Error, back.Elapsed, back.Assumptions)
	}
	var lines bytes.Buffer
	if err := EncodeTraffic(json.NewEncoder(&lines), r); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&lines)
	var n int
	for ; sc.Scan(); n++ {
		var line trafficLineJSON
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		want := trafficLineJSON{"traffic", r.Changes[n].At, r.Changes[n].Elapsed, r.Changes[n].Traffic}
		if d := cmp.Diff(want, line); d != "" {
			t.Errorf("traffic line %d (-want +got):\n%s", n, d)
		}
	}
	if n != len(r.Changes) {
		t.Errorf("%d traffic lines for %d changes", n, len(r.Changes))
	}
}

// Each share lands under its own documented key (docs/plan-json.md), and the phase's step,
// window and causes with it.
func TestRehearsalJSONPhaseFields(t *testing.T) {
	r := &rehearse.Report{Listeners: []rehearse.Listener{{LoadBalancer: "alb", TargetGroup: "tg", Sessions: "shared", Phases: []rehearse.Phase{{
		Name: "step", Step: "trim", Failed: true, From: sec(5), To: sec(7),
		Stats: rehearse.Stats{Requests: 7, Served: 0.1, ConnErrors: 0.2, Status502: 0.3, Status503: 0.4, Status504: 0.5, AppErrors: 0.6, SessionsLost: 0.7, Why: []string{"why"}},
	}}}}}
	data, err := json.Marshal(NewRehearsalJSON(r).Listeners[0])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"load_balancer": "alb", "target_group": "tg", "sessions": "shared", "phases": []any{map[string]any{
		"phase": "step", "step": "trim", "failed": true, "from_ns": 5e9, "to_ns": 7e9, "requests": 7.0, "served": 0.1,
		"connection_errors": 0.2, "status_502": 0.3, "status_503": 0.4, "status_504": 0.5, "target_errors": 0.6, "sessions_lost": 0.7,
		"why": []any{"why"},
	}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("listener JSON (-want +got):\n%s", d)
	}
}
