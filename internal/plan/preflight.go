package plan

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/safefile"
	"github.com/albctl/albctl/internal/specs"
)

// preflight checks what must hold before anything else is planned: the region, and that
// every target group, load balancer and source the spec names exists. The checks that need
// the planned launches (instance type offerings, free addresses) run in checkLaunches.
func (b *builder) preflight() {
	if want, have := b.stack.Cloud.Region, b.world.Region; want != "" && have != "" && want != have {
		b.errorf(b.stack.Cloud.DeclRange, "Region mismatch",
			"the spec is for region %s, but albctl is talking to %s: planning there would look for the spec's resources in the wrong region. Use --region %s, or fix cloud.region.", want, have, want)
	}
	for i := range b.stack.TargetGroups {
		tg := &b.stack.TargetGroups[i]
		if _, ok := b.world.TargetGroup(tg.Name); !ok {
			b.errorf(tg.DeclRange, "Target group not found",
				"target group %q does not exist. albctl scales what sits behind an existing target group; it does not create one.", tg.Name)
		}
	}
	for i := range b.stack.LoadBalancers {
		l := &b.stack.LoadBalancers[i]
		if _, ok := b.world.LoadBalancer(l.Name); !ok {
			b.errorf(l.DeclRange, "Load balancer not found", "load balancer %q does not exist. albctl manages the zones of an existing ALB; it does not create one.", l.Name)
		}
	}
	b.checkAlarms()
}

// checkAlarms refuses an alarm a rollout's gates name that the account does not have: the
// gate could not read it and would trip at its first checkpoint, rolling back a rollout
// that nothing was wrong with (docs/plans.md, "Gates, checkpoints and rollback"). Observe
// read the names (DescribeAlarms, metric and composite alarms).
func (b *builder) checkAlarms() {
	if !b.world.AlarmsRead {
		return
	}
	for i := range b.stack.Fleets {
		f := &b.stack.Fleets[i]
		rng := f.Rollout.Gates.AlarmsRange
		if rng.Filename == "" {
			rng = f.Rollout.DeclRange
		}
		for _, a := range f.Rollout.Gates.Alarms {
			if !slices.Contains(b.world.Alarms, a) {
				b.errorf(rng, "CloudWatch alarm not found",
					"fleet %q: the rollout's gates watch alarm %q, which CloudWatch does not have in %s (DescribeAlarms lists no metric or composite alarm of that name). A gate that cannot read its alarm trips at once, so the rollout would roll back at its first checkpoint. Create the alarm first, or fix the name.", f.Label, a, cmp.Or(b.world.Region, "this region"))
			}
		}
	}
}

// source finds a fleet's source instance and checks that it can be imaged and served from.
func (b *builder) source(f *specs.Fleet) (*cloud.Instance, bool) {
	sources := b.world.Sources(f.Source, f.SourceIsPattern)
	switch {
	case len(sources) == 0 && f.SourceIsPattern:
		b.errorf(f.SourceRange, "Source instance not found",
			"fleet %q: the Name tag of no live instance albctl did not launch matches the pattern %s", f.Label, safefile.Quote(f.Source))
		return nil, false
	case len(sources) == 0:
		b.errorf(f.SourceRange, "Source instance not found",
			"fleet %q: no live instance matches %s (an instance ID, or the exact Name tag of an instance albctl did not launch; source_pattern takes a pattern)", f.Label, safefile.Quote(f.Source))
		return nil, false
	case len(sources) > 1:
		var ids []string
		for _, s := range sources {
			if f.SourceIsPattern {
				ids = append(ids, s.ID+" "+safefile.Quote(s.Tags["Name"]))
			} else {
				ids = append(ids, s.ID)
			}
		}
		how := "are named"
		if f.SourceIsPattern {
			how = "have a Name tag matching"
		}
		b.errorf(f.SourceRange, "Ambiguous source instance",
			"fleet %q: %d live instances %s %s (%s); name the source by instance ID", f.Label, len(sources), how, safefile.Quote(f.Source), strings.Join(ids, ", "))
		return nil, false
	}
	src := sources[0]
	switch src.State {
	case "running", "stopped":
	case "pending":
		if f.Image.ID == "" {
			b.errorf(f.SourceRange, "Source instance is starting",
				"fleet %q: source %s is pending; CreateImage needs a running or stopped instance. Plan again once it runs.", f.Label, src.ID)
			return nil, false
		}
	default:
		b.errorf(f.SourceRange, "Source instance is stopping",
			"fleet %q: source %s is %s; CreateImage needs a running or stopped instance, and a stopping one can be neither imaged nor registered. Plan again once it has stopped or been started.", f.Label, src.ID, src.State)
		return nil, false
	}
	return src, true
}

