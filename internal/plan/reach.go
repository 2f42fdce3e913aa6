package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/reach"
	"github.com/albctl/albctl/internal/specs"
)

// Reachability in the plan (docs/design.md, "Zones and reachability"): every zone a load
// balancer keeps or gains must have a node that reaches at least one target it would send to,
// through the security groups and network ACLs, with cross-zone load balancing as the target
// group sets it. The rule itself is internal/reach's, the one the simulator applies.

// futureTargets are the targets tg has once the plan has run: the registered ones the plan
// does not deregister, and the ones it registers (a planned launch in its subnet, with its
// groups). Draining targets are leaving and count for nothing.
func (b *builder) futureTargets(tg *cloud.TargetGroup) []reach.Target {
	leaving := map[string]bool{}
	var out []reach.Target
	for _, s := range b.steps {
		if s.Target == nil || s.Target.TargetGroupARN != tg.ARN {
			continue
		}
		switch s.Kind {
		case DeregisterTarget:
			leaving[s.Target.InstanceID] = true
		case RegisterTarget:
			if t, ok := b.plannedTarget(tg, s.Target); ok {
				out = append(out, t)
			}
		}
	}
	// A set, not a search of out: a target group of 10,000 targets made this step quadratic.
	have := make(map[string]bool, len(out)+len(tg.Targets))
	for _, t := range out {
		have[t.ID] = true
	}
	for _, t := range tg.Targets {
		in, ok := b.world.Instance(t.ID)
		if !ok || leaving[t.ID] || t.State == "draining" || have[t.ID] {
			continue
		}
		have[t.ID] = true
		out = append(out, reach.Target{ID: t.ID, AZ: in.AZ, Subnet: in.SubnetID, Groups: in.SecurityGroupIDs, Port: targetPort(tg, t.Port)})
	}
	slices.SortFunc(out, func(x, y reach.Target) int { return strings.Compare(x.ID, y.ID) })
	return out
}

// plannedTarget is the target a register_target step makes: an observed instance, or the
// launch of step InstanceStep (named by that step's ID until it runs).
func (b *builder) plannedTarget(tg *cloud.TargetGroup, p *TargetParams) (reach.Target, bool) {
	if p.InstanceID != "" {
		in, ok := b.world.Instance(p.InstanceID)
		if !ok {
			return reach.Target{}, false
		}
		return reach.Target{ID: in.ID, AZ: in.AZ, Subnet: in.SubnetID, Groups: in.SecurityGroupIDs, Port: targetPort(tg, p.Port)}, true
	}
	l, ok := b.steps[p.InstanceStep]
	if !ok || l.Launch == nil {
		return reach.Target{}, false
	}
	name := cmpOr(p.Name, p.InstanceStep)
	return reach.Target{ID: name, AZ: l.Launch.AZ, Subnet: l.Launch.SubnetID, Groups: l.Launch.SecurityGroupIDs, Port: targetPort(tg, p.Port)}, true
}

