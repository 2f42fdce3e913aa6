package simulator

import (
	"slices"
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
	now := s.w.Now
	if !t.DeregisteredAt.IsZero() {
		return health{"draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"}
	}
	lbs := s.loadBalancersOf(tg.ARN)
	if len(lbs) == 0 {
		return health{"unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"}
	}
	in := s.instance(t.ID)
	if in == nil {
		return health{"unused", "Target.InvalidState", "Target is in the terminated state"}
	}
	if in.State != "running" {
		return health{"unused", "Target.InvalidState", "Target is in the " + in.State + " state"}
	}
	var zoneSince time.Time
	for _, lb := range lbs {
		for _, z := range lb.Subnets {
			if z.AZ == in.AZ && (zoneSince.IsZero() || z.EnabledAt.Before(zoneSince)) {
				zoneSince = z.EnabledAt
			}
		}
	}
	if zoneSince.IsZero() {
		return health{"unused", "Target.NotInUse", "Target is in an Availability Zone that is not enabled for the load balancer"}
	}
	if !in.RebootAt.IsZero() && !now.Before(in.RebootAt) && now.Before(in.RebootUntil) {
		return health{"unhealthy", "Target.Timeout", "Request timed out"}
	}
	joined := latest(t.RegisteredAt, zoneSince)
	start := latest(joined, in.runningSince())
	if !in.RebootUntil.IsZero() && !now.Before(in.RebootUntil) {
		start = latest(start, in.RebootUntil)
	}
	hc := tg.HealthCheck
	if now.Before(start.Add(time.Duration(hc.HealthyThreshold) * hc.Interval.D())) {
		if now.Before(joined.Add(RegistrationInProgress)) {
			return health{"initial", "Elb.RegistrationInProgress", "Target registration is in progress"}
		}
		return health{"initial", "Elb.InitialHealthChecking", "Initial health checks in progress"}
	}
	return health{State: "healthy"}
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
