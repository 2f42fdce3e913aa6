package simulator

import (
	"fmt"
	"slices"
	"strings"
)

// Traffic is what a steady stream of clients of one listener would see at the current
// virtual time: the share of requests served, the share that fail, and the share that reach
// a different server than the client's previous request (which loses a session kept on the
// server's disk).
//
// The model is AWS's routing as AWS-SEMANTICS.md describes it, reduced to shares:
//   - DNS gives each enabled AZ's node an equal share of clients.
//   - Cross-zone on (the ALB default): a node sends to the healthy targets of every zone.
//     Cross-zone off: only to its own zone's; a zone without one answers 503 for its share.
//   - A healthy target whose app does not serve (its instance reboots, its app boots, fails
//     or hangs) still gets its share until it has failed UnhealthyThresholdCount checks:
//     those requests fail.
//   - No healthy target at all: the ALB fails open and sends to the registered targets
//     anyway; those whose app serves answer (a target in its first health checks, or
//     unhealthy only because of a wrong health-check path, serves fine), the others fail
//     the request (502/504). No registered target in use: 503.
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
	now := s.w.Now
	// Healthy targets by AZ, and how many of them answer: a target stays healthy until it
	// has failed UnhealthyThresholdCount checks, and meanwhile its requests fail.
	healthy, up := map[string]int{}, map[string]int{}
	total, totalUp := 0, 0
	var down []string
	// Targets the ALB fails open to when none is healthy, and how many of them answer: a
	// target still in its first health checks, or unhealthy, answers if its app is up.
	inUse, answering := 0, 0
	for i := range tg.Targets {
		tt := &tg.Targets[i]
		h := s.targetHealth(tg, tt)
		in := s.instance(tt.ID)
		if in == nil {
			continue
		}
		ok := in.State == "running" && in.answers(now) && in.App.serves()
		switch h.State {
		case "healthy":
			healthy[in.AZ]++
			total++
			if ok {
				up[in.AZ]++
				totalUp++
			} else {
				down = append(down, in.ID)
			}
		case "initial", "unhealthy":
			inUse++
			if ok {
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
	downWhy := ""
	if len(down) > 0 {
		downWhy = fmt.Sprintf("%s down but still healthy until it fails %d health checks", strings.Join(down, ", "), tg.HealthCheck.UnhealthyThreshold)
	}
	if tg.Attributes["load_balancing.cross_zone.enabled"] != "false" {
		t.Served = float64(totalUp) / float64(total)
		t.Failed = 1 - t.Served
		t.SwitchServer = switchShare(total)
		t.Why = downWhy
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
		share := float64(up[z.AZ]) / float64(n) / float64(zones)
		t.Served += share
		switched += switchShare(n) * share
	}
	t.Failed = 1 - t.Served
	if t.Served > 0 {
		t.SwitchServer = switched / t.Served
	}
	var why []string
	if len(empty) > 0 {
		why = append(why, "cross-zone load balancing is off and "+strings.Join(empty, ", ")+" has no healthy target: 503 for its share")
	}
	if downWhy != "" {
		why = append(why, downWhy)
	}
	t.Why = strings.Join(why, "; ")
	return t
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
