package bench

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/cloud"
)

// Scaling compares one figure at two sizes: Ratio = To/From, against Linear = ToN/FromN.
type Scaling struct {
	What        string  `json:"what"`
	FromN       int     `json:"from_n"`
	ToN         int     `json:"to_n"`
	From        float64 `json:"from"`
	To          float64 `json:"to"`
	Ratio       float64 `json:"ratio"`
	Linear      float64 `json:"linear"`
	Superlinear bool    `json:"superlinear"` // Ratio above 1.5 x Linear: worse than linear
}

// Exponent is k in To/From = (ToN/FromN)^k: 1 is linear, 2 quadratic.
func (s Scaling) Exponent() float64 {
	if s.From <= 0 || s.To <= 0 || s.Linear <= 1 {
		return math.NaN()
	}
	return math.Log(s.Ratio) / math.Log(s.Linear)
}

// superlinearSlack is how much worse than linear a ratio may be before it is flagged: timing
// noise, and the caches a bigger heap misses, cost something without being a quadratic step.
const superlinearSlack = 1.5

// scalingPair is the pair of rows to compare: N = 1,000 and 10,000 when both were measured,
// else the two largest.
func scalingPair(rows []Row) (a, b *Row, ok bool) {
	var r1k, r10k *Row
	for i := range rows {
		switch rows[i].N {
		case 1000:
			r1k = &rows[i]
		case 10000:
			r10k = &rows[i]
		}
	}
	if r1k != nil && r10k != nil {
		return r1k, r10k, true
	}
	for i := range rows {
		r := &rows[i]
		switch {
		case b == nil || r.N > b.N:
			a, b = b, r
		case r.N != b.N && (a == nil || r.N > a.N):
			a = r
		}
	}
	return a, b, a != nil && b != nil && a.N < b.N
}

// Scalings returns how the costs of a plan grow from the smaller to the larger of two sizes
// (see scalingPair). Times, allocations and memory are flagged when worse than linear; API
// calls grow with result pages and target groups, which Generate adds as N grows.
func Scalings(rows []Row) []Scaling {
	a, b, ok := scalingPair(rows)
	if !ok {
		return nil
	}
	mk := func(what string, from, to float64, flag bool) Scaling {
		s := Scaling{What: what, FromN: a.N, ToN: b.N, From: from, To: to, Linear: float64(b.N) / float64(a.N)}
		if from > 0 {
			s.Ratio = to / from
		}
		s.Superlinear = flag && s.Ratio > superlinearSlack*s.Linear
		return s
	}
	return []Scaling{
		mk("observe time, simulator included", float64(a.ObserveNs), float64(b.ObserveNs), true),
		mk("observe time, albctl only", float64(a.ObserveClientNs), float64(b.ObserveClientNs), true),
		mk("build time", float64(a.BuildNs), float64(b.BuildNs), true),
		mk("plan time (observe + build)", float64(a.PlanNs), float64(b.PlanNs), true),
		mk("plan CPU", float64(a.PlanCPUNs), float64(b.PlanCPUNs), true),
		mk("plan allocations", float64(a.PlanAllocs), float64(b.PlanAllocs), true),
		mk("plan memory (peak_bytes)", float64(a.PeakBytes), float64(b.PeakBytes), true),
		mk("API calls per plan", float64(a.PlanAPICalls), float64(b.PlanAPICalls), false),
	}
}

// Check is one target of issue 5 and how the run fared against it.
type Check struct {
	Target string `json:"target"`
	Got    string `json:"got"`
	// Status is "ok", "MISSED" or "not measured" (the run lacked the size or K it needs).
	Status string `json:"status"`
}

