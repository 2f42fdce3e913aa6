// Package engine carries out a plan against the cloud interfaces.
//
// It is a single-threaded scheduler of step state machines: every step that is ready starts,
// every waiting step is polled when due, and the engine sleeps on its Clock only when nothing
// is due. Waits therefore overlap (twenty launches take about as long as one) while the order
// of API calls stays deterministic, which the simulator's byte-identical output relies on.
// The engine acts only on a step's typed fields, never on its Reason; it never plans.
package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
)

// Options tune an apply. The zero value works against AWS.
type Options struct {
	Clock clock.Clock
	// Events receives progress as it happens; nil drops it.
	Events func(Event)
	// AfterPoll, when set, runs after every step advance (each API call or poll), e.g. to
	// sample the simulator's traffic model.
	AfterPoll func()
	// ProgressEvery is how often a waiting step reports that it is still waiting (default 30s).
	ProgressEvery time.Duration
	// StopAfter > 0 stops the run, as a crash would, right after that many steps completed.
	// Tests use it to prove that a re-run converges from any point.
	StopAfter int
	// Timeouts per kind of wait; zero values take the defaults below.
	Timeouts Timeouts
	// World is the world the plan was built from. When set, Apply runs plan.Check(World,
	// plan) before the first API call and refuses a plan that breaks an ordering invariant
	// (a saved plan edited by hand, or a planner bug), so nothing is done. The engine's own
	// structural checks (checkPlan) run regardless.
	World *cloud.World
}

// Timeouts bound each wait. A wait that runs out fails its step with ErrTimeout.
type Timeouts struct {
	ImageAvailable  time.Duration // default 60m: large volumes take long to snapshot
	InstanceRunning time.Duration // default 15m
	TargetHealthy   time.Duration // default 30m
	TargetDrained   time.Duration // default 65m: deregistration delay is at most 60m
	Propagation     time.Duration // default 5m: IAM profile and new-instance visibility
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&t.ImageAvailable, 60*time.Minute)
	def(&t.InstanceRunning, 15*time.Minute)
	def(&t.TargetHealthy, 30*time.Minute)
	def(&t.TargetDrained, 65*time.Minute)
	def(&t.Propagation, 5*time.Minute)
	return t
}

// ErrStopped is returned when Options.StopAfter stopped the run.
var ErrStopped = errors.New("apply stopped after the requested number of steps")

// ErrTimeout wraps a wait that ran out of time.
var ErrTimeout = errors.New("timed out")

// Result says what happened, step by step.
type Result struct {
	Done    []string `json:"done"`               // in completion order
	NotDone []string `json:"not_done,omitempty"` // in plan order: never started or abandoned mid-wait
	// Held are terminate steps a gate's rollback held (relaunch.go): their old member serves
	// again and TerminateInstances was never sent. Also in NotDone.
	Held     []string          `json:"held,omitempty"`
	Failed   string            `json:"failed,omitempty"`
	Outputs  map[string]string `json:"outputs"` // step ID -> the ID it produced (image, instance)
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished"`
}

// Elapsed is how long the apply took on its clock.
func (r *Result) Elapsed() time.Duration { return r.Finished.Sub(r.Started) }

type status int

const (
	pending status = iota
	running
	done
	failed
)

type task struct {
	step     *plan.Step
	status   status
	action   action
	due      time.Time // when to advance next
	started  time.Time
	reported time.Time // last "still waiting" event
	delay    time.Duration
	output   string
	waiting  string // what the step last said it waits for
	// retrySince is when the current run of transient errors began (zero: none).
	retrySince time.Time
	retried    bool
	// wakeAt, when set by an action, is when the step is next due if that is sooner than
	// the poll backoff (a fixed wait ends on time, not up to a backoff later).
	wakeAt time.Time
	// fresh: what the step's calls name was created by this apply moments ago (a new
	// instance, image), so "not found" may be eventual consistency; see retry.go.
	fresh bool
	// profile is the step's IAM instance profile (name or ARN), and what IAM said of it.
	profile        string
	profileCreated time.Time
	profileMissing bool
	profileUnknown bool
	// probe, when set by a launch, says whether EC2 refuses the request without its profile
	// too (see withoutProfile); retry asks it once per run of InvalidParameterValue.
	probe         func(context.Context) bool
	othersRefused *bool
	// poll, when the step waits on a read shared by its kind (poll.go), names that read, and
	// want is when the step next wants it; set by the action at each advance.
	poll    pollKey
	want    time.Time
	wantFar bool
}

// action advances one step. It returns finished when the step is complete, otherwise the
// description of what it waits for; the engine calls it again after the backoff delay.
type action interface {
	advance(ctx context.Context, r *runner, t *task) (finished bool, waiting string, err error)
}

