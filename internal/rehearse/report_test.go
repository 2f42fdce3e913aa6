package rehearse

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

const key = "web-alb -> tg"

// second is one second of the client model's counts for key, starting s seconds after t0.
func second(s int, c simulator.Counts) simulator.Interval {
	return simulator.Interval{Start: at(s), End: at(s + 1), Counts: c}
}

// timelineOf is a recorder whose timeline saw events (in order), routing samples, and the
// client model's seconds: one before the first step, then 0, 1, 3 and 4.
func timelineOf(events []engine.Event, end int) *Recorder {
	r := &Recorder{start: t0, end: at(end), steps: map[string]stepMark{"a": {n: 1}, "b": {n: 2, outage: true}}}
	tl := &r.timeline
	tl.origin, tl.sessions = t0, map[string]string{key: "local"}
	tl.intervals = map[string][]simulator.Interval{key: {
		second(-1, simulator.Counts{Requests: 10, Served: 10}),
		second(0, simulator.Counts{Requests: 10, Served: 5, Status504: 5, Why: []string{"down"}}),
		second(1, simulator.Counts{Requests: 10, Served: 10, SessionsLost: 2}),
		second(3, simulator.Counts{Requests: 10, Served: 9, ConnectionErrors: 1, Why: []string{"dns"}}),
		second(4, simulator.Counts{Requests: 10, Served: 10}),
	}}
	local := traffic("tg", 0.25, 0.1, "x")
	local.Sessions = "local"
	samples := map[int]simulator.Traffic{0: traffic("tg", 0.5, 0, ""), 2: local, 3: traffic("tg", 0, 0, "")}
	for _, e := range events {
		for s := range 4 {
			if t, ok := samples[s]; ok && at(s).Equal(e.Time) && len(tl.samples) <= s {
				tl.add(at(s), []simulator.Traffic{t})
			}
		}
		tl.event(e)
	}
	tl.finish(at(end))
	return r
}

// The report counts each phase from the client model's seconds whose tick falls in it (the
// after window to the end of the record), an instant step from the routing model's sample
// right after it, and the verdict, the chart and the bars from the same counts.
func TestReport(t *testing.T) {
	started := func(id string, s int) engine.Event {
		return engine.Event{Type: engine.EventStarted, Step: id, Time: at(s)}
	}
	ended := func(id string, s int, typ engine.EventType) engine.Event {
		return engine.Event{Type: typ, Step: id, Time: at(s)}
	}
	before := Stats{Requests: 10, Served: 1}
	stepA := Stats{Requests: 20, Served: 0.75, Status504: 0.25, SessionsLost: 2.0 / 15, Why: []string{"down"}}
	after := Stats{Requests: 20, Served: 0.95, ConnErrors: 0.05, Why: []string{"dns"}}
	tests := []struct {
		name    string
		events  []engine.Event
		steps   []Step
		phases  []Phase
		verdict Verdict
	}{{
		name:   "an instant step reports the routing model's sample after it",
		events: []engine.Event{started("a", 0), ended("a", 2, engine.EventDone), started("b", 2), ended("b", 2, engine.EventFailed)},
		steps:  []Step{{ID: "a", N: 1, To: sec(2)}, {ID: "b", N: 2, Outage: true, Failed: true, From: sec(2), To: sec(2)}},
		phases: []Phase{
			{Name: "before", From: -time.Minute, Stats: before},
			{Name: "step", Step: "a", N: 1, To: sec(2), Stats: stepA},
			{Name: "step", Step: "b", N: 2, Failed: true, Outage: true, From: sec(2), To: sec(2),
				Stats: Stats{Served: 0.75, Status504: 0.25, SessionsLost: 0.1, Why: []string{"x"}}},
			{Name: "after", From: sec(3), To: sec(5), Stats: after},
		},
		verdict: Verdict{During: stepA, WorstStep: 1, WorstFailed: 0.25, LostIn: 1, WorstLost: 2.0 / 15, After: after},
	}, {
		name:   "a stopped apply ends its open steps where it stopped",
		events: []engine.Event{started("a", 0), started("b", 1), ended("a", 2, engine.EventFailed)},
		steps:  []Step{{ID: "a", N: 1, Failed: true, To: sec(2)}, {ID: "b", N: 2, Outage: true, From: sec(1), To: sec(3)}},
		phases: []Phase{
			{Name: "before", From: -time.Minute, Stats: before},
			{Name: "step", Step: "a", N: 1, Failed: true, To: sec(2), Stats: stepA},
			{Name: "step", Step: "b", N: 2, Outage: true, From: sec(1), To: sec(3), Stats: Stats{Requests: 10, Served: 1, SessionsLost: 0.2}},
			{Name: "after", From: sec(3), To: sec(5), Stats: after},
		},
		verdict: Verdict{During: stepA, WorstStep: 1, WorstFailed: 0.25, LostIn: 2, WorstLost: 0.2, After: after},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := timelineOf(tt.events, 3).Report(nil)
			chart := []Point{
				{From: -5 * time.Second, To: 0, Stats: before},
				{From: 0, To: sec(5), Stats: Stats{Requests: 40, Served: 0.85, ConnErrors: 0.025, Status504: 0.125, SessionsLost: 2.0 / 34, Why: []string{"down", "dns"}}},
			}
			bars := []Stats{{}, {}, {}, before, chart[1].Stats}
			want := &Report{Clients: 200, RequestEvery: time.Second, From: -time.Minute, To: sec(5), Steps: tt.steps,
				Listeners: []Listener{{Key: key, LoadBalancer: "web-alb", TargetGroup: "tg", Sessions: "local",
					Phases: tt.phases, Verdict: tt.verdict, Chart: chart, Bars: bars}}}
			if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
		})
	}
}

// The verdict's sessions come from the spec: local when a fleet of the target group keeps
// them on its servers.
func TestLocalSessions(t *testing.T) {
	stack := &specs.Stack{
		TargetGroups: []specs.TargetGroup{{Label: "web", Name: "web-tg"}, {Label: "api", Name: "api-tg"}, {Label: "idle", Name: "idle-tg"}},
		Fleets: []specs.Fleet{
			{TargetGroup: "api", Sessions: specs.SessionsShared},
			{TargetGroup: "web", Sessions: specs.SessionsShared}, {TargetGroup: "web", Sessions: specs.SessionsLocal},
		},
	}
	tests := []struct {
		stack *specs.Stack
		tg    string
		want  bool
	}{
		{stack, "web-tg", true},
		{stack, "api-tg", false},
		{stack, "idle-tg", false},
		{stack, "web", false}, // a label is not a name
		{nil, "web-tg", false},
	}
	for _, tt := range tests {
		if got := localSessions(tt.stack, tt.tg); got != tt.want {
			t.Errorf("localSessions(%s) = %v, want %v", tt.tg, got, tt.want)
		}
	}
}
