package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/rehearse"
	"github.com/albctl/albctl/internal/views"
)

// applyView renders an apply for people or, with -json, as one JSON object per line.
type applyView interface {
	plan(header string, p *plan.Plan)
	event(e engine.Event)
	stopped(res *engine.Result, g stepGroups, err error, simulated string)
	complete(res *engine.Result, remaining *plan.Plan, simulated string)
	// traffic reports what simulated clients saw (simulator only).
	traffic(r *rehearse.Report)
}

func (m *Main) applyView(jsonOut bool) applyView {
	if jsonOut {
		return &applyJSON{enc: json.NewEncoder(m.Stdout)}
	}
	return &applyHuman{w: m.Stdout, fancy: m.colour()}
}

// tracker follows the engine's events to say, after a stop, which steps were issued but never
// confirmed: an instance launched whose "running" albctl never saw is neither done nor
// untouched. A second Ctrl-C reads it from another goroutine.
type tracker struct {
	mu      sync.Mutex
	steps   []plan.Step
	started map[string]bool
	ended   map[string]bool
}

func newTracker(p *plan.Plan) *tracker {
	return &tracker{steps: p.Steps, started: map[string]bool{}, ended: map[string]bool{}}
}

func (t *tracker) event(e engine.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e.Type {
	case engine.EventStarted:
		t.started[e.Step] = true
	case engine.EventDone, engine.EventFailed:
		t.ended[e.Step] = true
	}
}