type runner struct {
	// round caches what was read during one pass over the due steps, so that many steps
	// waiting on the same target group or on many instances share one Describe call.
	round    *round
	api      cloud.API
	clock    clock.Clock
	opts     Options
	timeouts Timeouts
	tasks    []*task
	byID     map[string]*task
	result   *Result
	// held are old members a gate's rollback puts back in service: their terminate steps
	// wait (relaunch.go). By instance ID, the gate step's ID.
	held map[string]string
	// What the waits learn as the apply goes (poll.go): how long an instance of a kind was
	// still pending, each target group's health-check settings, when each target was
	// deregistered.
	pending        map[string]learned
	tgSettings     map[string]healthSettings
	deregisteredAt map[string]time.Time
}

// Apply executes p against api. It returns the Result even on error, so the caller can say
// what was done and what was not.
func Apply(ctx context.Context, p *plan.Plan, api cloud.API, opts Options) (*Result, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Wall{}
	}
	if opts.ProgressEvery == 0 {
		opts.ProgressEvery = 30 * time.Second
	}
	r := &runner{
		api: api, clock: opts.Clock, opts: opts, timeouts: opts.Timeouts.withDefaults(),
		byID:   map[string]*task{},
		result: &Result{Outputs: map[string]string{}, Started: opts.Clock.Now()},
	}
	if err := checkPlan(p, opts.World); err != nil {
		r.result.Finished = r.result.Started
		for _, s := range p.Steps {
			r.result.NotDone = append(r.result.NotDone, s.ID)
		}
		return r.result, err
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		a, err := actionFor(s)
		if err != nil {
			return r.result, err
		}
		t := &task{step: s, action: a}
		r.tasks = append(r.tasks, t)
		r.byID[s.ID] = t
	}
	err := r.run(ctx)
	r.result.Finished = r.clock.Now()
	for _, t := range r.tasks {
		if t.status == pending || t.status == running {
			r.result.NotDone = append(r.result.NotDone, t.step.ID)
			if a, ok := t.action.(*terminateInstance); ok && !a.sent && r.held[a.p.InstanceID] != "" {
				r.result.Held = append(r.result.Held, t.step.ID)
			}
		}
	}
	kind := EventSummary
	r.emit(Event{Type: kind, Elapsed: r.result.Elapsed(), Done: len(r.result.Done), NotDone: len(r.result.NotDone), Failed: r.result.Failed, Error: errString(err)})
	return r.result, err
}

// ErrInvalidPlan wraps a plan refused before the first API call.
var ErrInvalidPlan = errors.New("invalid plan")