func targetPort(tg *cloud.TargetGroup, port int32) int32 {
	if port != 0 {
		return port
	}
	return tg.Port
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// zoneServes reports whether the node of lb in az (subnet) can serve every target group
// behind lb that will have targets; why says what stops it when it cannot, as a predicate
// of the node ("reaches no target of web-tg: ..."). With the network
// not read, every zone is taken to serve (Build warns instead).
func (b *builder) zoneServes(lb *cloud.LoadBalancer, tgs []*cloud.TargetGroup, az, subnet string) (ok bool, why string) {
	if !b.world.NetworkRead {
		return true, ""
	}
	net := reach.FromWorld(b.world)
	node := reach.Node{AZ: az, Subnet: subnet, Groups: lb.SecurityGroups}
	for _, tg := range tgs {
		targets := b.futureTargets(tg)
		if len(targets) == 0 {
			continue // nothing to reach from any zone: 503 everywhere, not a zone's fault
		}
		crossZone := reach.CrossZone(tg.Attributes)
		ok, blocks := net.Serves(node, targets, crossZone)
		switch {
		case ok:
			continue
		case len(blocks) == 0:
			return false, fmt.Sprintf("has nothing to send to: cross-zone load balancing is off for %s and %s will hold none of its targets", tg.Name, az)
		default:
			return false, fmt.Sprintf("reaches no target of %s: %s", tg.Name, blockWords(blocks))
		}
	}
	return true, ""
}

// blockWords says why a node reaches no target: one reason per blocking rule (at most
// three), each naming the first target it stops and then the others it stops too.
func blockWords(blocks []*reach.Blocked) string {
	var rules []string
	byRule := map[string][]*reach.Blocked{}
	for _, bl := range blocks {
		if byRule[bl.Rule] == nil {
			rules = append(rules, bl.Rule)
		}
		byRule[bl.Rule] = append(byRule[bl.Rule], bl)
	}
	var parts []string
	for _, r := range rules {
		first, also := byRule[r][0], byRule[r][1:]
		part := first.Error()
		if len(also) > 0 {
			var ids []string
			for _, bl := range also {
				ids = append(ids, bl.Target.ID)
			}
			part += ", and likewise " + strings.Join(ids, ", ")
		}
		parts = append(parts, part)
	}
	if len(parts) > 3 {
		return strings.Join(parts[:3], "; ") + fmt.Sprintf("; and %d more", len(parts)-3)
	}
	return strings.Join(parts, "; ")
}

// widenToTwo: zones = "targets" with targets in a single zone. An ALB needs two enabled
// zones, and a zone without targets serves through cross-zone load balancing as long as its
// node reaches a target, so the zone(s) the ALB has now whose nodes can serve are kept, in
// AZ order, until there are two. A zone whose node cannot serve is left to be trimmed.
func (b *builder) widenToTwo(lb *cloud.LoadBalancer, tgs []*cloud.TargetGroup, current, desired map[string]string) {
	for _, az := range slices.Sorted(maps.Keys(current)) {
		if len(desired) >= 2 {
			return
		}
		if _, ok := desired[az]; ok {
			continue
		}
		if ok, _ := b.zoneServes(lb, tgs, az, current[az]); ok {
			desired[az] = current[az]
		}
	}
}

// checkServing refuses a plan that keeps or gains a zone whose node cannot serve. Explicit
// zones name the rule and the node; with zones = "targets" such a zone holds targets (the
// others were trimmed or never kept), so trimming it would leave them unused.
func (b *builder) checkServing(l *specs.LoadBalancer, lb *cloud.LoadBalancer, tgs []*cloud.TargetGroup, desired map[string]string) bool {
	ok := true
	for _, az := range slices.Sorted(maps.Keys(desired)) {
		serves, why := b.zoneServes(lb, tgs, az, desired[az])
		if serves {
			continue
		}
		ok = false
		hint := "Let the rule admit the node's subnet, or leave " + az + " out of zones."
		if l.ZonesFromTargets {
			hint = "The zone holds targets, so it cannot be trimmed (they would stay unused): let the rule admit the node's subnet, or move the fleet's targets out of " + az + "."
		}
		b.errorf(l.ZonesRange, "Zone cannot serve",
			"load_balancer %q: the load balancer node in %s (subnet %s) of %s %s. Its share of the requests would get 504 (503 with no target to send to). %s",
			l.Label, az, desired[az], l.Name, why, hint)
	}
	return ok
}

// unservingZones says, for an ALB left with fewer than two zones, why none of the zones it
// has now could be kept.
func (b *builder) unservingZones(lb *cloud.LoadBalancer, current, desired map[string]string) string {
	var parts []string
	for _, az := range slices.Sorted(maps.Keys(current)) {
		if _, ok := desired[az]; ok {
			continue
		}
		if ok, why := b.zoneServes(lb, b.targetGroupsOf(lb), az, current[az]); !ok {
			parts = append(parts, "the node in "+az+" "+why)
		}
	}
	if len(parts) == 0 {
		return " Add a zone block with count > 0 for another AZ."
	}
	return " The zones " + lb.Name + " has now cannot serve: " + strings.Join(parts, "; ") + ". Let the rules admit a node, or add a zone block with count > 0 for another AZ."
}

// withAcrossZones marks the kept AZs where some target group behind the load balancer will
// hold no target: their nodes serve through cross-zone load balancing, so the engine waits
// for a healthy target in some kept AZ rather than in them before it trims.
func (b *builder) withAcrossZones(p *ZonesParams, tgs []*cloud.TargetGroup) *ZonesParams {
	for _, az := range p.AZs {
		for _, tg := range tgs {
			if !slices.ContainsFunc(b.futureTargets(tg), func(t reach.Target) bool { return t.AZ == az }) {
				p.AcrossZones = append(p.AcrossZones, az)
				break
			}
		}
	}
	return p
}
