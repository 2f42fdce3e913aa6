package simulator

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// DNSTTL is the TTL of the load balancer's DNS answer: a client keeps it that long, plus
	// the world's ClientDNSCache (docs/simulator.md, "DNS, node addresses and connection
	// errors").
	DNSTTL = 60 * time.Second
	// MaxClientDNSCache bounds a world's client_dns_cache.
	MaxClientDNSCache = 24 * time.Hour
	// TargetConnectTimeout is how long a load balancer node tries to connect to a target
	// before it answers 504: a client waiting on a 504 waits this long (docs/simulator.md,
	// "A 504 takes the connect timeout").
	TargetConnectTimeout = 10 * time.Second
)

// outcome is what a request a node sends to a target gets: code 0 when the app serves it,
// 502 or 504 from the load balancer, or the app's own error status (a broken build).
type outcome struct {
	code int32
	why  string
}

// candidate is a target a node sends new requests to, and what they get there.
type candidate struct {
	id  string
	out outcome
	// errorRate is the share of the requests it serves that its app answers 500 anyway
	// (App.ErrorRate): health checks pass, clients see errors.
	errorRate float64
}

// nodeRoute is how one load balancer node routes a listener's requests at one instant.
type nodeRoute struct {
	node
	// inDNS: the node's address is in the load balancer's DNS answer (DNS failover takes
	// out a zone below the target group's threshold, unless every zone is below it).
	inDNS bool
	// cands are the targets new requests go to; empty: the node answers 503.
	cands    []candidate
	failOpen bool
	why      string // why the node answers 503 or fails open
}

func (n *nodeRoute) candidate(id string) *candidate {
	for i := range n.cands {
		if n.cands[i].id == id {
			return &n.cands[i]
		}
	}
	return nil
}

// route is a listener's routing at one instant: what every node of the load balancer does
// with a request, following docs/simulator.md ("Traffic").
type route struct {
	lb        *LoadBalancer
	tg        *TargetGroup
	nodes     []nodeRoute
	sticky    bool
	stickyFor time.Duration
	local     bool // sessions live on the servers
}

func (r *route) node(az string) *nodeRoute {
	for i := range r.nodes {
		if r.nodes[i].AZ == az {
			return &r.nodes[i]
		}
	}
	return nil
}

// dns is the DNS answer: the zones of the nodes in DNS, sorted.
func (r *route) dns() []string {
	var out []string
	for _, n := range r.nodes {
		if n.inDNS {
			out = append(out, n.AZ)
		}
	}
	return out
}

// threshold is a target_group_health minimum: the count and percentage attributes ("off" or
// a number) under prefix; below either, the zone (or node) is below the threshold.
func below(attrs map[string]string, prefix string, healthy, all int) bool {
	if c, err := strconv.Atoi(attrs[prefix+".count"]); err == nil && healthy < c {
		return true
	}
	if p, err := strconv.Atoi(attrs[prefix+".percentage"]); err == nil && healthy*100 < p*all {
		return true
	}
	return false
}

type routed struct {
	in      *Instance
	port    int32
	healthy bool
}

// route works out how the load balancer's nodes route the target group's requests now.
//
//   - A target is in use when it is registered, not draining, and its health is initial,
//     healthy or unhealthy (not unused: its zone is enabled, its instance runs).
//   - A node sends to the healthy targets it can reach: of every zone with cross-zone load
//     balancing on (the ALB's default), of its own zone when the target group turns it off.
//     With fewer than target_group_health.unhealthy_state_routing.minimum_healthy_targets
//     (default 1), it fails open to every target in use it would send to, reachable or not.
//     No target in use: 503.
//   - Cross-zone off: a zone whose healthy targets are below
//     target_group_health.dns_failover.minimum_healthy_targets is taken out of DNS, unless
//     every zone is; with cross-zone on every node stays in DNS.
func (s *Sim) route(lb *LoadBalancer, tg *TargetGroup) route {
	a := tg.Attributes
	r := route{lb: lb, tg: tg, sticky: a["stickiness.enabled"] == "true", local: tg.Sessions != "shared"}
	key := "stickiness.lb_cookie.duration_seconds"
	if a["stickiness.type"] == "app_cookie" {
		key = "stickiness.app_cookie.duration_seconds"
	}
	secs, _ := strconv.Atoi(a[key])
	r.stickyFor = time.Duration(secs) * time.Second
	crossZone := a["load_balancing.cross_zone.enabled"] != "false"
	var inUse []routed
	for i := range tg.Targets {
		t := &tg.Targets[i]
		h := s.targetHealth(tg, t)
		if h.State != "initial" && h.State != "healthy" && h.State != "unhealthy" {
			continue
		}
		port := t.Port
		if port == 0 {
			port = tg.Port
		}
		inUse = append(inUse, routed{in: s.instance(t.ID), port: port, healthy: h.State == "healthy"})
	}
	for _, n := range s.nodes(lb) {
		nr := nodeRoute{node: n, inDNS: true}
		var pool, healthy []candidate
		zoneHealthy, zoneAll := 0, 0
		for _, t := range inUse {
			if !crossZone && t.in.AZ != n.AZ {
				continue
			}
			zoneAll++
			ok, why := s.reach(n, t.in, t.port)
			c := candidate{id: t.in.ID, out: s.answer(t.in, ok, why), errorRate: t.in.App.errorRate()}
			pool = append(pool, c)
			if t.healthy {
				zoneHealthy++
				if ok {
					healthy = append(healthy, c)
				}
			}
		}
		switch {
		case len(pool) == 0 && crossZone:
			nr.why = "no target in use in " + tg.Name
		case len(pool) == 0:
			nr.why = "cross-zone load balancing is off and " + n.AZ + " has no target in use"
		case below(a, "target_group_health.unhealthy_state_routing.minimum_healthy_targets", len(healthy), len(pool)):
			nr.cands, nr.failOpen = pool, true
			nr.why = fmt.Sprintf("the node in %s has no healthy target it can reach: it fails open to %d target(s)", n.AZ, len(pool))
		default:
			nr.cands = healthy
		}
		if !crossZone && below(a, "target_group_health.dns_failover.minimum_healthy_targets", zoneHealthy, zoneAll) {
			nr.inDNS = false
		}
		r.nodes = append(r.nodes, nr)
	}
	if len(r.dns()) == 0 {
		// Every zone is below the DNS threshold: the ALB fails open and answers all nodes.
		for i := range r.nodes {
			r.nodes[i].inDNS = true
		}
	}
	return r
}

