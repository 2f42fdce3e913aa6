package rehearse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
)

// A Recorder records, on the simulator, what clients experience during an apply: the
// routing model after every API call and poll of the engine (one entry each time some
// listener's shares change, so windows are as precise as the polls), and the client
// model's requests from a minute before the first step to five minutes after the last.
//
// Use: Record before the apply; give the engine Clock, Sample (AfterPoll) and Event; call
// Finish once the apply is over, then Report.
type Recorder struct {
	sim     *simulator.Sim
	start   time.Time
	last    map[string]simulator.Traffic
	entries []Change
	end     time.Time
	// timeline is every sample, before, during and after the apply, for the phases and
	// the chart; entries holds only the changes during the apply.
	timeline timeline
	// steps numbers each step as the plan does, so the table, the chart and the windows
	// speak of "step 2" as the plan does, and marks the outage steps.
	steps map[string]stepMark
}

type stepMark struct {
	n      int
	outage bool
}

// Change is a sample of the routing model in which some share of a listener changed.
type Change struct {
	At      time.Time
	Elapsed time.Duration // since the apply's start
	Traffic Traffic
}

// Traffic is one listener's shares in the routing model (the simulator's): apply -json
// prints it as it is, and the views need not import the simulator for it.
type Traffic = simulator.Traffic

// Record starts recording the clients of sim for the apply of p, which starts now.
func Record(sim *simulator.Sim, p *plan.Plan) *Recorder {
	r := &Recorder{sim: sim, start: sim.Clock().Now(), last: map[string]simulator.Traffic{}, steps: map[string]stepMark{}}
	for i, s := range p.Steps {
		r.steps[s.ID] = stepMark{n: i + 1, outage: strings.HasPrefix(s.Warning, "OUTAGE")}
	}
	r.timeline.origin = r.start
	r.timeline.start(sim)
	r.Sample()
	return r
}

// Sample records the routing model now: give it to the engine as AfterPoll.
func (r *Recorder) Sample() {
	now := r.sim.Clock().Now()
	traffic := r.sim.Traffic()
	r.timeline.add(now, traffic)
	if r.timeline.finished {
		return
	}
	r.end = now
	for _, t := range traffic {
		key := listenerKey(t)
		if prev, ok := r.last[key]; ok && prev == t {
			continue
		}
		r.last[key] = t
		r.entries = append(r.entries, Change{At: now, Elapsed: now.Sub(r.start), Traffic: t})
	}
}

// Event records when steps start and end: give it the engine's events.
func (r *Recorder) Event(e engine.Event) { r.timeline.event(e) }

// Clock is the simulator's clock, sampling the routing model every few seconds while it
// runs: give it to the engine.
func (r *Recorder) Clock() clock.Clock {
	return samplingClock{clock: r.sim.Clock(), origin: r.start, sample: r.Sample}
}

// Finish ends the apply's part of the record and watches clients for five minutes more.
func (r *Recorder) Finish(ctx context.Context) error {
	c := r.Clock()
	r.timeline.finish(c.Now())
	err := c.Sleep(ctx, afterWindow)
	r.Sample()
	r.timeline.stop(r.sim)
	if err != nil {
		return fmt.Errorf("traffic after the apply: %w", err)
	}
	return nil
}

// samplingClock is the simulator's clock, advanced in steps of sampleEvery (counted from
// origin) with a sample of the routing model at each, so the report of changes has no gaps
// however long a wait.
type samplingClock struct {
	clock  *simulator.Clock
	origin time.Time
	sample func()
}

var _ clock.Clock = samplingClock{}

func (c samplingClock) Now() time.Time { return c.clock.Now() }

func (c samplingClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for d > 0 {
		into := c.clock.Now().Sub(c.origin) % sampleEvery
		if into < 0 {
			into += sampleEvery
		}
		step := min(sampleEvery-into, d)
		c.clock.Advance(step)
		d -= step
		if c.clock.Now().Sub(c.origin)%sampleEvery == 0 {
			c.sample()
		}
	}
	return nil
}