// inFlight lists the steps started and not yet ended, in plan order.
func (t *tracker) inFlight() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []string
	for _, s := range t.steps {
		if t.started[s.ID] && !t.ended[s.ID] {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// stepGroups sorts a stopped apply's steps by outcome, each in plan order.
type stepGroups struct {
	Done        []plan.Step
	Failed      []plan.Step
	Unconfirmed []plan.Step // started, an API call may have taken effect, not confirmed
	NotStarted  []plan.Step
}

func (t *tracker) groups(res *engine.Result) stepGroups {
	t.mu.Lock()
	defer t.mu.Unlock()
	done := map[string]bool{}
	for _, id := range res.Done {
		done[id] = true
	}
	var g stepGroups
	for _, s := range t.steps {
		switch {
		case done[s.ID]:
			g.Done = append(g.Done, s)
		case s.ID == res.Failed:
			g.Failed = append(g.Failed, s)
		case t.started[s.ID]:
			g.Unconfirmed = append(g.Unconfirmed, s)
		default:
			g.NotStarted = append(g.NotStarted, s)
		}
	}
	return g
}

// applyHuman prints progress as plain lines fit for CI logs; on a terminal (and without
// NO_COLOR or -no-color) it colours outcomes and keeps "still waiting" on one live line.
type applyHuman struct {
	w     io.Writer
	fancy bool
	live  bool // the last thing printed is a live line without its newline
	// compact prints the plan a step a line (apply -auto-approve: nobody reads it to
	// approve; plan shows the reasons).
	compact bool
	// collapse prints one line per step when it ends (the simulator: its waits take no real
	// time, so "still waiting" lines would only repeat the same wait).
	collapse bool
	steps    map[string]plan.Step
	numbers  map[string]int
	waits    map[string]int // collapsed: retries per step
}

const (
	green  = "\033[32m"
	yellow = "\033[33m"
	red    = "\033[31m"
	bold   = "\033[1m"
	dim    = "\033[2m"
	reset  = "\033[0m"
)

func (v *applyHuman) line(color, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if !v.fancy {
		fmt.Fprintln(v.w, text)
		return
	}
	if v.live {
		fmt.Fprint(v.w, "\r\033[K")
		v.live = false
	}
	fmt.Fprintln(v.w, color+text+reset)
}

func (v *applyHuman) liveLine(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if !v.fancy {
		fmt.Fprintln(v.w, text)
		return
	}
	fmt.Fprint(v.w, "\r\033[K"+dim+text+reset)
	v.live = true
}

var _ applyView = (*applyHuman)(nil)

func (v *applyHuman) plan(header string, p *plan.Plan) {
	v.numbers, v.waits, v.steps = map[string]int{}, map[string]int{}, map[string]plan.Step{}
	for i, s := range p.Steps {
		v.numbers[s.ID], v.steps[s.ID] = i+1, s
	}
	if v.compact {
		// On the simulator the steps are listed as they end, a line each: listing them
		// first too would say everything twice.
		renderPlanCompact(v.w, header, p, v.fancy, !v.collapse)
		return
	}
	renderPlanHuman(v.w, header, p, v.fancy)
}

func (v *applyHuman) event(e engine.Event) {
	if v.collapse {
		v.collapsed(e)
		return
	}
	switch e.Type {
	case engine.EventStarted:
		v.line("", "%s: Starting... (%s)", e.Step, e.Resource)
	case engine.EventWaiting:
		v.liveLine("%s: Still waiting for %s [%s elapsed]", e.Step, e.Message, round(e.Elapsed))
	case engine.EventRetry:
		v.liveLine("%s: %s [%s elapsed]", e.Step, e.Message, round(e.Elapsed))
	case engine.EventDone:
		out := ""
		if e.Output != "" {
			out = " [" + e.Output + "]"
		}
		v.line(green, "%s: Complete after %s%s", e.Step, round(e.Elapsed), out)
	case engine.EventFailed:
		v.line(red, "%s: Failed after %s: %s", e.Step, round(e.Elapsed), e.Error)
	}
}

// collapsed prints a step in one line when it ends, numbered as the plan numbers it, with
// the simulated time it took and how many times it retried.
func (v *applyHuman) collapsed(e engine.Event) {
	s := v.steps[e.Step]
	head := fmt.Sprintf("%3d. %s %s:", v.numbers[e.Step], symbol(s.Kind), e.Step)
	waited := ""
	if n := v.waits[e.Step]; n > 0 {
		waited = fmt.Sprintf(" (%s)", plural(n, "retry"))
		waited = strings.Replace(waited, "retrys", "retries", 1)
	}
	switch e.Type {
	case engine.EventRetry:
		v.waits[e.Step]++
	case engine.EventDone:
		out := ""
		if e.Output != "" {
			out = " [" + e.Output + "]"
		}
		v.line(green, "%s complete after %s simulated%s%s", head, round(e.Elapsed), waited, out)
	case engine.EventFailed:
		v.line(red, "%s failed after %s simulated%s: %s", head, round(e.Elapsed), waited, e.Error)
	}
}

func (v *applyHuman) traffic(r *rehearse.Report) {
	v.line("", "")
	views.WriteTraffic(v.w, r)
}

func (v *applyHuman) stopped(res *engine.Result, g stepGroups, err error, simulated string) {
	v.line("", "")
	fmt.Fprintf(v.w, "Apply stopped after %s%s: %v\n", round(res.Elapsed()), simulated, err)
	writeGroup(v.w, "Done", g.Done, "")
	writeGroup(v.w, "Failed", g.Failed, "")
	writeGroup(v.w, "Issued but not confirmed", g.Unconfirmed,
		"AWS may have carried these out; albctl stopped before it saw them finish")
	writeGroup(v.w, "Not started", g.NotStarted, "")
	fmt.Fprintln(v.w, "Run apply again to continue: it observes the world afresh and creates nothing twice.")
}

// maxIDsPerKind bounds the step IDs a summary names per kind: a stop in a 5,000-member
// apply must stay readable.
const maxIDsPerKind = 3

// writeGroup prints one outcome with its count, then one line per step kind: the count and
// the first few step IDs.
func writeGroup(w io.Writer, title string, steps []plan.Step, note string) {
	if len(steps) == 0 {
		if title == "Done" {
			fmt.Fprintf(w, "%s: none\n", title)
		}
		return
	}
	fmt.Fprintf(w, "%s: %s", title, plural(len(steps), "step"))
	if note != "" {
		fmt.Fprintf(w, " (%s)", note)
	}
	fmt.Fprintln(w)
	byKind := map[plan.Kind][]string{}
	for _, s := range steps {
		byKind[s.Kind] = append(byKind[s.Kind], s.ID)
	}
	for _, k := range kindOrder(byKind) {
		ids := byKind[k]
		shown := strings.Join(ids[:min(len(ids), maxIDsPerKind)], ", ")
		if len(ids) > maxIDsPerKind {
			shown += fmt.Sprintf(" and %d more", len(ids)-maxIDsPerKind)
		}
		fmt.Fprintf(w, "  %d %s: %s\n", len(ids), k, shown)
	}
}

func (v *applyHuman) complete(res *engine.Result, remaining *plan.Plan, simulated string) {
	v.line("", "")
	fmt.Fprintf(v.w, "Apply complete! %s in %s%s.", plural(len(res.Done), "step"), round(res.Elapsed()), simulated)
	if remaining.Empty() {
		fmt.Fprintln(v.w, " The world now matches the spec.")
		return
	}
	fmt.Fprintln(v.w)
	fmt.Fprintf(v.w, "The world does not match the spec yet: %s remain. Run apply again.\n", summary(remaining))
}

type applyJSON struct{ enc *json.Encoder }

var _ applyView = (*applyJSON)(nil)

func (v *applyJSON) plan(header string, p *plan.Plan) {
	_ = v.enc.Encode(struct {
		Type string   `json:"type"`
		Plan planJSON `json:"plan"`
	}{"plan", newPlanJSON(header, p)})
}

func (v *applyJSON) event(e engine.Event) { _ = v.enc.Encode(e) }

func (v *applyJSON) traffic(r *rehearse.Report) { _ = views.EncodeTraffic(v.enc, r) }

// outcome is the last line of apply -json: how the run ended.
type outcome struct {
	Type           string        `json:"type"`
	Status         string        `json:"status"`
	Error          string        `json:"error,omitempty"`
	Done           []string      `json:"done,omitempty"`
	NotDone        []string      `json:"not_done,omitempty"`
	Unconfirmed    []string      `json:"unconfirmed,omitempty"`
	Converged      *bool         `json:"converged,omitempty"`
	RemainingSteps *int          `json:"remaining_steps,omitempty"`
	Elapsed        time.Duration `json:"elapsed_ns"`
	Simulated      bool          `json:"simulated"`
}

func ids(steps []plan.Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.ID)
	}
	return out
}

// The engine emits its own summary event; these add the outcome.
func (v *applyJSON) stopped(res *engine.Result, g stepGroups, err error, simulated string) {
	_ = v.enc.Encode(outcome{Type: "outcome", Status: "stopped", Error: err.Error(), Done: res.Done, NotDone: res.NotDone,
		Unconfirmed: ids(g.Unconfirmed), Elapsed: res.Elapsed(), Simulated: simulated != ""})
}

func (v *applyJSON) complete(res *engine.Result, remaining *plan.Plan, simulated string) {
	converged, left := remaining.Empty(), len(remaining.Steps)
	_ = v.enc.Encode(outcome{Type: "outcome", Status: "complete", Converged: &converged, RemainingSteps: &left, Done: res.Done, Elapsed: res.Elapsed(), Simulated: simulated != ""})
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }
