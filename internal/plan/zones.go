package plan

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// loadBalancers plans the zone changes of every load balancer: add the AZs that will hold
// targets (once their instances run), and trim the ones that will not (once the kept zones
// serve and the trimmed zones are empty).
func (b *builder) loadBalancers() {
	for i := range b.stack.LoadBalancers {
		b.loadBalancer(&b.stack.LoadBalancers[i])
	}
}

// targetGroupsOf returns the observed target groups a load balancer forwards to.
func (b *builder) targetGroupsOf(lb *cloud.LoadBalancer) []*cloud.TargetGroup {
	var tgs []*cloud.TargetGroup
	for i := range b.world.TargetGroups {
		tg := &b.world.TargetGroups[i]
		if slices.Contains(tg.LoadBalancerARNs, lb.ARN) {
			tgs = append(tgs, tg)
		}
	}
	return tgs
}

// desiredZones is the AZ -> subnet set the spec asks of the ALB ("" where the subnet is still
// to be chosen).
func (b *builder) desiredZones(l *specs.LoadBalancer, lb *cloud.LoadBalancer, tgs []*cloud.TargetGroup) (map[string]string, bool) {
	desired := map[string]string{}
	served := map[string]bool{}
	anyFleet := false
	for _, tg := range tgs {
		if b.zonesWanted[tg.Name] != nil {
			anyFleet = true
		}
		for az := range b.zonesWanted[tg.Name] {
			served[az] = true
		}
	}
	if l.ZonesFromTargets {
		if !anyFleet {
			b.errorf(l.ZonesRange, "No fleet behind this load balancer",
				"load_balancer %q: zones = \"targets\", but no fleet's target group is attached to %s (through a listener)", l.Label, l.Name)
			return nil, false
		}
		for az := range served {
			desired[az] = ""
		}
		return desired, true
	}
	for _, z := range l.Zones {
		if strings.HasPrefix(z, "subnet-") {
			s, ok := b.world.Subnet(z)
			if !ok {
				b.errorf(l.ZonesRange, "Subnet not found", "load_balancer %q: subnet %s does not exist in %s", l.Label, z, lb.VpcID)
				continue
			}
			desired[s.AZ] = s.ID
		} else {
			desired[z] = ""
		}
	}
	var uncovered []string
	for _, az := range slices.Sorted(maps.Keys(served)) {
		if _, ok := desired[az]; !ok {
			uncovered = append(uncovered, az)
		}
	}
	if len(uncovered) > 0 {
		b.errorf(l.ZonesRange, "Zones leave out targets",
			"load_balancer %q: zones does not include %s, where fleets behind %s have targets: targets there would stay unused (Target.NotInUse) and never pass a health check. Add the zone(s), or use zones = \"targets\".", l.Label, strings.Join(uncovered, ", "), l.Name)
		return nil, false
	}
	return desired, true
}

func (b *builder) loadBalancer(l *specs.LoadBalancer) {
	lb, ok := b.world.LoadBalancer(l.Name)
	if !ok {
		return // reported by preflight
	}
	tgs := b.targetGroupsOf(lb)
	desired, ok := b.desiredZones(l, lb, tgs)
	if !ok {
		return
	}
	current := map[string]string{} // az -> subnet
	for _, z := range lb.Zones {
		current[z.AZ] = z.SubnetID
	}
	if l.ZonesFromTargets && len(desired) < 2 {
		b.widenToTwo(lb, tgs, current, desired)
	}
	if !b.chooseSubnets(l, lb, current, desired) || !b.checkServing(l, lb, tgs, desired) {
		return
	}
	if !b.world.NetworkRead {
		b.warnf("load balancer %s: not checked that each zone's node reaches a target: the security groups and network ACLs were not read", l.Name)
	}
	var tgARNs []string
	for _, tg := range tgs {
		tgARNs = append(tgARNs, tg.ARN)
	}
	sort.Strings(tgARNs)

	// Add the new AZs first, keeping the current ones: SetSubnets replaces the whole set.
	var added []string
	afterAdd := maps.Clone(current)
	for _, az := range slices.Sorted(maps.Keys(desired)) {
		if _, ok := current[az]; !ok {
			added = append(added, az)
			afterAdd[az] = desired[az]
		}
	}
	if len(added) > 0 {
		b.add(&Step{
			ID:       "add_zones." + l.Label,
			Kind:     AddZones,
			Resource: "load balancer " + l.Name,
			Reason:   fmt.Sprintf("targets will run in %s: the ALB must be enabled there, or they stay unused (Target.NotInUse); enabled once they run, so the new zone is empty only while they pass their first health check", strings.Join(added, ", ")),
			Zones:    zonesParams(lb.ARN, afterAdd, added, nil, tgARNs),
		})
	}
	if maps.Equal(afterAdd, desired) {
		return
	}
	// Then trim to exactly the desired set, once every kept zone serves and every trimmed
	// zone is empty.
	var removed []string
	for _, az := range slices.Sorted(maps.Keys(afterAdd)) {
		if desired[az] != afterAdd[az] {
			removed = append(removed, az)
		}
	}
	b.add(&Step{
		ID:       "trim_zones." + l.Label,
		Kind:     TrimZones,
		Resource: "load balancer " + l.Name,
		Reason:   b.trimReason(l, lb, tgs, removed, desired),
		Zones:    b.withAcrossZones(zonesParams(lb.ARN, desired, nil, removed, tgARNs), tgs),
	})
}

