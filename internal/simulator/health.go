package simulator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// health is what DescribeTargetHealth says of one target.
type health struct {
	State, Reason, Description string
}

// loadBalancersOf returns the load balancers whose listeners forward to the target group.
func (s *Sim) loadBalancersOf(tgARN string) []*LoadBalancer {
	var out []*LoadBalancer
	for _, l := range s.w.Listeners {
		if l.TargetGroup != tgARN {
			continue
		}
		for i := range s.w.LoadBalancers {
			lb := &s.w.LoadBalancers[i]
			if lb.ARN == l.LoadBalancer && !slices.Contains(out, lb) {
				out = append(out, lb)
			}
		}
	}
	slices.SortFunc(out, func(a, b *LoadBalancer) int { return strings.Compare(a.ARN, b.ARN) })
	return out
}

// targetHealth works out a registered target's health from timestamps; the decision table
// is in the package documentation.
func (s *Sim) targetHealth(tg *TargetGroup, t *Target) health {
	if !t.DeregisteredAt.IsZero() {
		return health{"draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"}
	}
	if len(s.loadBalancersOf(tg.ARN)) == 0 {
		return health{"unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"}
	}
	in := s.instance(t.ID)
	if in == nil {
		return health{"unused", "Target.InvalidState", "Target is in the terminated state"}
	}
	if in.State != "running" {
		return health{"unused", "Target.InvalidState", "Target is in the " + in.State + " state"}
	}
	zoneSince := s.zoneEnabledAt(tg, in.AZ)
	if zoneSince.IsZero() {
		return health{"unused", "Target.NotInUse", "Target is in an Availability Zone that is not enabled for the load balancer"}
	}
	joined := latest(t.RegisteredAt, zoneSince)
	if s.w.Now.Before(joined.Add(RegistrationInProgress)) {
		return health{"initial", "Elb.RegistrationInProgress", "Target registration is in progress"}
	}
	m, _ := s.checks(tg, t, in, joined)
	return m.health()
}

// machine is the health-check state machine of one target (see the package documentation):
// streak counts consecutive failures while initial or healthy, consecutive passes while
// unhealthy.
type machine struct {
	state        string
	streak       int64
	reason, desc string
}

func (m machine) health() health {
	switch m.state {
	case "healthy":
		return health{State: "healthy"}
	case "unhealthy":
		return health{"unhealthy", m.reason, m.desc}
	}
	return health{"initial", "Elb.InitialHealthChecking", "Initial health checks in progress"}
}

// apply feeds n consecutive checks with the same result r to the machine.
func (m *machine) apply(r check, n int64, hc HealthCheck) {
	if n <= 0 {
		return
	}
	if r.pass {
		switch m.state {
		case "unhealthy":
			if m.streak += n; m.streak >= int64(hc.HealthyThreshold) {
				*m = machine{state: "healthy"}
			}
		default: // initial: one pass is enough
			*m = machine{state: "healthy"}
		}
		return
	}
	m.reason, m.desc = r.reason, r.desc
	switch m.state {
	case "unhealthy":
		m.streak = 0
	default:
		if m.streak += n; m.streak >= int64(hc.UnhealthyThreshold) {
			m.state, m.streak = "unhealthy", 0
		}
	}
}

// check is the result of one health check.
type check struct {
	pass         bool
	reason, desc string
}

// checkAt is the result of a health check of the instance at time c; reached says whether
// some load balancer node can reach it at all (security groups, network ACLs).
func checkAt(hc HealthCheck, in *Instance, c time.Time, reached bool) check {
	timeout := check{reason: "Target.Timeout", desc: "Request timed out"}
	if !reached || !in.answers(c) {
		return timeout
	}
	code := in.App.statusCode(hc.Path)
	if code == 0 {
		return timeout
	}
	if !matcherAccepts(hc.Matcher, code) {
		return check{reason: "Target.ResponseCodeMismatch", desc: fmt.Sprintf("Health checks failed with these codes: [%d]", code)}
	}
	return check{pass: true}
}

// statusCode is what the app answers on path (0: no answer).
func (a *App) statusCode(path string) int32 {
	switch {
	case a == nil:
		return 200
	case a.Health == "timeout":
		return 0
	case a.Health == "fails":
		if a.StatusCode != 0 {
			return a.StatusCode
		}
		return 500
	case a.HealthPath != "" && path != a.HealthPath:
		return 404
	}
	return 200
}

func (a *App) boot() time.Duration {
	if a == nil {
		return 0
	}
	return a.BootTime.D()
}

