package views

import (
	"sync"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
)

// Tracker follows the engine's events to say, after a stop, which steps were issued but never
// confirmed: an instance launched whose "running" albctl never saw is neither done nor
// untouched. A second Ctrl-C reads it from another goroutine.
type Tracker struct {
	mu      sync.Mutex
	steps   []plan.Step
	started map[string]bool
	ended   map[string]bool
}

func NewTracker(p *plan.Plan) *Tracker {
	return &Tracker{steps: p.Steps, started: map[string]bool{}, ended: map[string]bool{}}
}

func (t *Tracker) Event(e engine.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e.Type {
	case engine.EventStarted:
		t.started[e.Step] = true
	case engine.EventDone, engine.EventFailed:
		t.ended[e.Step] = true
	}
}

// InFlight lists the steps started and not yet ended, in plan order.
func (t *Tracker) InFlight() []string {
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

// StepGroups sorts a stopped apply's steps by outcome, each in plan order.
type StepGroups struct {
	Done        []plan.Step
	Failed      []plan.Step
	Unconfirmed []plan.Step // started, an API call may have taken effect, not confirmed
	Held        []plan.Step // terminations a gate's rollback held: never sent
	NotStarted  []plan.Step
}

func (t *Tracker) Groups(res *engine.Result) StepGroups {
	t.mu.Lock()
	defer t.mu.Unlock()
	done, held := map[string]bool{}, map[string]bool{}
	for _, id := range res.Done {
		done[id] = true
	}
	for _, id := range res.Held {
		held[id] = true
	}
	var g StepGroups
	for _, s := range t.steps {
		switch {
		case done[s.ID]:
			g.Done = append(g.Done, s)
		case s.ID == res.Failed:
			g.Failed = append(g.Failed, s)
		case held[s.ID]:
			g.Held = append(g.Held, s)
		case t.started[s.ID]:
			g.Unconfirmed = append(g.Unconfirmed, s)
		default:
			g.NotStarted = append(g.NotStarted, s)
		}
	}
	return g
}