func status(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// Checks compares rows with the performance targets. They are figures for people: no test
// asserts a time.
func Checks(rows []Row) []Check {
	return []Check{checkCalls(rows), checkCPU(rows), checkMemory(rows), checkApplyK(rows), checkLatency(rows), checkQuadratic(rows)}
}

// findRow is the row of size n, or nil.
func findRow(rows []Row, n int) *Row {
	for i := range rows {
		if rows[i].N == n {
			return &rows[i]
		}
	}
	return nil
}

// checkCalls holds a plan to a budget of calls that depends on the stack's shape and never on
// N: one call per kind of thing read (load balancers, target groups, instances twice, images
// twice, snapshots, subnets, offerings, security groups, network ACLs), and per target group
// its health and attributes, per load balancer its attributes and listeners
// (docs/design.md, "One request's way"; internal/cloud's TestObserveCallsDoNotGrowWithInstances
// pins the same list for the blog stack).
func checkCalls(rows []Row) Check {
	c := Check{Target: "API calls per plan at N = 1,000 (one stack): at most 11 + 2 per target group + 2 per load balancer", Status: "not measured"}
	if r := findRow(rows, 1000); r != nil {
		budget := 11 + 2*r.Fleets + 2*r.LoadBalancers
		c.Got = fmt.Sprintf("%d calls (%d target groups, %d load balancers: at most %d)", r.PlanAPICalls, r.Fleets, r.LoadBalancers, budget)
		c.Status = status(r.PlanAPICalls <= budget)
	}
	return c
}

func checkCPU(rows []Row) Check {
	c := Check{Target: "plan at N = 10,000: well under 1 s of CPU (flagged from 0.5 s)", Status: "not measured"}
	if r := findRow(rows, 10000); r != nil {
		c.Got = fmt.Sprintf("%s CPU (%s wall: observe %s, build %s)", dur(r.PlanCPUNs), dur(r.PlanNs), dur(r.ObserveNs), dur(r.BuildNs))
		c.Status = status(time.Duration(r.PlanCPUNs) < 500*time.Millisecond)
	}
	return c
}

func checkMemory(rows []Row) Check {
	c := Check{Target: "memory in proportion to N (bytes per instance within 1.5x across sizes)", Status: "not measured"}
	if len(rows) >= 2 {
		a, b, _ := scalingPair(rows)
		if a != nil && b != nil {
			c.Got = fmt.Sprintf("%.0f B/instance at N = %d, %.0f at N = %d", a.BytesPerInstance, a.N, b.BytesPerInstance, b.N)
			c.Status = status(b.BytesPerInstance <= superlinearSlack*a.BytesPerInstance)
		}
	}
	return c
}

func checkApplyK(rows []Row) Check {
	c := Check{Target: "launching K = 20 takes at most 1.2x the simulated time of K = 1", Status: "not measured"}
	worst, worstN := 0.0, 0
	for _, r := range rows {
		k1, ok1 := r.ApplySimSeconds(1)
		k20, ok20 := r.ApplySimSeconds(20)
		if ok1 && ok20 && k1 > 0 && k20/k1 > worst {
			worst, worstN = k20/k1, r.N
		}
	}
	if worstN > 0 {
		r := findRow(rows, worstN)
		k1, _ := r.ApplySimSeconds(1)
		k20, _ := r.ApplySimSeconds(20)
		c.Got = fmt.Sprintf("worst %.2fx (N = %d: K = 20 %s, K = 1 %s simulated)", worst, worstN, simDur(k20), simDur(k1))
		c.Status = status(worst <= 1.2)
	}
	return c
}

func checkLatency(rows []Row) Check {
	c := Check{Target: "plan with 150 ms per call at N = 1,000 and 10,000: within 4 round trips plus the simulator's own time", Status: "not measured"}
	var parts []string
	good := true
	for _, n := range []int{1000, 10000} {
		r := findRow(rows, n)
		if r == nil {
			continue
		}
		for _, l := range r.Latency {
			if l.RTTMs == 150 && l.MaxInFlight == cloud.DefaultMaxInFlight {
				parts = append(parts, fmt.Sprintf("N = %d: %s = %.2f round trips + simulator %s", n, dur(l.PlanNs), l.RoundTrips, dur(r.SimNs)))
				good = good && l.RoundTrips <= 4
			}
		}
	}
	if len(parts) > 0 {
		c.Got, c.Status = strings.Join(parts, "; "), status(good)
	}
	return c
}

func checkQuadratic(rows []Row) Check {
	c := Check{Target: "no quadratic step in Observe or Build (time ratio against size ratio)", Status: "not measured"}
	var got string
	bad := false
	for _, s := range Scalings(rows) {
		if s.What != "observe time, simulator included" && s.What != "observe time, albctl only" && s.What != "build time" {
			continue
		}
		if got == "" {
			got = fmt.Sprintf("N %d -> %d (%.0fx the instances): ", s.FromN, s.ToN, s.Linear)
		} else {
			got += ", "
		}
		got += fmt.Sprintf("%s %.1fx", s.What, s.Ratio)
		bad = bad || s.Superlinear
	}
	if got != "" {
		c.Got, c.Status = got, status(!bad)
	}
	return c
}

// RolloutChecks compares rollout timings with issue 12's target and issue 20's.
func RolloutChecks(rs []Rollout) []Check {
	c := Check{Target: "rolling 10 members one at a time: at most the inherent chain plus one deregistration delay (simulated)", Status: "not measured"}
	for _, r := range rs {
		if r.Members == 10 {
			c.Got = fmt.Sprintf("%s against %s + %s", simDur(r.SimSeconds), simDur(r.InherentSeconds), simDur(r.DrainSeconds))
			c.Status = status(r.WithinTarget)
		}
	}
	tight := Check{Target: fmt.Sprintf("rollouts of 10 and 50 members: within the inherent chain plus %.0f%% (simulated)", 100*chainSlack), Status: "not measured"}
	var parts []string
	good := true
	for _, r := range rs {
		if r.Members == 10 || r.Members == 50 {
			parts = append(parts, fmt.Sprintf("%d members: %s against %s (%+.1f%%)", r.Members, simDur(r.SimSeconds), simDur(r.InherentSeconds), r.OverheadPercent()))
			good = good && r.SimSeconds <= r.InherentSeconds*(1+chainSlack)
		}
	}
	if len(parts) > 0 {
		tight.Got, tight.Status = strings.Join(parts, "; "), status(good)
	}
	return []Check{c, tight}
}

// chainSlack is issue 20's bound on a rollout's time over its inherent chain.
const chainSlack = 0.05

// Poll calls per minute of waiting before the waits shared their reads (commit 67f17ba, the
// same scenarios on the simulator): issue 20 asks for no more.
var (
	BaselineRolloutPollRate = map[int]float64{2: 4.71, 10: 8.94, 50: 11.90} // by members
	BaselineApplyPollRate   = map[int]float64{1: 6.65, 5: 7.86, 20: 8.42}   // by K, at every N
)

// PollRateCheck compares the poll calls per minute of waiting of every measured rollout and
// apply that has a baseline with it.
func PollRateCheck(rows []Row, rs []Rollout) Check {
	c := Check{Target: "API calls per minute of waiting no higher than before the shared waits (rollouts and applies)", Status: "not measured"}
	var parts []string
	good, worst := true, 0.0
	for _, r := range rs {
		if base, ok := BaselineRolloutPollRate[r.Members]; ok {
			parts = append(parts, fmt.Sprintf("rollout %d: %.2f (was %.2f)", r.Members, r.PollCallsPerMinute, base))
			good = good && r.PollCallsPerMinute <= base
		}
	}
	for _, row := range rows {
		for _, a := range row.Apply {
			if base, ok := BaselineApplyPollRate[a.K]; ok {
				good = good && a.PollCallsPerMinute <= base
				worst = max(worst, a.PollCallsPerMinute/base)
			}
		}
	}
	if worst > 0 {
		parts = append(parts, fmt.Sprintf("applies: at worst %.0f%% of before", 100*worst))
	}
	if len(parts) > 0 {
		c.Got, c.Status = strings.Join(parts, "; "), status(good)
	}
	return c
}

func dur(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	}
}

func simDur(secs float64) string {
	return (time.Duration(secs * float64(time.Second))).Round(time.Second).String()
}
