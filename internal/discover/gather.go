package discover

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/reach"
)

// Facts gathers everything the spec is written from: the source (an instance ID or exact
// Name tag), its target group behind an ALB (wantTG when it is in several), the load
// balancers, the source VPC's subnets and security groups from the region read, and the
// offerings of the source's type in the load balancers' zones (one more read).
func (a *Account) Facts(ctx context.Context, source, wantTG string) (*Facts, error) {
	in, err := a.resolveSource(source)
	if err != nil {
		return nil, err
	}
	f := &Facts{Source: sourceOf(in)}
	if f.Source.Name != "" {
		f.Source.NameUnique = len(a.namedLive(f.Source.Name)) == 1
	}
	tg, err := a.targetGroupOf(f.Source, wantTG)
	if err != nil {
		return nil, err
	}
	f.TG = targetGroupFrom(tg)
	for _, lb := range a.albsOf(tg) {
		f.LBs = append(f.LBs, loadBalancerFrom(lb))
	}
	a.network(f)
	f.net, f.targets = reach.FromWorld(a.World), a.reachTargets(tg)
	if err := a.offerings(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// targetGroupOf is the target group behind an ALB that src is registered in: the one named
// wantTG, or the only one.
func (a *Account) targetGroupOf(src Source, wantTG string) (*cloud.TargetGroup, error) {
	tgs := a.registered()[src.ID]
	if len(tgs) == 0 {
		return nil, a.unknownSource(fmt.Sprintf("%s%s is not a registered target of any target group behind an Application Load Balancer: albctl scales what already sits behind one", src.ID, QuotedName(src.Name)))
	}
	var names []string
	var tg *cloud.TargetGroup
	for _, t := range tgs {
		names = append(names, t.Name)
		if wantTG != "" && t.Name == wantTG {
			tg = t
		}
	}
	slices.Sort(names)
	switch {
	case wantTG != "" && tg == nil:
		return nil, fmt.Errorf("-target-group %s: %s is not registered in it; it is in %s", wantTG, src.ID, strings.Join(names, ", "))
	case wantTG == "" && len(tgs) > 1:
		return nil, fmt.Errorf("%s is a registered target of %d target groups behind an Application Load Balancer (%s): choose one with -target-group NAME", src.ID, len(tgs), strings.Join(names, ", "))
	case wantTG == "":
		tg = tgs[0]
	}
	return tg, nil
}

func sourceOf(in cloud.Instance) Source {
	return Source{
		ID: in.ID, Name: in.Tags["Name"], AZ: in.AZ, Subnet: in.SubnetID, VPC: in.VpcID,
		Type: in.InstanceType, Image: in.ImageID, State: in.State, Profile: in.IAMProfileARN,
		Groups: slices.Sorted(slices.Values(in.SecurityGroupIDs)),
	}
}

func targetGroupFrom(tg *cloud.TargetGroup) TargetGroup {
	hc := tg.HealthCheck
	t := TargetGroup{
		ARN: tg.ARN, Name: tg.Name, Protocol: tg.Protocol, Port: tg.Port, VPC: tg.VpcID,
		HC: HealthCheck{
			Protocol: hc.Protocol, Port: hc.Port, Path: hc.Path, Matcher: hc.Matcher,
			Interval: hc.IntervalSeconds, Timeout: hc.TimeoutSeconds, Healthy: hc.HealthyThreshold, Unhealthy: hc.UnhealthyThreshold,
		},
		Attributes: map[string]string{},
	}
	for k, v := range tg.Attributes {
		t.Attributes[k] = v
	}
	for _, target := range tg.Targets {
		state := target.State
		if state == "" {
			state = "unknown"
		}
		t.Targets = append(t.Targets, target.ID+" ("+state+")")
	}
	slices.Sort(t.Targets)
	return t
}

func loadBalancerFrom(lb *cloud.LoadBalancer) LoadBalancer {
	l := LoadBalancer{ARN: lb.ARN, Name: lb.Name, Scheme: lb.Scheme, VPC: lb.VpcID, Groups: slices.Sorted(slices.Values(lb.SecurityGroups))}
	for _, z := range lb.Zones {
		l.Zones = append(l.Zones, LBZone{AZ: z.AZ, Subnet: z.SubnetID})
	}
	slices.SortFunc(l.Zones, func(x, y LBZone) int { return strings.Compare(x.AZ, y.AZ) })
	return l
}

// network takes from the region read the subnets of the source's VPC (and so the blocks of
// the load balancers' subnets) and the source's security groups: what the second zone is
// chosen by.
func (a *Account) network(f *Facts) {
	for _, s := range a.World.Subnets {
		if s.VpcID == f.Source.VPC {
			f.Subnets = append(f.Subnets, Subnet{ID: s.ID, AZ: s.AZ, CIDR: s.CIDR, Name: s.Tags["Name"]})
		}
	}
	slices.SortFunc(f.Subnets, func(x, y Subnet) int { return strings.Compare(x.ID, y.ID) })
	for i := range f.LBs {
		for j := range f.LBs[i].Zones {
			z := &f.LBs[i].Zones[j]
			if s, ok := f.subnet(z.Subnet); ok {
				z.CIDR = s.CIDR
			}
		}
	}
	var missing []string
	for _, id := range f.Source.Groups {
		i := slices.IndexFunc(a.World.SecurityGroups, func(g cloud.SecurityGroup) bool { return g.ID == id })
		if i < 0 {
			missing = append(missing, id)
			continue
		}
		f.Groups = append(f.Groups, a.World.SecurityGroups[i])
	}
	if len(missing) > 0 {
		f.Groups = nil
		f.GroupsUnread = fmt.Sprintf("could not find security groups %s in the region", strings.Join(missing, ", "))
	}
}

// offerings reads where the source's instance type is offered among the load balancers'
// zones (cloud.ReadOfferings).
func (a *Account) offerings(ctx context.Context, f *Facts) error {
	var zones []string
	for _, lb := range f.LBs {
		for _, z := range lb.Zones {
			if !slices.Contains(zones, z.AZ) {
				zones = append(zones, z.AZ)
			}
		}
	}
	if f.Source.Type == "" || len(zones) == 0 {
		return nil
	}
	got, err := cloud.ReadOfferings(ctx, a.ec2, []string{f.Source.Type}, zones)
	if err != nil {
		return err
	}
	f.Offered = map[string]bool{}
	for _, o := range got {
		f.Offered[o.AZ] = true
	}
	return nil
}

// reachTargets are tg's registered targets that are not draining, as the planner counts
// them (its future targets before any step): an instance the region holds, on its port.
func (a *Account) reachTargets(tg *cloud.TargetGroup) []reach.Target {
	var out []reach.Target
	for _, t := range tg.Targets {
		i := slices.IndexFunc(a.World.Instances, func(in cloud.Instance) bool { return in.ID == t.ID })
		if i < 0 || t.State == "draining" {
			continue
		}
		in := a.World.Instances[i]
		port := t.Port
		if port == 0 {
			port = tg.Port
		}
		out = append(out, reach.Target{ID: in.ID, AZ: in.AZ, Subnet: in.SubnetID, Groups: in.SecurityGroupIDs, Port: port})
	}
	return out
}
