package engine

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/plan"
)

// Waiting steps of one kind share one read per cycle: every step waiting on an instance's
// state, one DescribeInstances; on an image, one DescribeImages; on a target group's health,
// one DescribeTargetHealth of that group. Each waiting step says which read it waits on and
// when it next wants it (its own schedule, from what it knows of the thing it waits for); all
// the steps on one read are then due at the earliest of their wishes, so the read is made
// once for all of them and the cadence follows the most pressing step without costing a call
// per step. Why the schedules are what they are: docs/design.md, "Polling".

// pollKey names a shared read.
type pollKey string

const (
	pollInstances pollKey = "instances"
	pollImages    pollKey = "images"
)

// pollHealth is the read of one target group's health.
func pollHealth(tgARN string) pollKey { return pollKey("health " + tgARN) }

const (
	// firstPoll is the first delay of a wait that knows nothing better, and the cadence
	// while a state is about to change (a target's registration, an instance shutting down).
	firstPoll = 5 * time.Second
	// maxPoll bounds the time between two reads of anything waited on, as the backoff always
	// did: timeouts and unexpected changes are seen within it.
	maxPoll = 30 * time.Second
	// instanceFirst is when a new instance is first read, when no instance of its type and
	// image has been seen running yet in this apply: the minimum delay of the SDK's
	// InstanceRunning waiter (EC2 documents no pending time; an earlier read would rarely
	// find it running). Then every instanceCadence.
	instanceFirst   = 15 * time.Second
	instanceCadence = 10 * time.Second
	// imageCadence bounds the time between two reads of an image being made (minutes long).
	imageCadence = 15 * time.Second
)

// waitOn says that t waits on key's read and wants it next at (or before) at, at most maxPoll
// from now; the engine makes t due then, or earlier when another step on the same read is due
// earlier.
func (r *runner) waitOn(t *task, key pollKey, at time.Time) {
	t.poll, t.want, t.wantFar = key, at, false
}

// waitUntil is waitOn for a wait that knows nothing can change before at, however far.
func (r *runner) waitUntil(t *task, key pollKey, at time.Time, far bool) {
	t.poll, t.want, t.wantFar = key, at, far
}

// backoffWant is the poll backoff as a wish: 5 s, then half as long again each time, up to
// maxPoll; for waits with nothing better to go on.
func (r *runner) backoffWant(t *task) time.Time {
	d := firstPoll
	if t.delay != 0 {
		d = min(t.delay*3/2, maxPoll)
	}
	t.delay = d
	return r.clock.Now().Add(d)
}

// pollDue is when a step that waits on a shared read is next due: its wish, within
// (now, now+maxPoll] unless far.
func pollDue(now, want time.Time, far bool) time.Time {
	if !want.After(now) {
		return now.Add(firstPoll)
	}
	if limit := now.Add(maxPoll); want.After(limit) && !far {
		return limit
	}
	return want
}

// align makes every running step that waits on the same read due at the earliest time any
// of them is: one read serves them all.
func (r *runner) align() {
	tick := map[pollKey]time.Time{}
	for _, t := range r.tasks {
		if t.status == running && t.poll != "" {
			if at, ok := tick[t.poll]; !ok || t.due.Before(at) {
				tick[t.poll] = t.due
			}
		}
	}
	for _, t := range r.tasks {
		if t.status == running && t.poll != "" {
			t.due = tick[t.poll]
		}
	}
}

// terminating is the kind under which pendingSeen and runningWant keep how long a terminated
// instance stays shutting-down.
const terminating = "shutting-down"

// launchKind groups launches that should take about as long to run: the same instance type
// from the same image.
func launchKind(p *plan.LaunchParams, imageID string) string { return p.InstanceType + " " + imageID }

// pendingSeen records that an instance of kind, now running, was still pending d after its
// launch (its last read before running): instances of that kind launched from now on are first
// read that long after their launch. The shortest such d of the apply is kept.
func (r *runner) pendingSeen(kind string, d time.Duration) {
	if r.pending == nil {
		r.pending = map[string]learned{}
	}
	if old, ok := r.pending[kind]; !ok || d < old.d {
		r.pending[kind] = learned{d: d, at: r.clock.Now()}
	}
}

