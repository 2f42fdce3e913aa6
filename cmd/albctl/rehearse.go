package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/albctl/albctl/cloud"
	"github.com/albctl/albctl/engine"
	"github.com/albctl/albctl/mirror"
	"github.com/albctl/albctl/plan"
	"github.com/albctl/albctl/simulator"
	"github.com/albctl/albctl/specs"
)

// A rehearsal runs a plan on a copy of the observed world (the simulator's world, or a
// read-only snapshot of the AWS account) and reports what clients would see before, during
// and after each step (docs/simulator.md, "Rehearsal"). apply on the simulator records the
// same timeline while it runs.

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

// timeline is every traffic sample of a run, and when each step ran.
type timeline struct {
	origin  time.Time // the apply's start: offsets count from here
	samples []timelineSample
	steps   []stepSpan
	// finished is set once the apply is over: later samples are the after window.
	finished bool
	end      time.Time
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

// steadyBefore records what clients see for beforeWindow up to the start, on a copy of the
// world: nothing changes a world at rest but time, so the minute ahead of a copy is the
// minute before, and the world itself is not moved.
func (tl *timeline) steadyBefore(sim *simulator.Sim) {
	cp := simulator.New(sim.World())
	start := cp.Clock().Now()
	for d := time.Duration(0); d < beforeWindow; d += sampleEvery {
		tl.add(start.Add(d-beforeWindow), cp.Traffic())
		cp.Clock().Advance(sampleEvery)
	}
}

// samplingClock is the simulator's clock, advanced in steps of sampleEvery (counted from
// origin) with a traffic sample at each, so the timeline has no gaps however long a wait.
type samplingClock struct {
	clock  *simulator.Clock
	origin time.Time
	sample func()
}

var _ engine.Clock = samplingClock{}

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

// clientStats is what clients of one listener saw over a window, as shares of requests.
type clientStats struct {
	Served float64
	// Codes are the shares of failed requests by what the client got. The traffic model
	// reports one failed share today, under "5xx".
	Codes        map[string]float64
	SessionsLost float64
	Why          string
}

// seen turns one sample of the model into what clients see. A request that reaches another
// server than the client's last one loses the session when sessions live on local disk.
func seen(t simulator.Traffic, local bool) clientStats {
	c := clientStats{Served: t.Served, Codes: map[string]float64{}}
	if t.Failed > 0 {
		c.Codes["5xx"] = t.Failed
		c.Why = t.Why
	}
	if local {
		c.SessionsLost = t.SwitchServer * t.Served
	}
	return c
}

func listenerKey(t simulator.Traffic) string { return t.LoadBalancer + " -> " + t.TargetGroup }

// listeners returns the listeners seen in the timeline, sorted.
func (tl *timeline) listeners() []simulator.Traffic {
	seenKeys := map[string]bool{}
	var out []simulator.Traffic
	for _, s := range tl.samples {
		for _, t := range s.traffic {
			if k := listenerKey(t); !seenKeys[k] {
				seenKeys[k] = true
				out = append(out, simulator.Traffic{LoadBalancer: t.LoadBalancer, TargetGroup: t.TargetGroup})
			}
		}
	}
	slices.SortFunc(out, func(a, b simulator.Traffic) int { return strings.Compare(listenerKey(a), listenerKey(b)) })
	return out
}

// series returns the first n samples of one listener (all for n < 0): each holds from its
// time to the next one's.
func (tl *timeline) series(key string, n int) []trafficEntry {
	var out []trafficEntry
	samples := tl.samples
	if n >= 0 && n < len(samples) {
		samples = samples[:n]
	}
	for _, s := range samples {
		for _, t := range s.traffic {
			if listenerKey(t) == key {
				out = append(out, trafficEntry{at: s.at, t: t})
			}
		}
	}
	return out
}

// stats averages what clients of key saw over [from, to], weighting each sample by how long
// it held. An empty window (an instant step) reports the state right after it.
func (tl *timeline) stats(key string, p phase, local bool) clientStats {
	from, to := p.from, p.to
	out := clientStats{Codes: map[string]float64{}}
	if !to.After(from) {
		ser := tl.series(key, p.endSample)
		for i := len(ser) - 1; i >= 0; i-- {
			if !ser[i].at.After(from) {
				return seen(ser[i].t, local)
			}
		}
		return out
	}
	ser := tl.series(key, -1)
	var total time.Duration
	for i, e := range ser {
		until := to
		if i+1 < len(ser) {
			until = ser[i+1].at
		}
		a, b := maxTime(e.at, from), minTime(until, to)
		if !b.After(a) {
			continue
		}
		w := b.Sub(a)
		total += w
		c := seen(e.t, local)
		out.Served += c.Served * float64(w)
		out.SessionsLost += c.SessionsLost * float64(w)
		for code, v := range c.Codes {
			out.Codes[code] += v * float64(w)
		}
		if out.Why == "" {
			out.Why = c.Why
		}
	}
	if total == 0 {
		return out
	}
	out.Served /= float64(total)
	out.SessionsLost /= float64(total)
	for code := range out.Codes {
		out.Codes[code] /= float64(total)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// phase is a window of the timeline: before the first step, one step, after the last.
type phase struct {
	name     string // "before", "step", "after"
	step     string
	failed   bool
	from, to time.Time
	// endSample bounds the samples an instant phase may read (-1: all).
	endSample int
}

func (p phase) label() string {
	switch p.name {
	case "before":
		return "before the first step"
	case "after":
		return "after the last step"
	}
	if p.failed {
		return p.step + " (failed)"
	}
	return p.step
}

func (tl *timeline) phases() []phase {
	if len(tl.samples) == 0 {
		return nil
	}
	out := []phase{{name: "before", from: tl.samples[0].at, to: tl.origin, endSample: -1}}
	for _, s := range tl.steps {
		out = append(out, phase{name: "step", step: s.id, failed: s.failed, from: s.start, to: s.end, endSample: s.endSample})
	}
	last := tl.samples[len(tl.samples)-1].at
	return append(out, phase{name: "after", from: tl.end, to: last, endSample: -1})
}

// codes returns the failure codes that occur in any phase of any listener, sorted.
func (tl *timeline) codes() []string {
	set := map[string]bool{}
	for _, s := range tl.samples {
		for _, t := range s.traffic {
			for c := range seen(t, false).Codes {
				set[c] = true
			}
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for c := range set {
			if !yield(c) {
				return
			}
		}
	})
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

func offset(d time.Duration) string {
	d = round(d)
	if d < 0 {
		return "-" + (-d).String()
	}
	return d.String()
}

// writePhases prints, per listener, what clients saw in each phase.
func (tl *timeline) writePhases(w io.Writer, stack *specs.Stack) {
	if len(tl.samples) == 0 || !tl.finished {
		return
	}
	codes := tl.codes()
	for _, l := range tl.listeners() {
		key := listenerKey(l)
		local := localSessions(stack, l.TargetGroup)
		note := "sessions are shared, so none are lost"
		if local {
			note = "a session is lost when a request reaches a server without it: sessions are local"
		}
		fmt.Fprintf(w, "\nWhat clients see, by phase: %s (time-weighted shares of requests, sampled every %s; %s):\n", key, sampleEvery, note)
		rows := [][]string{append(append([]string{"phase", "window", "served"}, codes...), "sessions lost")}
		for _, p := range tl.phases() {
			st := tl.stats(key, p, local)
			row := []string{p.label(), offset(p.from.Sub(tl.origin)) + " .. " + offset(p.to.Sub(tl.origin)), pct(st.Served)}
			for _, c := range codes {
				row = append(row, pct(st.Codes[c]))
			}
			rows = append(rows, append(row, pct(st.SessionsLost)))
		}
		writeTable(w, rows, 2)
	}
}

// writeTable prints rows in columns, indented by two spaces: the first left columns
// left-aligned, the others (numbers) right-aligned.
func writeTable(w io.Writer, rows [][]string, left int) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(" ")
		for i, c := range r {
			b.WriteString(" ")
			if i < left {
				fmt.Fprintf(&b, "%-*s", widths[i], c)
			} else {
				fmt.Fprintf(&b, "%*s", widths[i], c)
			}
			if i < len(r)-1 {
				b.WriteString(" ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// trafficReportJSON is the `rehearsal` object of plan -json (docs/plan-json.md).
type trafficReportJSON struct {
	World       string                `json:"world"`
	Seed        uint64                `json:"seed"`
	Faults      string                `json:"faults,omitempty"`
	SampleEvery time.Duration         `json:"sample_every_ns"`
	Outcome     string                `json:"outcome"`
	Error       string                `json:"error,omitempty"`
	Elapsed     time.Duration         `json:"elapsed_ns"`
	Listeners   []trafficListenerJSON `json:"listeners"`
}

type trafficListenerJSON struct {
	LoadBalancer  string             `json:"load_balancer"`
	TargetGroup   string             `json:"target_group"`
	LocalSessions bool               `json:"local_sessions"`
	Phases        []trafficPhaseJSON `json:"phases"`
}

type trafficPhaseJSON struct {
	Phase        string             `json:"phase"`
	Step         string             `json:"step,omitempty"`
	Failed       bool               `json:"failed,omitempty"`
	From         time.Duration      `json:"from_ns"`
	To           time.Duration      `json:"to_ns"`
	Served       float64            `json:"served"`
	Codes        map[string]float64 `json:"codes"`
	SessionsLost float64            `json:"sessions_lost"`
	Why          string             `json:"why,omitempty"`
}

// share rounds a share to four decimals, so that JSON does not print float noise.
func share(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func (tl *timeline) listenersJSON(stack *specs.Stack) []trafficListenerJSON {
	out := []trafficListenerJSON{}
	for _, l := range tl.listeners() {
		key := listenerKey(l)
		lj := trafficListenerJSON{LoadBalancer: l.LoadBalancer, TargetGroup: l.TargetGroup, LocalSessions: localSessions(stack, l.TargetGroup)}
		for _, p := range tl.phases() {
			st := tl.stats(key, p, lj.LocalSessions)
			pj := trafficPhaseJSON{Phase: p.name, Step: p.step, Failed: p.failed, From: p.from.Sub(tl.origin), To: p.to.Sub(tl.origin),
				Served: share(st.Served), Codes: map[string]float64{}, SessionsLost: share(st.SessionsLost), Why: st.Why}
			for c, v := range st.Codes {
				pj.Codes[c] = share(v)
			}
			lj.Phases = append(lj.Phases, pj)
		}
		out = append(out, lj)
	}
	return out
}

// rehearsal is a plan run on a copy of the world.
type rehearsal struct {
	world  string // what was copied, for people
	seed   uint64
	faults string
	log    *trafficLog
	res    *engine.Result
	err    error
}

func (r *rehearsal) json(stack *specs.Stack) *trafficReportJSON {
	out := &trafficReportJSON{World: r.world, Seed: r.seed, Faults: r.faults, SampleEvery: sampleEvery, Outcome: "complete",
		Elapsed: r.res.Elapsed(), Listeners: r.log.timeline.listenersJSON(stack)}
	if r.err != nil {
		out.Outcome, out.Error = "stopped", r.err.Error()
	}
	return out
}

func (r *rehearsal) write(w io.Writer, stack *specs.Stack) {
	fmt.Fprintf(w, "\nRehearsal on a copy of %s (nothing is written back; seed %d", r.world, r.seed)
	if r.faults != "" {
		fmt.Fprintf(w, ", faults from %s", r.faults)
	}
	fmt.Fprintln(w, "):")
	if r.err != nil {
		fmt.Fprintf(w, "The plan stopped after %s simulated: %v\n", round(r.res.Elapsed()), r.err)
	} else {
		fmt.Fprintf(w, "The plan ran to the end in %s simulated.\n", round(r.res.Elapsed()))
	}
	r.log.write(w, stack)
}

// rehearseWorld returns the world a rehearsal copies: the simulator's own, or a read-only
// snapshot of the AWS account (Describe and List calls only).
func (m *Main) rehearseWorld(ctx context.Context, be *backend) (*simulator.World, string, error) {
	if be.sim != nil {
		return be.sim.World(), be.header, nil
	}
	cfg := be.awsConfig
	w, err := mirror.Snapshot(ctx, mirror.SnapshotAPI{
		EC2: ec2.NewFromConfig(cfg), ELBV2: elbv2.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg),
	}, cfg.Region)
	if err != nil {
		return nil, "", fmt.Errorf("rehearse: %w", err)
	}
	return w, "a snapshot of " + be.header, nil
}

// rehearse runs p on a copy of the world be observed, with faults, and records the traffic.
func (m *Main) rehearse(ctx context.Context, be *backend, p *plan.Plan, t targetFlags) (*rehearsal, error) {
	w, what, err := m.rehearseWorld(ctx, be)
	if err != nil {
		return nil, err
	}
	var opts []simulator.Option
	if t.faults != "" {
		f, err := loadFaults(t.faults)
		if err != nil {
			return nil, err
		}
		opts = append(opts, simulator.WithFaults(f))
	}
	r := &rehearsal{world: what, seed: w.Seed, faults: t.faults}
	sim := simulator.New(w, opts...)
	api := retrying(sim, r.seed, t.maxAttempts)
	r.log = newTrafficLog(sim)
	clock := samplingClock{clock: sim.Clock(), origin: r.log.start, sample: r.log.sample}
	r.res, r.err = engine.Apply(ctx, p, api, engine.Options{
		Clock:     clock,
		AfterPoll: r.log.sample,
		Events:    r.log.timeline.event,
	})
	if err := r.log.after(ctx, clock); err != nil {
		return nil, err
	}
	return r, nil
}

// after ends the apply's part of the log and watches clients for afterWindow more.
func (l *trafficLog) after(ctx context.Context, clock samplingClock) error {
	l.timeline.finish(clock.Now())
	if err := clock.Sleep(ctx, afterWindow); err != nil {
		return fmt.Errorf("traffic after the apply: %w", err)
	}
	l.sample()
	return nil
}

// retrying puts the SDK standard retryer's policy in front of the simulator, as the SDK
// does in front of AWS; maxAttempts is --max-attempts (0: the SDK's default).
func retrying(sim *simulator.Sim, seed uint64, maxAttempts int) cloud.API {
	r := cloud.NewRetrier(sim.Clock(), cloud.RetryPolicy{MaxAttempts: maxAttempts, Seed: seed})
	return r.Wrap(cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()})
}

// loadFaults reads a faults file: the JSON of a world file's "faults" object.
func loadFaults(path string) (simulator.Faults, error) {
	var f simulator.Faults
	data, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("--faults: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("--faults %s: %w", path, err)
	}
	for op, n := range f.Throttle {
		if n < 0 {
			return f, fmt.Errorf("--faults %s: throttle.%s is %d; a count cannot be negative", path, op, n)
		}
	}
	return f, nil
}

var errChartNeedsSim = errors.New("-traffic-chart draws simulated traffic: it needs the simulator, or plan -rehearse")

// withFaults puts the faults of --faults FILE into the simulator, keeping the world file's
// own to write back: faults given on the command line are not saved into the world.
func (b *backend) withFaults(path string) error {
	if path == "" || b.sim == nil {
		return nil
	}
	f, err := loadFaults(path)
	if err != nil {
		return err
	}
	w := b.sim.World()
	b.faults, b.worldFaults = path, w.Faults
	w.Faults = f
	b.sim = simulator.New(w)
	b.clock = b.sim.Clock()
	return nil
}
