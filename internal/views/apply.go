package views

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/rehearse"
)

// Apply renders an apply for people or, with -json, as one JSON object per line
// (docs/apply.md, "What apply prints"): the plan, each engine event as it comes, what
// simulated clients saw, and how the apply ended.
type Apply interface {
	Plan(header string, p *plan.Plan)
	Event(e engine.Event)
	// Stopped reports an apply that ended in err, with its steps sorted by outcome.
	Stopped(res *engine.Result, g StepGroups, err error, simulated string)
	// Complete reports an apply that ran every step, and what the world still lacks.
	Complete(res *engine.Result, remaining *plan.Plan, simulated string)
	// Traffic reports what simulated clients saw (simulator only).
	Traffic(r *rehearse.Report)
}

// NewApply returns the human view or, with jsonOut, the JSON one, writing to w; colour adds
// ANSI colours and the live "still waiting" line (terminals only).
func NewApply(w io.Writer, jsonOut, colour bool) Apply {
	if jsonOut {
		return &ApplyJSON{enc: json.NewEncoder(w)}
	}
	return &ApplyHuman{W: w, Colour: colour}
}

// ApplyHuman prints progress as plain lines fit for CI logs; on a terminal (and without
// NO_COLOR or -no-color) it colours outcomes and keeps "still waiting" on one live line.
type ApplyHuman struct {
	W      io.Writer
	Colour bool // ANSI colours and a live "still waiting" line
	// Compact prints the plan a step a line (apply -auto-approve: nobody reads it to
	// approve; plan shows the reasons).
	Compact bool
	// Collapse prints one line per step when it ends (the simulator: its waits take no real
	// time, so "still waiting" lines would only repeat the same wait).
	Collapse bool
	live     bool // the last thing printed is a live line without its newline
	steps    map[string]plan.Step
	numbers  map[string]int
	waits    map[string]int // collapsed: retries per step
}

func (v *ApplyHuman) line(color, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if !v.Colour {
		fmt.Fprintln(v.W, text)
		return
	}
	if v.live {
		fmt.Fprint(v.W, "\r\033[K")
		v.live = false
	}
	fmt.Fprintln(v.W, color+text+reset)
}

func (v *ApplyHuman) liveLine(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if !v.Colour {
		fmt.Fprintln(v.W, text)
		return
	}
	fmt.Fprint(v.W, "\r\033[K"+dim+text+reset)
	v.live = true
}

var _ Apply = (*ApplyHuman)(nil)

func (v *ApplyHuman) Plan(header string, p *plan.Plan) {
	v.numbers, v.waits, v.steps = map[string]int{}, map[string]int{}, map[string]plan.Step{}
	for i, s := range p.Steps {
		v.numbers[s.ID], v.steps[s.ID] = i+1, s
	}
	if v.Compact {
		// On the simulator the steps are listed as they end, a line each: listing them
		// first too would say everything twice.
		RenderPlanCompact(v.W, header, p, v.Colour, !v.Collapse)
		return
	}
	RenderPlanHuman(v.W, header, p, v.Colour)
}

func (v *ApplyHuman) Event(e engine.Event) {
	if v.Collapse {
		v.collapsed(e)
		return
	}
	switch e.Type {
	case engine.EventStarted:
		v.line("", "%s: Starting... (%s)", e.Step, e.Resource)
	case engine.EventWaiting:
		v.liveLine("%s: Still waiting for %s [%s elapsed]", e.Step, e.Message, Round(e.Elapsed))
	case engine.EventRetry:
		v.liveLine("%s: %s [%s elapsed]", e.Step, e.Message, Round(e.Elapsed))
	case engine.EventDone:
		out := ""
		if e.Output != "" {
			out = " [" + e.Output + "]"
		}
		v.line(green, "%s: Complete after %s%s", e.Step, Round(e.Elapsed), out)
	case engine.EventFailed:
		v.line(red, "%s: Failed after %s: %s", e.Step, Round(e.Elapsed), e.Error)
	}
}

// collapsed prints a step in one line when it ends, numbered as the plan numbers it, with
// the simulated time it took and how many times it retried.
func (v *ApplyHuman) collapsed(e engine.Event) {
	s := v.steps[e.Step]
	head := fmt.Sprintf("%3d. %s %s:", v.numbers[e.Step], Symbol(s.Kind), e.Step)
	waited := ""
	if n := v.waits[e.Step]; n > 0 {
		waited = fmt.Sprintf(" (%s)", Plural(n, "retry"))
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
		v.line(green, "%s complete after %s simulated%s%s", head, Round(e.Elapsed), waited, out)
	case engine.EventFailed:
		v.line(red, "%s failed after %s simulated%s: %s", head, Round(e.Elapsed), waited, e.Error)
	}
}