// learned is a duration learned at a time.
type learned struct {
	d  time.Duration
	at time.Time
}

// runningWant is when an instance launched at launched, still pending, is next read. When an
// instance of its kind launched earlier has been seen running, from when that one was last seen
// pending, every firstPoll; otherwise at instanceFirst and then every instanceCadence (a launch
// already waiting keeps that schedule: its reads are shared with the others of its wave).
func (r *runner) runningWant(kind string, launched time.Time) time.Time {
	now := r.clock.Now()
	first, every := instanceFirst, instanceCadence
	if l, ok := r.pending[kind]; ok && !launched.Before(l.at) {
		first, every = max(l.d, firstPoll), firstPoll
	}
	at := launched.Add(first)
	if at.After(now) {
		return at
	}
	return now.Add(every)
}

// healthSettings are what a target group's health wait needs to know of it.
type healthSettings struct {
	interval time.Duration // between two checks of a target
	drain    time.Duration // deregistration delay; 0: not known
}

// settings returns tgARN's health-check interval and deregistration delay: a
// modify_health_check step of the plan gives the interval it sets; else the world the plan
// was built from; else one DescribeTargetGroups per target group and apply.
func (r *runner) settings(ctx context.Context, tgARN string) healthSettings {
	if s, ok := r.tgSettings[tgARN]; ok {
		return s
	}
	s := healthSettings{}
	if r.opts.World != nil {
		for _, tg := range r.opts.World.TargetGroups {
			if tg.ARN == tgARN {
				s.interval = time.Duration(tg.HealthCheck.IntervalSeconds) * time.Second
				if v, err := strconv.Atoi(tg.Attributes["deregistration_delay.timeout_seconds"]); err == nil {
					s.drain = time.Duration(v) * time.Second
				}
			}
		}
	}
	for _, t := range r.tasks {
		if m, ok := t.action.(*modifyHealthCheck); ok && m.p.TargetGroupARN == tgARN && m.p.IntervalSeconds != nil {
			s.interval = time.Duration(*m.p.IntervalSeconds) * time.Second
		}
	}
	if s.interval == 0 {
		out, err := r.api.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{tgARN}})
		if err != nil || len(out.TargetGroups) != 1 {
			return healthSettings{} // asked again at the next wait; meanwhile the backoff
		}
		s.interval = time.Duration(aws.ToInt32(out.TargetGroups[0].HealthCheckIntervalSeconds)) * time.Second
	}
	if r.tgSettings == nil {
		r.tgSettings = map[string]healthSettings{}
	}
	r.tgSettings[tgARN] = s
	return s
}

// checkWant is when a target whose health checks began (as first seen) at from is next read:
// at the next check, from + k x interval, the only times its health can change.
func checkWant(now, from time.Time, interval time.Duration) time.Time {
	if interval <= 0 {
		return now.Add(firstPoll)
	}
	k := now.Sub(from)/interval + 1
	return from.Add(k * interval)
}

// deregistered records when ELB accepted the deregistration of a target, so that the step
// waiting for its draining reads the group when the deregistration delay runs out.
func (r *runner) deregistered(tgARN, id string, port int32) {
	if r.deregisteredAt == nil {
		r.deregisteredAt = map[string]time.Time{}
	}
	r.deregisteredAt[tgARN+" "+targetKey(id, port)] = r.clock.Now()
}

// drainWant is when a draining target is next read, and whether that may be beyond maxPoll.
// ELB shows a deregistered target as draining until its deregistration delay runs out, even
// when it has finished sooner (no requests in flight): so when the engine deregistered it and
// knows the delay, the one read worth making is when the delay runs out, then every firstPoll.
// Otherwise it is read every maxPoll.
func (r *runner) drainWant(ctx context.Context, tgARN, id string, port int32) (time.Time, bool) {
	now := r.clock.Now()
	since, ok := r.deregisteredAt[tgARN+" "+targetKey(id, port)]
	if !ok {
		return now.Add(maxPoll), false
	}
	d := r.settings(ctx, tgARN).drain
	switch {
	case d <= 0:
		return now.Add(maxPoll), false
	case since.Add(d).After(now):
		return since.Add(d), true
	}
	return now.Add(firstPoll), false
}