// checkPlan refuses, before anything is done, a plan the engine could not carry out to the
// end: a malformed step graph (plan.Validate: duplicate IDs, unknown dependencies, cycles, a
// kind without its parameters), a kind the engine has no action for; then, given the world
// the plan was built from, whatever plan.Check finds.
func checkPlan(p *plan.Plan, w *cloud.World) error {
	var errs []error
	if err := plan.Validate(p); err != nil {
		errs = append(errs, err)
	}
	for i := range p.Steps {
		if _, err := actionFor(&p.Steps[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && w != nil {
		errs = append(errs, plan.Check(w, p)...)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w (%w): %w", ErrInvalidPlan, ErrRefused, errors.Join(errs...))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (r *runner) emit(e Event) {
	if r.opts.Events == nil {
		return
	}
	e.Time = r.clock.Now()
	if e.Elapsed == 0 && e.Type != EventSummary && e.Type != EventStarted {
		if t, ok := r.byID[e.Step]; ok {
			e.Elapsed = e.Time.Sub(t.started)
		}
	}
	r.opts.Events(e)
}

// interruptedError is a run stopped by its context: the user's Ctrl-C, SIGTERM or SIGHUP
// (cmd/albctl), or a deadline. It says so in the user's terms, not Go's "context canceled",
// and still unwraps to the context's error.
type interruptedError struct{ ctx error }

func (e interruptedError) Error() string {
	if errors.Is(e.ctx, context.DeadlineExceeded) {
		return "out of time: no new step was started"
	}
	return "interrupted: no new step was started"
}

func (e interruptedError) Unwrap() error { return e.ctx }

func interrupted(err error) error { return interruptedError{ctx: err} }

func (r *runner) run(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return interrupted(err)
		}
		r.startReady()
		if r.allDone() {
			return nil
		}
		r.round = &round{}
		r.align()
		now := r.clock.Now()
		var next time.Time
		for _, t := range r.tasks {
			if t.status != running {
				continue
			}
			if !t.due.After(now) {
				if err := r.advance(ctx, t); err != nil {
					return err
				}
				if r.opts.StopAfter > 0 && len(r.result.Done) >= r.opts.StopAfter {
					return ErrStopped
				}
				if err := ctx.Err(); err != nil {
					return interrupted(err)
				}
				if t.status != running {
					continue
				}
				// Its next poll counts too: sleeping past it would read late.
			}
			if next.IsZero() || t.due.Before(next) {
				next = t.due
			}
			// Wake up for progress reports too, so people see a steady cadence whatever
			// the poll backoff is.
			if t.waiting != "" {
				report := t.reported.Add(r.opts.ProgressEvery)
				if !report.After(now) {
					r.progress(t, now)
					report = t.reported.Add(r.opts.ProgressEvery)
				}
				if report.Before(next) {
					next = report // the next report, not only the next poll
				}
			}
		}
		if r.anyReady() || r.allDone() {
			continue
		}
		if next.IsZero() {
			// Nothing running and nothing can start: only possible if a dependency failed,
			// which returns earlier; guard against a planner bug anyway.
			if r.anyRunning() {
				continue
			}
			return errors.New("engine: steps left that can never start (dependency cycle or unknown dependency)")
		}
		if d := next.Sub(r.clock.Now()); d > 0 {
			if err := r.clock.Sleep(ctx, d); err != nil {
				return interrupted(err)
			}
		}
	}
}

func (r *runner) advance(ctx context.Context, t *task) error {
	// An API call in flight finishes even when the user interrupts: cancelling mid-request
	// would leave the outcome unknown.
	t.retried, t.poll = false, ""
	finished, waiting, err := t.action.advance(context.WithoutCancel(ctx), r, t)
	if r.opts.AfterPoll != nil {
		r.opts.AfterPoll()
	}
	now := r.clock.Now()
	if !t.retried {
		t.retrySince = time.Time{}
	}
	if err != nil {
		t.status = failed
		r.result.Failed = t.step.ID
		r.emit(Event{Type: EventFailed, Step: t.step.ID, Kind: string(t.step.Kind), Error: err.Error()})
		return fmt.Errorf("%s: %w", t.step.ID, err)
	}
	if finished {
		t.status = done
		r.result.Done = append(r.result.Done, t.step.ID)
		if t.output != "" {
			r.result.Outputs[t.step.ID] = t.output
		}
		r.emit(Event{Type: EventDone, Step: t.step.ID, Kind: string(t.step.Kind), Output: t.output})
		return nil
	}
	if t.poll != "" && !t.retried {
		t.due = pollDue(now, t.want, t.wantFar)
	} else {
		t.poll = "" // a retry backs off on its own, not with the other readers
		t.due = r.backoffWant(t)
	}
	if t.wakeAt.After(now) && t.wakeAt.Before(t.due) {
		t.due = t.wakeAt
	}
	t.waiting = waiting
	if now.Sub(t.reported) >= r.opts.ProgressEvery {
		r.progress(t, now)
	}
	return nil
}

// progress reports that t is still waiting, on the ProgressEvery grid since it started.
func (r *runner) progress(t *task, now time.Time) {
	for !t.reported.Add(r.opts.ProgressEvery).After(now) {
		t.reported = t.reported.Add(r.opts.ProgressEvery)
	}
	r.emit(Event{Type: EventWaiting, Step: t.step.ID, Kind: string(t.step.Kind), Message: t.waiting})
}

func (r *runner) startReady() {
	for _, t := range r.tasks {
		if t.status == pending && r.depsDone(t) {
			now := r.clock.Now()
			t.status, t.started, t.due, t.reported = running, now, now, now
			r.emit(Event{Type: EventStarted, Step: t.step.ID, Kind: string(t.step.Kind), Resource: t.step.Resource})
		}
	}
}

func (r *runner) depsDone(t *task) bool {
	for _, d := range t.step.DependsOn {
		dt, ok := r.byID[d]
		if ok && dt.status != done {
			return false
		}
	}
	return true
}

func (r *runner) anyReady() bool {
	return slices.ContainsFunc(r.tasks, func(t *task) bool { return t.status == pending && r.depsDone(t) })
}

func (r *runner) anyRunning() bool {
	return slices.ContainsFunc(r.tasks, func(t *task) bool { return t.status == running })
}

func (r *runner) allDone() bool {
	return !slices.ContainsFunc(r.tasks, func(t *task) bool { return t.status != done })
}

// due lists the running steps that will be advanced in the current pass, in plan order.
func (r *runner) due() []*task {
	now := r.clock.Now()
	var out []*task
	for _, t := range r.tasks {
		if t.status == running && !t.due.After(now) {
			out = append(out, t)
		}
	}
	return out
}

// output returns what an earlier step produced (an image or instance ID).
func (r *runner) output(stepID string) (string, error) {
	if v, ok := r.result.Outputs[stepID]; ok {
		return v, nil
	}
	return "", fmt.Errorf("step %s has produced no ID yet", stepID)
}

// timedOut reports whether t has waited longer than limit for what.
func (r *runner) timedOut(t *task, limit time.Duration, what string) error {
	return r.timedOutSince(t.started, limit, what)
}

// timedOutSince reports whether more than limit has passed since since, waiting for what.
func (r *runner) timedOutSince(since time.Time, limit time.Duration, what string) error {
	if r.clock.Now().Sub(since) > limit {
		return fmt.Errorf("%w after %s waiting for %s", ErrTimeout, limit, what)
	}
	return nil
}
