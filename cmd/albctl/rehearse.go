package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
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

// clientOptions size the client model of a run: requests every second, so that a phase's
// window is exact to the second, counted per second.
var clientOptions = simulator.ClientOptions{Every: time.Second, Bucket: time.Second}

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

// failureCodes are the columns of failed requests: connection errors (a node address that
// no longer answers, held from DNS), which have no HTTP status, apart from the load
// balancer's 5xx, then the app's own errors.
var failureCodes = []string{"conn errors", "502", "503", "504", "app errors"}

// clientStats is what clients of one listener saw over a window, as shares of requests.
type clientStats struct {
	Requests int // 0 for an instant, which reports the routing model's shares
	Served   float64
	// Codes are the shares of failed requests by failureCodes.
	Codes map[string]float64
	// SessionsLost is the share of served requests that reached a server without the
	// client's session, when sessions are local.
	SessionsLost float64
	Why          []string
}

// fromCounts turns the client model's counts into shares.
func fromCounts(c simulator.Counts) clientStats {
	return clientStats{
		Requests: c.Requests,
		Served:   c.Share(c.Served),
		Codes: map[string]float64{
			"conn errors": c.Share(c.ConnectionErrors),
			"502":         c.Share(c.Status502), "503": c.Share(c.Status503), "504": c.Share(c.Status504), "app errors": c.Share(c.TargetErrors),
		},
		SessionsLost: c.LostShare(),
		Why:          c.Why,
	}
}

// fromTraffic turns one sample of the routing model into the same shares: a request that
// reaches another server than the client's last loses a session kept on local disk.
func fromTraffic(t simulator.Traffic) clientStats {
	c := clientStats{Served: t.Served, Codes: map[string]float64{
		"502": t.Status502, "503": t.Status503, "504": t.Status504, "app errors": t.TargetErrors,
	}}
	if t.Why != "" {
		c.Why = []string{t.Why}
	}
	if t.Sessions == "local" {
		c.SessionsLost = t.SwitchServer
	}
	return c
}

func sum(a *simulator.Counts, b simulator.Counts) {
	a.Requests += b.Requests
	a.Served += b.Served
	a.ConnectionErrors += b.ConnectionErrors
	a.Status502 += b.Status502
	a.Status503 += b.Status503
	a.Status504 += b.Status504
	a.TargetErrors += b.TargetErrors
	a.SessionsLost += b.SessionsLost
	a.SessionsStarted += b.SessionsStarted
	for _, w := range b.Why {
		if !slices.Contains(a.Why, w) {
			a.Why = append(a.Why, w)
		}
	}
}

func listenerKey(t simulator.Traffic) string { return t.LoadBalancer + " -> " + t.TargetGroup }

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