// Traffic prints the report of what clients saw after an empty line.
func (v *ApplyHuman) Traffic(r *rehearse.Report) {
	v.line("", "")
	WriteTraffic(v.W, r)
}

func (v *ApplyHuman) Stopped(res *engine.Result, g StepGroups, err error, simulated string) {
	v.line("", "")
	fmt.Fprintf(v.W, "Apply stopped after %s%s: %v\n", Round(res.Elapsed()), simulated, err)
	writeGroup(v.W, "Done", g.Done, "")
	writeGroup(v.W, "Failed", g.Failed, "")
	writeGroup(v.W, "Issued but not confirmed", g.Unconfirmed,
		"AWS may have carried these out; albctl stopped before it saw them finish")
	writeGroup(v.W, "Held by the rollback", g.Held,
		"their old members serve again; TerminateInstances was never sent")
	writeGroup(v.W, "Not started", g.NotStarted, "")
	fmt.Fprintln(v.W, "Run apply again to continue: it observes the world afresh and creates nothing twice.")
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
	fmt.Fprintf(w, "%s: %s", title, Plural(len(steps), "step"))
	if note != "" {
		fmt.Fprintf(w, " (%s)", note)
	}
	fmt.Fprintln(w)
	byKind := map[plan.Kind][]string{}
	for _, s := range steps {
		byKind[s.Kind] = append(byKind[s.Kind], s.ID)
	}
	for _, k := range KindOrder(byKind) {
		ids := byKind[k]
		shown := strings.Join(ids[:min(len(ids), maxIDsPerKind)], ", ")
		if len(ids) > maxIDsPerKind {
			shown += fmt.Sprintf(" and %d more", len(ids)-maxIDsPerKind)
		}
		fmt.Fprintf(w, "  %d %s: %s\n", len(ids), k, shown)
	}
}

func (v *ApplyHuman) Complete(res *engine.Result, remaining *plan.Plan, simulated string) {
	v.line("", "")
	fmt.Fprintf(v.W, "Apply complete! %s in %s%s.", Plural(len(res.Done), "step"), Round(res.Elapsed()), simulated)
	if remaining.Empty() {
		fmt.Fprintln(v.W, " The world now matches the spec.")
		return
	}
	fmt.Fprintln(v.W)
	fmt.Fprintf(v.W, "The world does not match the spec yet: %s remain. Run apply again.\n", Summary(remaining))
}

// ApplyJSON prints an apply as one JSON object per line (docs/plan-json.md).
type ApplyJSON struct{ enc *json.Encoder }

var _ Apply = (*ApplyJSON)(nil)

func (v *ApplyJSON) Plan(header string, p *plan.Plan) {
	_ = v.enc.Encode(struct {
		Type string   `json:"type"`
		Plan PlanJSON `json:"plan"`
	}{"plan", NewPlanJSON(header, p)})
}

func (v *ApplyJSON) Event(e engine.Event) { _ = v.enc.Encode(e) }

// Traffic prints a "traffic" line per change of a listener's shares.
func (v *ApplyJSON) Traffic(r *rehearse.Report) { _ = EncodeTraffic(v.enc, r) }

// outcome is the last line of apply -json: how the run ended.
type outcome struct {
	Type           string        `json:"type"`
	Status         string        `json:"status"`
	Error          string        `json:"error,omitempty"`
	Done           []string      `json:"done,omitempty"`
	NotDone        []string      `json:"not_done,omitempty"`
	Unconfirmed    []string      `json:"unconfirmed,omitempty"`
	Held           []string      `json:"held,omitempty"`
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
func (v *ApplyJSON) Stopped(res *engine.Result, g StepGroups, err error, simulated string) {
	_ = v.enc.Encode(outcome{Type: "outcome", Status: "stopped", Error: err.Error(), Done: res.Done, NotDone: res.NotDone,
		Unconfirmed: ids(g.Unconfirmed), Held: ids(g.Held), Elapsed: res.Elapsed(), Simulated: simulated != ""})
}

func (v *ApplyJSON) Complete(res *engine.Result, remaining *plan.Plan, simulated string) {
	converged, left := remaining.Empty(), len(remaining.Steps)
	_ = v.enc.Encode(outcome{Type: "outcome", Status: "complete", Converged: &converged, RemainingSteps: &left, Done: res.Done, Elapsed: res.Elapsed(), Simulated: simulated != ""})
}

// Round is how albctl shows a duration: to the second.
func Round(d time.Duration) time.Duration { return d.Round(time.Second) }