// answers reports whether the instance's app accepts connections at c: not during a
// reboot, nor before the app has booted after the start or the reboot.
func (in *Instance) answers(c time.Time) bool {
	if c.Before(in.runningSince().Add(in.App.boot())) {
		return false
	}
	if !in.RebootAt.IsZero() && !c.Before(in.RebootAt) && c.Before(in.RebootUntil.Add(in.App.boot())) {
		return false
	}
	return true
}

// changes are the times at which the instance's check results may change.
func (in *Instance) changes() []time.Time {
	out := []time.Time{in.runningSince().Add(in.App.boot())}
	if !in.RebootAt.IsZero() {
		out = append(out, in.RebootAt, in.RebootUntil.Add(in.App.boot()))
	}
	return out
}

// checks replays a target's health checks up to now. Checks run every interval from the end
// of the registration period, or from the target's mark when it has a later one; their
// results change only at a few instants (the instance's changes), so the checks between two
// of them are fed to the machine at once.
//
// It returns the machine and the time of the last check it saw (origin if none), which
// keeps the checks' phase when a mark is taken.
func (s *Sim) checks(tg *TargetGroup, t *Target, in *Instance, joined time.Time) (machine, time.Time) {
	hc := tg.HealthCheck
	origin := latest(joined, in.runningSince()).Add(RegistrationInProgress)
	m := machine{state: "initial"}
	if k := t.Mark; k != nil && !k.At.Before(origin) {
		origin = k.At
		m = machine{state: k.State, streak: int64(k.Streak), reason: k.Reason, desc: k.Description}
	}
	iv := hc.Interval.D()
	if iv <= 0 {
		iv = 30 * time.Second
	}
	// index is the number of the first check at or after time x (checks are 1, 2, ...).
	index := func(x time.Time) int64 {
		d := x.Sub(origin)
		if d <= 0 {
			return 1
		}
		return max(1, int64((d+iv-1)/iv))
	}
	end := s.w.Now.Add(time.Nanosecond) // checks at now count
	cuts := []time.Time{origin}
	for _, c := range in.changes() {
		if c.After(origin) && c.Before(end) {
			cuts = append(cuts, c)
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = append(cuts, end)
	reached := s.reachedByAnyNode(tg, t, in)
	for i := 0; i+1 < len(cuts); i++ {
		first, next := index(cuts[i]), index(cuts[i+1])
		if next <= first {
			continue
		}
		at := origin.Add(time.Duration(first) * iv)
		m.apply(checkAt(hc, in, at, reached), next-first, hc)
	}
	last := origin
	if n := index(end) - 1; n >= 1 {
		last = origin.Add(time.Duration(n) * iv)
	}
	return m, last
}

// markHealth records the current health of every in-use target of the instance (or of
// every target of tg when instance is ""), so that a change to what their checks see
// (a reboot, new settings) takes effect from now on only.
func (s *Sim) markHealth(tg *TargetGroup, instance string) {
	groups := []*TargetGroup{tg}
	if tg == nil {
		groups = nil
		for i := range s.w.TargetGroups {
			groups = append(groups, &s.w.TargetGroups[i])
		}
	}
	for _, g := range groups {
		for j := range g.Targets {
			t := &g.Targets[j]
			if instance != "" && t.ID != instance {
				continue
			}
			h := s.targetHealth(g, t)
			if h.State == "initial" && h.Reason == "Elb.RegistrationInProgress" {
				continue
			}
			if h.State != "initial" && h.State != "healthy" && h.State != "unhealthy" {
				continue
			}
			in := s.instance(t.ID)
			joined := latest(t.RegisteredAt, s.zoneEnabledAt(g, in.AZ))
			m, last := s.checks(g, t, in, joined)
			t.Mark = &HealthMark{At: last, State: m.state, Streak: int32(min(m.streak, 1<<20)), Reason: m.reason, Description: m.desc}
		}
	}
}

// zoneEnabledAt is when the zone was first enabled on a load balancer that uses tg.
func (s *Sim) zoneEnabledAt(tg *TargetGroup, az string) time.Time {
	var since time.Time
	for _, lb := range s.loadBalancersOf(tg.ARN) {
		for _, z := range lb.Subnets {
			if z.AZ == az && (since.IsZero() || z.EnabledAt.Before(since)) {
				since = z.EnabledAt
			}
		}
	}
	return since
}

// matcherAccepts reports whether an HTTP code matches a target group's matcher: codes and
// ranges separated by commas ("200", "200,302", "200-299").
func matcherAccepts(matcher string, code int32) bool {
	if matcher == "" {
		matcher = "200"
	}
	for _, part := range strings.Split(matcher, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if int(code) >= a && int(code) <= b {
			return true
		}
	}
	return false
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