// answer is what a request a node sends to the instance gets now.
func (s *Sim) answer(in *Instance, reached bool, why string) outcome {
	now := s.w.Now
	switch {
	case !reached:
		return outcome{504, why}
	case in.State != "running":
		return outcome{502, in.ID + " is " + in.State}
	case !in.RebootAt.IsZero() && !now.Before(in.RebootAt) && now.Before(in.RebootUntil):
		return outcome{504, in.ID + " is rebooting (still healthy until it fails its health checks)"}
	case !in.answers(now):
		return outcome{502, in.ID + "'s app is still booting: connection refused"}
	}
	switch {
	case in.App == nil:
	case in.App.Health == "timeout":
		return outcome{504, in.ID + "'s app accepts no connection"}
	case in.App.Health == "fails":
		code := in.App.statusCode("")
		return outcome{code, fmt.Sprintf("%s's app answers %d", in.ID, code)}
	}
	return outcome{}
}

// mix returns the shares of a route's outcomes for clients spread evenly over the nodes in
// DNS and, at each node, over its candidates.
func (r *route) mix() (t Traffic) {
	t.LoadBalancer, t.TargetGroup = r.lb.Name, r.tg.Name
	t.Sessions = "local"
	if !r.local {
		t.Sessions = "shared"
	}
	dns := r.dns()
	if len(dns) == 0 {
		t.Failed, t.Status503, t.Why = 1, 1, "the load balancer is enabled in no zone"
		return t
	}
	var why []string
	note := func(w string) {
		if w != "" && !slices.Contains(why, w) {
			why = append(why, w)
		}
	}
	var switched float64
	for _, n := range r.nodes {
		if !n.inDNS {
			note(fmt.Sprintf("%s is out of DNS (below the target group's DNS failover threshold)", n.AZ))
			continue
		}
		share := 1 / float64(len(dns))
		if len(n.cands) == 0 {
			t.Status503 += share
			note(n.why + ": 503")
			continue
		}
		if n.failOpen {
			note(n.why)
		}
		each := share / float64(len(n.cands))
		serving := 0
		for _, c := range n.cands {
			switch c.out.code {
			case 0:
				t.Served += each * (1 - c.errorRate)
				t.TargetErrors += each * c.errorRate
				if c.errorRate > 0 {
					note(fmt.Sprintf("%s's app answers 500 to %g%% of requests", c.id, c.errorRate*100))
				}
				serving++
			case 502:
				t.Status502 += each
			case 504:
				t.Status504 += each
			default:
				t.TargetErrors += each
			}
			note(c.out.why)
		}
		if !r.sticky && serving > 1 {
			switched += (1 - 1/float64(serving)) * each * float64(serving)
		}
	}
	for _, x := range []*float64{&t.Served, &t.Status502, &t.Status503, &t.Status504, &t.TargetErrors} {
		*x = round6(*x)
	}
	t.Failed = round6(t.Status502 + t.Status503 + t.Status504 + t.TargetErrors)
	if t.Served > 0 {
		t.SwitchServer = round6(switched / t.Served)
	}
	slices.Sort(why)
	t.Why = strings.Join(why, "; ")
	return t
}

// round6 rounds a share to six decimals, so that thirds add up to one in the output.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