// stats is what clients of key saw in phase p: the requests whose tick falls in it, or,
// for an instant step, the routing model's shares right after it.
func (tl *timeline) stats(key string, p phase) clientStats {
	if p.name == "step" && !p.to.After(p.from) {
		samples := tl.samples[:min(p.endSample, len(tl.samples))]
		for i := len(samples) - 1; i >= 0; i-- {
			for _, t := range samples[i].traffic {
				if listenerKey(t) == key {
					return fromTraffic(t)
				}
			}
		}
		return clientStats{Codes: map[string]float64{}}
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

// phase is a window of the timeline: before the first step, one step, after the last.
type phase struct {
	name      string // "before", "step", "after"
	step      string
	failed    bool
	from, to  time.Time
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

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

func offset(d time.Duration) string {
	d = round(d)
	if d < 0 {
		return "-" + (-d).String()
	}
	return d.String()
}

func (p phase) window(origin time.Time) string {
	if p.name == "step" && !p.to.After(p.from) {
		return "at " + offset(p.from.Sub(origin))
	}
	return offset(p.from.Sub(origin)) + " .. " + offset(p.to.Sub(origin))
}

// clientCount is the number of clients per listener the model runs (its default).
func clientCount() int {
	if clientOptions.Clients > 0 {
		return clientOptions.Clients
	}
	return 200
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
	Clients     int                   `json:"clients"`
	RequestEach time.Duration         `json:"request_every_ns"`
	Outcome     string                `json:"outcome"`
	Error       string                `json:"error,omitempty"`
	Elapsed     time.Duration         `json:"elapsed_ns"`
	Listeners   []trafficListenerJSON `json:"listeners"`
	// Assumptions are what a copy of an account assumed or left out (empty for a world
	// file, which is the simulator's own world).
	Assumptions []mirror.Assumption `json:"assumptions"`
}

type trafficListenerJSON struct {
	LoadBalancer string             `json:"load_balancer"`
	TargetGroup  string             `json:"target_group"`
	Sessions     string             `json:"sessions"`
	Phases       []trafficPhaseJSON `json:"phases"`
}

type trafficPhaseJSON struct {
	Phase        string        `json:"phase"`
	Step         string        `json:"step,omitempty"`
	Failed       bool          `json:"failed,omitempty"`
	From         time.Duration `json:"from_ns"`
	To           time.Duration `json:"to_ns"`
	Requests     int           `json:"requests"`
	Served       float64       `json:"served"`
	ConnErrors   float64       `json:"connection_errors"`
	Status502    float64       `json:"status_502"`
	Status503    float64       `json:"status_503"`
	Status504    float64       `json:"status_504"`
	AppErrors    float64       `json:"target_errors"`
	SessionsLost float64       `json:"sessions_lost"`
	Why          []string      `json:"why,omitempty"`
}

// share rounds a share to four decimals, so that JSON does not print float noise.
func share(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func (tl *timeline) listenersJSON() []trafficListenerJSON {
	out := []trafficListenerJSON{}
	for _, key := range tl.listeners() {
		lb, tg, _ := strings.Cut(key, " -> ")
		lj := trafficListenerJSON{LoadBalancer: lb, TargetGroup: tg, Sessions: tl.sessions[key], Phases: []trafficPhaseJSON{}}
		for _, p := range tl.phases() {
			st := tl.stats(key, p)
			lj.Phases = append(lj.Phases, trafficPhaseJSON{
				Phase: p.name, Step: p.step, Failed: p.failed, From: p.from.Sub(tl.origin), To: p.to.Sub(tl.origin),
				Requests: st.Requests, Served: share(st.Served), ConnErrors: share(st.Codes["conn errors"]),
				Status502: share(st.Codes["502"]), Status503: share(st.Codes["503"]), Status504: share(st.Codes["504"]), AppErrors: share(st.Codes["app errors"]),
				SessionsLost: share(st.SessionsLost), Why: st.Why,
			})
		}
		out = append(out, lj)
	}
	return out
}

// rehearsal is a plan run on a copy of the world.
type rehearsal struct {
	world string // what was copied, for people
	// assumptions are what the copy of an account assumed or left out (mirror.Snapshot).
	assumptions []mirror.Assumption
	seed        uint64
	faults      string
	log         *trafficLog
	res         *engine.Result
	err         error
	// unsimulated are the gates' alarms of the account the copy could not carry (rehearse_alarms.go).
	unsimulated []string
}

func (r *rehearsal) json() *trafficReportJSON {
	out := &trafficReportJSON{World: r.world, Seed: r.seed, Faults: r.faults, Clients: clientCount(), RequestEach: clientOptions.Every,
		Outcome: "complete", Elapsed: r.res.Elapsed(), Listeners: r.log.timeline.listenersJSON(),
		Assumptions: append([]mirror.Assumption{}, r.assumptions...)}
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
	if len(r.assumptions) > 0 {
		fmt.Fprintf(w, "The copy is not the account: it assumed or left out %d things (docs/simulator.md, \"Snapshot\"):\n", len(r.assumptions))
		for _, a := range r.assumptions {
			fmt.Fprintf(w, "  - %s\n", a)
		}
	}
	if len(r.unsimulated) > 0 {
		fmt.Fprintf(w, "Alarms the rehearsal cannot evaluate (their gates trip on the copy): %s\n", strings.Join(r.unsimulated, ", "))
	}
	if r.err != nil {
		fmt.Fprintf(w, "The plan stopped after %s simulated: %v\n", round(r.res.Elapsed()), r.err)
	} else {
		fmt.Fprintf(w, "The plan ran to the end in %s simulated.\n", round(r.res.Elapsed()))
	}
	r.log.write(w, stack)
}

// rehearseWorld returns the world a rehearsal copies: the simulator's own, or a read-only
// snapshot of the AWS account (Describe and List calls only) with what the snapshot assumed.
func (m *Main) rehearseWorld(ctx context.Context, be *backend.Backend) (*simulator.World, string, []mirror.Assumption, error) {
	if be.Sim != nil {
		return be.Sim.World(), be.Header, nil, nil
	}
	c := be.Clients
	w, notes, err := mirror.Snapshot(ctx, mirror.SnapshotAPI{
		EC2: c.EC2, ELBV2: c.ELBV2, IAM: c.IAM, STS: c.STS,
	}, be.Region)
	if err != nil {
		return nil, "", nil, fmt.Errorf("rehearse: %w", err)
	}
	return w, fmt.Sprintf("a snapshot of %s, with %d assumptions", be.Header, len(notes)), notes, nil
}

// rehearse runs p on a copy of the world be observed, with faults, and records the traffic.
func (m *Main) rehearse(ctx context.Context, be *backend.Backend, p *plan.Plan, t targetFlags) (*rehearsal, error) {
	w, what, notes, err := m.rehearseWorld(ctx, be)
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
	// A rehearsal runs an apply: it retries as apply would.
	mode, err := retryMode(t, true)
	if err != nil {
		return nil, err
	}
	r := &rehearsal{world: what, assumptions: notes, seed: w.Seed, faults: t.faults}
	if be.Sim == nil {
		// The account's alarms the gates watch, so the copy judges them on its own metrics.
		w.Alarms, r.unsimulated, err = mirrorAlarms(ctx, be.Clients.CW, p)
		if err != nil {
			return nil, fmt.Errorf("rehearse: %w", err)
		}
	}
	sim := simulator.New(w, opts...)
	api := backend.Retrying(sim, r.seed, mode, t.maxAttempts)
	r.log = newTrafficLog(sim, p)
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
	err := clock.Sleep(ctx, afterWindow)
	l.sample()
	l.timeline.stop(l.sim)
	if err != nil {
		return fmt.Errorf("traffic after the apply: %w", err)
	}
	return nil
}

// loadFaults reads a faults file (docs/simulator.md, "Faults").
func loadFaults(path string) (simulator.Faults, error) {
	f, err := simulator.LoadFaults(path)
	if err != nil {
		return f, fmt.Errorf("--faults: %w", err)
	}
	return f, nil
}

var errChartNeedsSim = errors.New("-traffic-chart draws simulated traffic: it needs the simulator, or plan -rehearse")