// profile resolves the fleet's IAM instance profile ("" for none) and checks that it exists,
// so that a launch never fails on it after the source was rebooted for its image.
func (b *builder) profile(f *specs.Fleet, src *cloud.Instance) (string, bool) {
	p := f.IAMInstanceProfile
	if p == specs.InheritProfile {
		if src.IAMProfileARN == "" {
			b.warnf("fleet %q: source %s has no IAM instance profile, so new instances get none (iam_instance_profile = \"inherit\")", f.Label, src.ID)
		}
		return src.IAMProfileARN, true
	}
	for _, ip := range b.world.InstanceProfiles {
		if ip.ARN == p || ip.Name == p {
			return p, true
		}
	}
	b.errorf(f.IAMInstanceProfileRange, "IAM instance profile not found",
		"fleet %q: IAM has no instance profile %q, so every launch would fail with InvalidParameterValue (after the source was imaged). Create it first, or fix the name.", f.Label, profileName(p))
	return "", false
}

// checkLaunches checks the planned launches against what EC2 offers: the instance type in
// each zone, and a free address in each subnet for every launch into it.
func (b *builder) checkLaunches() {
	perSubnet := map[string]int{}
	type typeAZ struct{ typ, az string }
	needed := map[typeAZ][]string{}
	fleetOf := map[string]*specs.Fleet{}
	for i := range b.stack.Fleets {
		fleetOf[b.stack.Fleets[i].Label] = &b.stack.Fleets[i]
	}
	for _, s := range b.steps {
		if s.Kind != LaunchInstance {
			continue
		}
		perSubnet[s.Launch.SubnetID]++
		k := typeAZ{s.Launch.InstanceType, s.Launch.AZ}
		needed[k] = append(needed[k], s.Launch.Tags[cloud.TagFleet])
	}
	if b.world.OfferingsRead {
		offered := map[typeAZ]bool{}
		for _, o := range b.world.Offerings {
			offered[typeAZ{o.InstanceType, o.AZ}] = true
		}
		keys := slices.SortedFunc(maps.Keys(needed), func(a, c typeAZ) int {
			return strings.Compare(a.az+" "+a.typ, c.az+" "+c.typ)
		})
		for _, k := range keys {
			if offered[k] {
				continue
			}
			f := fleetOf[needed[k][0]]
			b.errorf(f.DeclRange, "Instance type not offered in zone",
				"fleet %q: EC2 does not offer %s in %s (DescribeInstanceTypeOfferings), so RunInstances would fail with Unsupported. Choose another instance_type, or another zone.", f.Label, k.typ, k.az)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(perSubnet)) {
		sn, ok := b.world.Subnet(id)
		if !ok {
			continue // reported where the subnet was chosen
		}
		if n := perSubnet[id]; int64(n) > int64(sn.AvailableIPs) {
			b.errorf(b.fleetRangeForSubnet(id), "Subnet has too few free addresses",
				"subnet %s (%s) has %d free IP addresses; the plan launches %d instance(s) into it, so RunInstances would fail with InsufficientFreeAddressesInSubnet. Free addresses, or name another subnet in the zone block.", id, sn.AZ, sn.AvailableIPs, n)
		}
	}
}

// fleetRangeForSubnet points at the zone block that launches into subnet id.
func (b *builder) fleetRangeForSubnet(id string) hcl.Range {
	for _, s := range sortedSteps(b.steps) {
		if s.Kind != LaunchInstance || s.Launch.SubnetID != id {
			continue
		}
		for _, f := range b.stack.Fleets {
			if f.Label != s.Launch.Tags[cloud.TagFleet] {
				continue
			}
			for _, z := range f.Zones {
				if z.AZ == s.Launch.AZ {
					return z.DeclRange
				}
			}
			return f.DeclRange
		}
	}
	return b.stack.Cloud.DeclRange
}

func profileName(p string) string {
	if i := strings.LastIndex(p, "/"); strings.HasPrefix(p, "arn:") && i >= 0 {
		return p[i+1:]
	}
	return p
}

func profileMatches(arn, want string) bool {
	if arn == "" {
		return false
	}
	if strings.HasPrefix(want, "arn:") {
		return arn == want
	}
	return strings.HasSuffix(arn, "/"+want)
}
