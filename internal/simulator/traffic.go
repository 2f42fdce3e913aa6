package simulator

import (
	"slices"
	"strings"
)

// Traffic is what a steady stream of clients of one listener would see at the current
// virtual time, as shares of requests: served, failed (by status), and served by a different
// server than the client's previous request (which loses a session kept on the server).
//
// The routing is the one the client model uses (see route in routing.go and
// docs/simulator.md, "Traffic"), with every client's DNS answer current and clients spread
// evenly over the nodes in DNS and, at each node, over the targets it sends to. For what
// clients see over time — DNS caching, stickiness cookies, sessions — use StartClients.
type Traffic struct {
	LoadBalancer string  `json:"load_balancer"`
	TargetGroup  string  `json:"target_group"`
	Served       float64 `json:"served"`        // 0..1
	Failed       float64 `json:"failed"`        // 0..1: the sum of the four shares below
	SwitchServer float64 `json:"switch_server"` // 0..1 of served requests
	// Why names the causes of failures, for people ("security group sg-… of i-… admits no
	// TCP 80 from 10.0.2.0/24 (the load balancer node in ap-northeast-1c)").
	Why string `json:"why,omitempty"`
	// Failed, by what answers: the load balancer's 502 (a connection refused or reset),
	// 503 (no target to send to), 504 (no connection within the timeout: the target is
	// unreachable or down), and the app's own errors (a broken build answering 500).
	Status502    float64 `json:"status_502"`
	Status503    float64 `json:"status_503"`
	Status504    float64 `json:"status_504"`
	TargetErrors float64 `json:"target_errors"`
	// Sessions is the target group's sessions setting: local or shared.
	Sessions string `json:"sessions"`
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
		r := s.route(lb, tg)
		out = append(out, r.mix())
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
