package simulator

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Traffic is what a steady stream of clients of one listener would see at the current
// virtual time: the share of requests served, the share that fail, and the share that reach
// a different server than the client's previous request (which loses a session kept on the
// server's disk).
//
// The model is AWS's routing as docs/aws-semantics.md describes it, reduced to shares:
//   - DNS gives each enabled AZ's node an equal share of clients.
//   - Cross-zone on (the ALB default): a node sends to the healthy targets of every zone.
//     Cross-zone off: only to its own zone's; a zone without one answers 503 for its share.
//   - No healthy target at all: the ALB fails open and sends to the registered targets
//     anyway; those whose instance is up answer (a target in its first health checks, or
//     marked unhealthy after a reboot, serves fine), a rebooting or stopped one fails the
//     request (502/504). No registered target in use: 503.
//   - Without stickiness, round robin over n healthy targets sends a client's next request to
//     another server with probability 1 - 1/n. With stickiness the cookie keeps it.
//
// It is a model of shares, not of requests: no latency, no slow start, no DNS caching.
type Traffic struct {
	LoadBalancer string  `json:"load_balancer"`
	TargetGroup  string  `json:"target_group"`
	Served       float64 `json:"served"`        // 0..1
	Failed       float64 `json:"failed"`        // 0..1
	SwitchServer float64 `json:"switch_server"` // 0..1 of served requests
	// Why names the cause of failures, for people ("no healthy target in ap-northeast-1c").
	Why string `json:"why,omitempty"`
}

// Traffic returns the traffic of every listener, sorted by load balancer and target group
// name. It reads the world as of the clock and changes nothing.
func (s *Sim) Traffic() []Traffic {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Traffic
	for _, l := range s.w.Listeners {
		lb := s.loadBalancerByARN(l.LoadBalancer)
		tg := s.targetGroupByARN(l.TargetGroup)
		if lb == nil || tg == nil {
			continue
		}
		out = append(out, s.traffic(lb, tg))
	}
	slices.SortFunc(out, func(a, b Traffic) int {
		if c := strings.Compare(a.LoadBalancer, b.LoadBalancer); c != 0 {
			return c
		}
		return strings.Compare(a.TargetGroup, b.TargetGroup)
	})
	return slices.CompactFunc(out, func(a, b Traffic) bool {
		return a.LoadBalancer == b.LoadBalancer && a.TargetGroup == b.TargetGroup
	})
}

func (s *Sim) traffic(lb *LoadBalancer, tg *TargetGroup) Traffic {
	t := Traffic{LoadBalancer: lb.Name, TargetGroup: tg.Name}
	zones := len(lb.Subnets)
	if zones == 0 {
		t.Failed, t.Why = 1, "the load balancer is enabled in no zone"
		return t
	}
	healthy := map[string]int{} // AZ -> healthy targets
	total := 0
	// Targets the ALB fails open to when none is healthy, and how many of them answer: a
	// target still in its first health checks, or marked unhealthy after a reboot, answers
	// as soon as its instance is up.
	inUse, answering := 0, 0
	for i := range tg.Targets {
		tt := &tg.Targets[i]
		h := s.targetHealth(tg, tt)
		in := s.instance(tt.ID)
		switch {
		case in == nil:
		case h.State == "healthy":
			healthy[in.AZ]++
			total++
		case h.State == "initial" || h.State == "unhealthy":
			inUse++
			if in.State == "running" && !in.rebooting(s.w.Now) {
				answering++
			}
		}
	}
	sticky := tg.Attributes["stickiness.enabled"] == "true"
	switchShare := func(n int) float64 {
		if sticky || n <= 1 {
			return 0
		}
		return 1 - 1/float64(n)
	}
	if total == 0 {
		if inUse == 0 {
			t.Failed, t.Why = 1, "no target in use in "+tg.Name+": 503"
			return t
		}
		t.Served = float64(answering) / float64(inUse)
		t.Failed = 1 - t.Served
		t.SwitchServer = switchShare(answering)
		if t.Failed > 0 {
			t.Why = fmt.Sprintf("no healthy target in %s: the ALB fails open to %d target(s), %d of them down", tg.Name, inUse, inUse-answering)
		}
		return t
	}
	if tg.Attributes["load_balancing.cross_zone.enabled"] != "false" {
		t.Served, t.SwitchServer = 1, switchShare(total)
		return t
	}
	var empty []string
	var switched float64
	for _, z := range lb.Subnets {
		n := healthy[z.AZ]
		if n == 0 {
			empty = append(empty, z.AZ)
			continue
		}
		t.Served += 1 / float64(zones)
		switched += switchShare(n) / float64(zones)
	}
	t.Failed = 1 - t.Served
	if t.Served > 0 {
		t.SwitchServer = switched / t.Served
	}
	if len(empty) > 0 {
		t.Why = "cross-zone load balancing is off and " + strings.Join(empty, ", ") + " has no healthy target: 503 for its share"
	}
	return t
}

// rebooting reports whether the instance is in the reboot CreateImage started.
func (in *Instance) rebooting(now time.Time) bool {
	return !in.RebootAt.IsZero() && !now.Before(in.RebootAt) && now.Before(in.RebootUntil)
}

func (s *Sim) loadBalancerByARN(arn string) *LoadBalancer {
	for i := range s.w.LoadBalancers {
		if s.w.LoadBalancers[i].ARN == arn {
			return &s.w.LoadBalancers[i]
		}
	}
	return nil
}

func (s *Sim) targetGroupByARN(arn string) *TargetGroup {
	for i := range s.w.TargetGroups {
		if s.w.TargetGroups[i].ARN == arn {
			return &s.w.TargetGroups[i]
		}
	}
	return nil
}
