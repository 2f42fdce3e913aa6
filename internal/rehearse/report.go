package rehearse

import (
	"strings"
	"time"

	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/specs"
)

// Report is what a rehearsal (or an apply on the simulator) showed clients. Times are
// offsets from the apply's start, the first step; the before window's are negative.
type Report struct {
	// World says, for people, what was copied; empty for an apply.
	World  string
	Seed   uint64
	Faults string // the faults file given, if any
	// Assumptions are what a copy of an account assumed or left out (empty for a world
	// file, which is the simulator's own world).
	Assumptions []Assumption
	// Unsimulated are the gates' alarms of the account the copy could not carry: their
	// gates find them missing and trip.
	Unsimulated []string
	Elapsed     time.Duration // simulated time the plan took
	Error       string        // why the plan stopped; empty when it ran to the end

	Clients      int           // simulated clients per listener
	RequestEvery time.Duration // how often each sends a request
	// From and To bound the whole record: the before window's start, the after window's end.
	From, To time.Duration
	Steps    []Step // in the order they started
	// Routing is the routing model's windows by listener, in order of first appearance.
	Routing []Routing
	// Legend numbers the causes of failing windows once, for every listener's Refs.
	Legend []string
	// Listeners is what the client model's requests saw, by listener, sorted.
	Listeners []Listener
	// Changes are the routing model's samples during the apply in which a share changed.
	Changes []Change
}

// Assumption is what a snapshot of an account assumed or left out (mirror.Snapshot): the
// views print and encode it without knowing the mirror.
type Assumption = mirror.Assumption

// Step is one step as it ran, numbered as the plan numbers it.
type Step struct {
	ID       string
	N        int
	Outage   bool // the plan warns it is an outage
	Failed   bool
	From, To time.Duration
}

// Routing is one listener's windows of the routing model ("load-balancer -> target-group").
type Routing struct {
	Key     string
	Windows []Window
}

// Listener is what clients of one listener saw.
type Listener struct {
	Key          string // "load-balancer -> target-group"
	LoadBalancer string
	TargetGroup  string
	Sessions     string // local or shared
	Phases       []Phase
	Verdict      Verdict
	// Worst is the moment the routing model failed the most requests; nil when none failed.
	Worst *Worst
	// Chart is the requests in buckets of ChartEvery, from the start of the before window;
	// buckets without requests are left out.
	Chart []Point
	// Bars is the requests in buckets of BarEvery from From, every bucket, empty or not.
	Bars []Stats
}

// Phase is a window of the record: before the first step, one step, after the last.
type Phase struct {
	Name     string // "before", "step", "after"
	Step     string
	N        int // the step's number in the plan (0: not a plan step)
	Failed   bool
	Outage   bool
	From, To time.Duration
	Stats    Stats
}

// Instant says whether the phase is a step that took no simulated time: no request falls in
// it, and its Stats are the routing model's shares right after it.
func (p Phase) Instant() bool { return p.Name == "step" && p.To <= p.From }

// Verdict sums up one listener from the same counts as its phases: the apply's share of
// failed requests and the worst step, sessions lost, and the after window.
type Verdict struct {
	During Stats // the requests from the first step to the end of the apply
	// WorstStep is the number of the step that failed the most requests (0: none failed),
	// WorstFailed that share.
	WorstStep   int
	WorstFailed float64
	// LostIn is the number of the step that lost the most sessions, WorstLost that share.
	LostIn    int
	WorstLost float64
	// LocalSessions says whether the spec keeps the target group's sessions on the servers.
	LocalSessions bool
	After         Stats
}

// Worst is the window in which the routing model failed the most requests.
type Worst struct {
	Failed float64 // the share failed at the window's worst sample
	// Answer is what most failed requests got: "502", "503", "504" or "app errors";
	// Mixed is set when other answers took more than a hundredth of the failures.
	Answer string
	Mixed  bool
	From   time.Duration
	To     time.Duration
	ToEnd  bool // the window lasts to the end of the apply
	// Step is the step that ends at To (Until) or else runs at To; empty if none.
	Step   string
	N      int
	Until  bool
	Causes []string
}

// Point is what clients of one listener saw in one chart bucket.
type Point struct {
	From, To time.Duration
	Stats    Stats
}

// Report is what the recorder saw, with stack's sessions for the verdicts. Call it after
// Finish.
func (r *Recorder) Report(stack *specs.Stack) *Report {
	tl := &r.timeline
	phases := tl.phases()
	out := &Report{
		Clients: clientCount(), RequestEvery: clientOptions.Every,
		From: phases[0].from.Sub(r.start), To: phases[len(phases)-1].to.Sub(r.start),
		Listeners: []Listener{},
	}
	for _, s := range tl.steps {
		m := r.steps[s.id]
		out.Steps = append(out.Steps, Step{ID: s.id, N: m.n, Outage: m.outage, Failed: s.failed, From: s.start.Sub(r.start), To: s.end.Sub(r.start)})
	}
	out.Routing, out.Legend = r.routing()
	for _, key := range tl.listeners() {
		out.Listeners = append(out.Listeners, r.listener(key, phases, stack))
	}
	out.Changes = append(out.Changes, r.entries...)
	return out
}

func (r *Recorder) listener(key string, phases []phase, stack *specs.Stack) Listener {
	tl := &r.timeline
	lb, tg, _ := strings.Cut(key, " -> ")
	l := Listener{Key: key, LoadBalancer: lb, TargetGroup: tg, Sessions: tl.sessions[key], Phases: []Phase{}}
	for _, p := range phases {
		m := r.steps[p.step]
		l.Phases = append(l.Phases, Phase{
			Name: p.name, Step: p.step, N: m.n, Failed: p.failed, Outage: p.name == "step" && m.outage,
			From: p.from.Sub(r.start), To: p.to.Sub(r.start), Stats: tl.stats(key, p),
		})
	}
	l.Verdict = r.verdict(key, l.Phases, localSessions(stack, tg))
	l.Worst = r.worst(key)
	t0, t1 := phases[0].from, phases[len(phases)-1].to
	l.Chart = tl.points(key, t0)
	l.Bars = tl.bars(key, t0, t1)
	return l
}
