package rehearse

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/simulator"
)

var t0 = time.Date(2023, 5, 14, 9, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func sec(s int) time.Duration { return time.Duration(s) * time.Second }

// traffic is a sample of web-alb -> tg with failed requests answering 504.
func traffic(tg string, failed, switching float64, why string) simulator.Traffic {
	return simulator.Traffic{LoadBalancer: "web-alb", TargetGroup: tg, Served: 1 - failed, Failed: failed, Status504: failed, SwitchServer: switching, Why: why}
}

// sample is a change of the routing model s seconds after t0.
type sample struct {
	s int
	t simulator.Traffic
}

// recorded is a recorder that saw changes and ended at end seconds.
func recorded(end int, changes ...sample) *Recorder {
	r := &Recorder{start: t0, end: at(end), steps: map[string]stepMark{}}
	for _, c := range changes {
		r.entries = append(r.entries, Change{At: at(c.s), Elapsed: sec(c.s), Traffic: c.t})
	}
	return r
}

// The routing model's samples become windows of equal shares to the percent, windows of no
// time are dropped, and causes are numbered once across listeners, in the order met.
func TestRouting(t *testing.T) {
	tests := []struct {
		name       string
		rec        *Recorder
		want       []Routing
		wantLegend []string
	}{{
		name: "equal percents merge and gather their causes",
		rec:  recorded(100, sample{0, traffic("tg", 0.333, 0, "a")}, sample{10, traffic("tg", 0.334, 0, "b (x; y); a")}, sample{20, traffic("tg", 0, 0.2, "")}),
		want: []Routing{{Key: "web-alb -> tg", Windows: []Window{
			{From: 0, To: sec(20), Failed: 0.333, Causes: []string{"a", "b (x; y)"}, Refs: []int{1, 2}},
			{From: sec(20), To: sec(100), Switching: 0.2},
		}}},
		wantLegend: []string{"a", "b (x; y)"},
	}, {
		name: "a window of no time is dropped",
		rec:  recorded(100, sample{0, traffic("tg", 0.5, 0, "")}, sample{10, traffic("tg", 1, 0, "down")}, sample{10, traffic("tg", 0, 0, "")}),
		want: []Routing{{Key: "web-alb -> tg", Windows: []Window{
			{From: 0, To: sec(10), Failed: 0.5},
			{From: sec(10), To: sec(100)},
		}}},
	}, {
		name: "under 1% merges with none failed: the window keeps its first sample's shares",
		rec:  recorded(60, sample{0, traffic("tg", 0.004, 0, "c")}, sample{30, traffic("tg", 0, 0, "")}),
		want: []Routing{{Key: "web-alb -> tg", Windows: []Window{
			{From: 0, To: sec(60), Failed: 0.004, Causes: []string{"c"}, Refs: []int{1}},
		}}},
		wantLegend: []string{"c"},
	}, {
		name: "causes are numbered once across listeners; only failing windows refer to them",
		rec:  recorded(60, sample{0, traffic("a-tg", 0.05, 0, "c")}, sample{0, traffic("b-tg", 0.5, 0, "d; c")}, sample{30, traffic("a-tg", 0, 0, "e")}, sample{30, traffic("b-tg", 0.5, 0, "d")}),
		want: []Routing{
			{Key: "web-alb -> a-tg", Windows: []Window{
				{From: 0, To: sec(30), Failed: 0.05, Causes: []string{"c"}, Refs: []int{1}},
				{From: sec(30), To: sec(60), Causes: []string{"e"}},
			}},
			{Key: "web-alb -> b-tg", Windows: []Window{
				{From: 0, To: sec(60), Failed: 0.5, Causes: []string{"d", "c"}, Refs: []int{1, 2}},
			}},
		},
		wantLegend: []string{"c", "d"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, legend := tt.rec.routing()
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("routing (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantLegend, legend); d != "" {
				t.Errorf("legend (-want +got):\n%s", d)
			}
		})
	}
}

// addCauses splits a Why at the "; " outside parentheses and keeps each cause once.
func TestAddCauses(t *testing.T) {
	tests := []struct {
		list []string
		why  string
		want []string
	}{
		{nil, "", nil},
		{nil, "a; b", []string{"a", "b"}},
		{nil, "sg (admits no TCP 80 from x; y); node", []string{"sg (admits no TCP 80 from x; y)", "node"}},
		{[]string{"b"}, "a; b; a", []string{"b", "a"}},
		{nil, " a ;; b ", []string{"a", "b"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, addCauses(tt.list, tt.why)); d != "" {
			t.Errorf("addCauses(%q, %q) (-want +got):\n%s", tt.list, tt.why, d)
		}
	}
}

// The worst moment is the window that failed the most requests, to the percent (the first of
// equals), with the answer most of them got and the step it ends with or falls in.
func TestWorst(t *testing.T) {
	mixed := traffic("tg", 0.4, 0, "full")
	mixed.Status504, mixed.Status503 = 0.1, 0.3
	app := traffic("tg", 0.25, 0, "bad build")
	app.Status504, app.TargetErrors = 0, 0.25
	steps := []stepSpan{{id: "reboot", start: at(0), end: at(60)}, {id: "trim", start: at(60), end: at(90)}}
	tests := []struct {
		name    string
		changes []sample
		want    *Worst
	}{{
		name:    "nothing failed",
		changes: []sample{{0, traffic("tg", 0, 0, "")}},
	}, {
		name:    "a window that ends with a step says until",
		changes: []sample{{0, traffic("tg", 1, 0, "rebooting; sg")}, {60, traffic("tg", 0.33, 0, "sg")}, {90, traffic("tg", 0, 0, "")}},
		want:    &Worst{Failed: 1, Answer: "504", From: 0, To: sec(60), Step: "reboot", N: 1, Until: true, Causes: []string{"rebooting", "sg"}},
	}, {
		name:    "the first of equal windows; mixed answers",
		changes: []sample{{0, mixed}, {30, traffic("tg", 0, 0, "")}, {40, mixed}, {70, traffic("tg", 0, 0, "")}},
		want:    &Worst{Failed: 0.4, Answer: "503", Mixed: true, From: 0, To: sec(30), Step: "reboot", N: 1, Causes: []string{"full"}},
	}, {
		name:    "the last window lasts to the end; the app's errors",
		changes: []sample{{0, traffic("tg", 0, 0, "")}, {70, app}},
		want:    &Worst{Failed: 0.25, Answer: "app errors", From: sec(70), To: sec(120), ToEnd: true, Causes: []string{"bad build"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := recorded(120, tt.changes...)
			r.timeline.steps = steps
			r.steps = map[string]stepMark{"reboot": {n: 1}, "trim": {n: 2}}
			if d := cmp.Diff(tt.want, r.worst("web-alb -> tg")); d != "" {
				t.Errorf("worst (-want +got):\n%s", d)
			}
		})
	}
}