// trimReason says, for each AZ trimmed, what is there and why it goes.
func (b *builder) trimReason(l *specs.LoadBalancer, lb *cloud.LoadBalancer, tgs []*cloud.TargetGroup, removed []string, desired map[string]string) string {
	var parts []string
	for _, az := range removed {
		switch {
		case desired[az] != "":
			parts = append(parts, az+" moves to subnet "+desired[az])
		case b.leavingTargets(tgs, az) > 0:
			parts = append(parts, fmt.Sprintf("%s loses its last %d target(s) in this plan: trimmed once they have drained and terminated, or its node would answer 503/504", az, b.leavingTargets(tgs, az)))
		case l.ZonesFromTargets:
			parts = append(parts, b.noTargetsReason(lb, tgs, az))
		default:
			parts = append(parts, az+" is not in the spec's zones")
		}
	}
	return strings.Join(parts, "; ") + " (each enabled AZ gets a load balancer node and its share of DNS answers)"
}

// noTargetsReason says why zones = "targets" trims a zone that will hold no targets: its
// node cannot reach any (naming the rule), or, when it could, that it is not needed: two
// zones holding targets, or kept zones that serve, are enough.
func (b *builder) noTargetsReason(lb *cloud.LoadBalancer, tgs []*cloud.TargetGroup, az string) string {
	if !b.world.NetworkRead {
		return az + " has no targets: requests routed there risk 503/504"
	}
	subnet := ""
	for _, z := range lb.Zones {
		if z.AZ == az {
			subnet = z.SubnetID
		}
	}
	if ok, why := b.zoneServes(lb, tgs, az, subnet); !ok {
		return az + " has no targets, and its node " + why
	}
	return az + " has no targets: zones = \"targets\" keeps only the zones holding them (and, with targets in one zone, one more whose node reaches them)"
}

// leavingTargets counts the registered targets in az that this plan deregisters.
func (b *builder) leavingTargets(tgs []*cloud.TargetGroup, az string) int {
	n := 0
	for _, s := range b.steps {
		if s.Kind == DeregisterTarget && s.Target.AZ == az {
			for _, tg := range tgs {
				if tg.ARN == s.Target.TargetGroupARN {
					n++
				}
			}
		}
	}
	return n
}

func zonesParams(arn string, set map[string]string, added, removed, tgARNs []string) *ZonesParams {
	p := &ZonesParams{LoadBalancerARN: arn, Added: added, Removed: removed, TargetGroupARNs: tgARNs}
	for _, az := range slices.Sorted(maps.Keys(set)) {
		p.AZs = append(p.AZs, az)
		p.SubnetIDs = append(p.SubnetIDs, set[az])
	}
	sort.Strings(p.SubnetIDs)
	return p
}

// chooseSubnets fills in the subnet of each desired AZ that has none yet: the one the ALB uses
// there now, else the only subnet of its VPC in that AZ. It reports false when the set cannot
// be an ALB's (no or several subnets, fewer than two zones).
func (b *builder) chooseSubnets(l *specs.LoadBalancer, lb *cloud.LoadBalancer, current, desired map[string]string) bool {
	for _, az := range slices.Sorted(maps.Keys(desired)) {
		if desired[az] != "" {
			continue
		}
		if s, ok := current[az]; ok {
			desired[az] = s
			continue
		}
		subnets := b.world.SubnetsIn(lb.VpcID, az)
		switch len(subnets) {
		case 0:
			b.errorf(l.ZonesRange, "No subnet in zone", "load_balancer %q: VPC %s of %s has no subnet in %s", l.Label, lb.VpcID, l.Name, az)
		case 1:
			desired[az] = subnets[0].ID
		default:
			var ids []string
			for _, s := range subnets {
				ids = append(ids, s.ID)
			}
			b.errorf(l.ZonesRange, "Several subnets in zone", "load_balancer %q: VPC %s has %d subnets in %s (%s); list the one to use in zones", l.Label, lb.VpcID, len(subnets), az, strings.Join(ids, ", "))
		}
	}
	if len(desired) < 2 {
		more := ""
		if l.ZonesFromTargets {
			more = b.unservingZones(lb, current, desired)
		}
		b.errorf(l.ZonesRange, "An ALB needs two zones", "load_balancer %q: %s would span %d Availability Zone(s) %v; AWS requires at least two, each able to serve.%s", l.Label, l.Name, len(desired), slices.Sorted(maps.Keys(desired)), more)
		return false
	}
	return true
}
