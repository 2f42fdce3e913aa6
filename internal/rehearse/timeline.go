package rehearse

import (
	"slices"
	"time"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/simulator"
)

const (
	// sampleEvery is the spacing of traffic samples while the clock runs; the engine's
	// API calls add samples in between, so a change made by a call shows at once.
	sampleEvery = 5 * time.Second
	// beforeWindow is how long clients are watched before the first step: a DNS TTL.
	beforeWindow = time.Minute
	// afterWindow is how long they are watched after the last step: long enough for a
	// DNS TTL and several health-check intervals to pass.
	afterWindow = 5 * time.Minute
)

// clientOptions size the client model of a run: requests every second, so that a phase's
// window is exact to the second, counted per second.
var clientOptions = simulator.ClientOptions{Every: time.Second, Bucket: time.Second}

// clientCount is the number of clients per listener the model runs (its default).
func clientCount() int {
	if clientOptions.Clients > 0 {
		return clientOptions.Clients
	}
	return 200
}

// timeline is what clients saw during a run, and when each step ran. Phases are counted
// from the simulator's request-level client model (DNS caching, stickiness cookies,
// sessions); an instant step, in which no request falls, reports the routing model's
// shares right after it (samples).
type timeline struct {
	origin  time.Time // the apply's start: offsets count from here
	samples []timelineSample
	steps   []stepSpan
	// finished is set once the apply is over: later samples are the after window.
	finished bool
	end      time.Time
	clients  *simulator.Clients
	// intervals are the client model's counts per second by listener, in time order: the
	// before window (from a copy, shifted to end at origin), then the run.
	intervals map[string][]simulator.Interval
	sessions  map[string]string // by listener: local or shared
}

type timelineSample struct {
	at      time.Time
	traffic []simulator.Traffic
}

type stepSpan struct {
	id         string
	start, end time.Time
	// endSample is how many samples were taken when the step ended: the last of them is
	// the state right after its final call, which an instant step reports.
	endSample int
	ended     bool
	failed    bool
}

func (tl *timeline) add(at time.Time, traffic []simulator.Traffic) {
	tl.samples = append(tl.samples, timelineSample{at: at, traffic: traffic})
}

// event records when steps start and end, from the engine's events.
func (tl *timeline) event(e engine.Event) {
	switch e.Type {
	case engine.EventStarted:
		tl.steps = append(tl.steps, stepSpan{id: e.Step, start: e.Time})
	case engine.EventDone, engine.EventFailed:
		for i := range tl.steps {
			if s := &tl.steps[i]; s.id == e.Step && !s.ended {
				s.end, s.ended, s.failed = e.Time, true, e.Type == engine.EventFailed
				s.endSample = len(tl.samples)
			}
		}
	}
}

// finish marks the end of the apply; steps still open (a stopped apply) end here.
func (tl *timeline) finish(at time.Time) {
	tl.finished, tl.end = true, at
	for i := range tl.steps {
		if !tl.steps[i].ended {
			tl.steps[i].end, tl.steps[i].endSample = at, len(tl.samples)
		}
	}
}

// start records what clients see for beforeWindow up to now on a copy of the world —
// nothing changes a world at rest but time, so the minute ahead of a copy is the minute
// before, and the world itself is not moved — then starts the clients of sim.
func (tl *timeline) start(sim *simulator.Sim) {
	tl.intervals, tl.sessions = map[string][]simulator.Interval{}, map[string]string{}
	cp := simulator.New(sim.World())
	c := cp.StartClients(clientOptions)
	cp.Clock().Advance(beforeWindow)
	tl.collect(c.Report(), -beforeWindow)
	tl.clients = sim.StartClients(clientOptions)
}

// collect adds the intervals of a client report, shifted by shift, that end by the
// report's end (the tick at the very end belongs to what comes next).
func (tl *timeline) collect(r simulator.Report, shift time.Duration) {
	for _, l := range r.Listeners {
		key := l.LoadBalancer + " -> " + l.TargetGroup
		tl.sessions[key] = l.Sessions
		for _, iv := range l.Intervals {
			if shift != 0 && !iv.Start.Before(r.End) {
				continue
			}
			iv.Start, iv.End = iv.Start.Add(shift), iv.End.Add(shift)
			tl.intervals[key] = append(tl.intervals[key], iv)
		}
	}
}

// stop stops the clients and keeps what they saw.
func (tl *timeline) stop(sim *simulator.Sim) {
	if tl.clients == nil {
		return
	}
	tl.collect(tl.clients.Report(), 0)
	sim.StopClients()
	tl.clients = nil
}

// listeners returns the listeners clients used, sorted.
func (tl *timeline) listeners() []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range tl.intervals {
			if !yield(k) {
				return
			}
		}
	})
}

// phase is a window of the timeline: before the first step, one step, after the last.
type phase struct {
	name      string // "before", "step", "after"
	step      string
	failed    bool
	from, to  time.Time
	endSample int
}

func (p phase) instant() bool { return p.name == "step" && !p.to.After(p.from) }

func (tl *timeline) phases() []phase {
	out := []phase{{name: "before", from: tl.origin.Add(-beforeWindow), to: tl.origin}}
	for _, s := range tl.steps {
		out = append(out, phase{name: "step", step: s.id, failed: s.failed, from: s.start, to: s.end, endSample: s.endSample})
	}
	last := tl.end
	for _, ivs := range tl.intervals {
		if n := len(ivs); n > 0 && ivs[n-1].End.After(last) {
			last = ivs[n-1].End
		}
	}
	return append(out, phase{name: "after", from: tl.end, to: last})
}

// stats is what clients of key saw in phase p: the requests whose tick falls in it, or,
// for an instant step, the routing model's shares right after it.
func (tl *timeline) stats(key string, p phase) Stats {
	if p.instant() {
		samples := tl.samples[:min(p.endSample, len(tl.samples))]
		for i := len(samples) - 1; i >= 0; i-- {
			for _, t := range samples[i].traffic {
				if listenerKey(t) == key {
					return fromTraffic(t)
				}
			}
		}
		return Stats{}
	}
	var c simulator.Counts
	for _, iv := range tl.intervals[key] {
		if !iv.Start.Before(p.from) && (iv.Start.Before(p.to) || p.name == "after") {
			sum(&c, iv.Counts)
		}
	}
	slices.Sort(c.Why)
	return fromCounts(c)
}
