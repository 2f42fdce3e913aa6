package integration

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// scenario is a world and a spec to apply to both the simulator and moto.
//
// Each side gets to the scenario's starting point by its own behaviour: moto is seeded with the
// world's resources but not with the simulator's target group attributes (see
// seedIndependently), and a state that takes an apply to reach (a converged fleet) is reached
// by converging before on each side, never by copying the simulator's result into moto. So a
// default or a rule the simulator gets wrong shows as a difference instead of being copied.
type scenario struct {
	name   string
	world  func(t *testing.T) *simulator.World
	before func(t *testing.T) string // a spec directory to converge first, on each side; optional
	spec   func(t *testing.T) string // a spec directory
}

func scenarios() []scenario {
	blog := func(t *testing.T) string { return repoPath("examples/blog") }
	return []scenario{
		{
			// The seed scenario: bake, launch in 1d, stickiness, register, trim 1c.
			name:  "blog",
			world: func(t *testing.T) *simulator.World { return simulator.SeedWorld() },
			spec:  blog,
		},
		{
			// A fleet zone the ALB is not enabled in yet: 1c must be added before a target
			// there is registered. web-sg admits the whole VPC, so the 1c node reaches the
			// targets (else the plan refuses the zone: docs/design.md, "Zones and
			// reachability").
			name: "new-zone",
			world: func(t *testing.T) *simulator.World {
				w := simulator.SeedWorld()
				for i := range w.SecurityGroups {
					if w.SecurityGroups[i].ID == simulator.SeedWebSG {
						w.SecurityGroups[i].Ingress = &[]simulator.IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.0.0/16"}}}
					}
				}
				lb := &w.LoadBalancers[0]
				lb.Subnets = slices.DeleteFunc(lb.Subnets, func(s simulator.LBSubnet) bool { return s.AZ == "ap-northeast-1c" })
				return w
			},
			spec: func(t *testing.T) string {
				return blogWithZones(t, "ap-northeast-1a=1", "ap-northeast-1c=1", "ap-northeast-1d=1")
			},
		},
		{
			// From the converged blog world (source plus one member, sticky, two zones) to
			// three instances: the image exists, so only a launch and a registration.
			name:   "scale-2-to-3",
			world:  func(t *testing.T) *simulator.World { return simulator.SeedWorld() },
			before: blog,
			spec: func(t *testing.T) string {
				return blogWithZones(t, "ap-northeast-1a=2", "ap-northeast-1d=1")
			},
		},
	}
}

func simAPI(s *simulator.Sim) cloud.API {
	return cloud.API{EC2: s.EC2(), ELBV2: s.ELBV2(), IAM: s.IAM()}
}

// TestDifferential applies each scenario to the simulator and to moto, observes both with
// cloud.Observe (the same code path), and compares the two worlds with IDs replaced by
// placeholders named after each resource's role, and time stamps removed. Any difference
// fails, except the few fields where moto is known to be simpler than AWS (see reconcile).
func TestDifferential(t *testing.T) {
	motoEndpoint(t) // skip (or fail under CI) before building any scenario
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			dir := sc.spec(t)
			stack := loadStack(t, dir)

			simWorld := sc.world(t)
			simRoles := worldRoles(simWorld)
			sim := simulator.New(simWorld)
			if sc.before != nil {
				testkit.Converge(t, "simulator (before)", simAPI(sim), sim.Clock(), loadStack(t, sc.before(t)))
			}
			simStart := sim.Clock().Now()
			simPlans := testkit.Converge(t, "simulator", simAPI(sim), sim.Clock(), stack)
			t.Logf("simulator: %d steps in %s simulated", len(simPlans[0].Steps), sim.Clock().Now().Sub(simStart))
			simObserved := observe(t, simAPI(sim), stack)

			mo := newMoto(t)
			w := sc.world(t)
			seeded := mo.seed(t, seedIndependently(w))
			motoRoles := worldRoles(w).through(seeded.IDs)
			if sc.before != nil {
				testkit.Converge(t, "moto (before)", mo.api(), motoClock(), loadStack(t, sc.before(t)))
			}
			start := time.Now()
			motoPlans := testkit.Converge(t, "moto", mo.api(), motoClock(), stack)
			t.Logf("moto: %d steps in %s", len(motoPlans[0].Steps), time.Since(start).Round(time.Millisecond))
			motoObserved := observe(t, mo.api(), stack)

			// The same plans, round by round: a simulator that needs a second round where
			// moto needs one (or the reverse) differs even if both end in the same world.
			if got, want := rounds(motoPlans), rounds(simPlans); got != want {
				t.Errorf("the plans differ\nmoto:\n%s\nsimulator:\n%s", got, want)
			}
			a, b := normalise(simObserved, simRoles), normalise(motoObserved, motoRoles)
			for _, note := range reconcile(a, b) {
				t.Logf("known difference: %s", note)
			}
			for _, tg := range a.TargetGroups {
				for _, k := range mustCompareAttributes {
					if _, ok := tg.Attributes[k]; !ok {
						t.Errorf("%s: attribute %s is not listed by both sides, so its value is not compared", tg.ARN, k)
					}
				}
			}
			if diff := gocmp.Diff(a, b); diff != "" {
				t.Errorf("the simulator and moto end in different worlds (-simulator +moto):\n%s", diff)
			}
		})
	}
}

// mustCompareAttributes are the target group attributes whose values (the simulator's defaults,
// then what the apply set) the comparison must cover: both moto and the simulator list them.
var mustCompareAttributes = []string{
	"deregistration_delay.timeout_seconds",
	"load_balancing.algorithm.type",
	"load_balancing.cross_zone.enabled",
	"slow_start.duration_seconds",
	"stickiness.enabled",
	"stickiness.lb_cookie.duration_seconds",
	"stickiness.type",
}

// seedIndependently returns a copy of w to seed moto with, without target group attributes.
// A simulator world lists every attribute with the simulator's own default filled in; seeding
// those into moto would make moto agree with the simulator by construction, so that a wrong
// default (a deregistration delay of 30 s instead of AWS's 300 s) could never show. Without
// them, moto's target groups keep moto's defaults and the comparison checks the simulator's.
func seedIndependently(w *simulator.World) *simulator.World {
	w.TargetGroups = slices.Clone(w.TargetGroups)
	for i := range w.TargetGroups {
		w.TargetGroups[i].Attributes = nil
	}
	return w
}

// roles maps IDs and ARNs to placeholders named after what the resource is for.
type roles map[string]string

// worldRoles names every resource of a world file by its role: its name, Name tag, AZ and
// CIDR, which are the same in the simulator and in moto, unlike IDs.
func worldRoles(w *simulator.World) roles {
	r := roles{}
	for _, v := range w.VPCs {
		r[v.ID] = "vpc:" + cmp.Or(v.Tags["Name"], v.CIDR)
	}
	for _, s := range w.Subnets {
		r[s.ID] = "subnet:" + s.AZ + ":" + s.CIDR
	}
	for _, g := range w.SecurityGroups {
		r[g.ID] = "sg:" + g.Name
	}
	for _, p := range w.InstanceProfiles {
		r[p.ARN] = "profile:" + p.Name
	}
	for _, im := range w.Images {
		r[im.ID] = "ami:" + im.Name
	}
	for _, in := range w.Instances {
		r[in.ID] = "i:" + cmp.Or(in.Tags["Name"], in.ID)
	}
	for _, tg := range w.TargetGroups {
		r[tg.ARN] = "tg:" + tg.Name
	}
	names := map[string]string{}
	for _, lb := range w.LoadBalancers {
		r[lb.ARN] = "lb:" + lb.Name
		names[lb.ARN] = lb.Name
	}
	for _, l := range w.Listeners {
		r[l.ARN] = fmt.Sprintf("listener:%s:%d", names[l.LoadBalancer], l.Port)
	}
	return r
}

// through re-keys the roles of a world by the endpoint IDs that Seed mapped its IDs to.
func (r roles) through(seeded map[string]string) roles {
	out := roles{}
	for worldID, endpointID := range seeded {
		if role, ok := r[worldID]; ok {
			out[endpointID] = role
		}
	}
	return out
}

// normalise returns a copy of w with every ID replaced by its role and time stamps removed,
// sorted by role. Resources the apply created (a baked image, a new member) are named by
// their name or Name tag; an ID nobody can name shows as "?ID" and fails the comparison.
func normalise(w *cloud.World, r roles) *cloud.World {
	r = maps.Clone(r)
	for _, im := range w.Images {
		if _, ok := r[im.ID]; !ok {
			r[im.ID] = "ami:" + im.Name
		}
	}
	for _, in := range w.Instances {
		if _, ok := r[in.ID]; !ok && in.Tags["Name"] != "" {
			r[in.ID] = "i:" + in.Tags["Name"]
		}
	}
	out := &cloud.World{Missing: slices.Clone(w.Missing)}
	for _, in := range w.Instances {
		out.Instances = append(out.Instances, r.instance(in))
	}
	for _, im := range w.Images {
		out.Images = append(out.Images, r.image(im))
		// The snapshots' tags must agree too (albctl tags the snapshots of what it bakes,
		// docs/security.md); state, size and time are the endpoint's.
		for i, sid := range im.SnapshotIDs {
			if j := slices.IndexFunc(w.Snapshots, func(sn cloud.Snapshot) bool { return sn.ID == sid }); j >= 0 {
				out.Snapshots = append(out.Snapshots, cloud.Snapshot{ID: fmt.Sprintf("snap:%s/%d", r.id(im.ID), i), Tags: maps.Clone(w.Snapshots[j].Tags)})
			}
		}
	}
	for _, s := range w.Subnets {
		s.ID, s.VpcID = r.id(s.ID), r.id(s.VpcID)
		s.Tags = maps.Clone(s.Tags)
		out.Subnets = append(out.Subnets, s)
	}
	for _, tg := range w.TargetGroups {
		out.TargetGroups = append(out.TargetGroups, r.targetGroup(tg))
	}
	for _, lb := range w.LoadBalancers {
		out.LoadBalancers = append(out.LoadBalancers, r.loadBalancer(lb))
	}
	slices.SortFunc(out.Instances, func(a, b cloud.Instance) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Images, func(a, b cloud.Image) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Snapshots, func(a, b cloud.Snapshot) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Subnets, func(a, b cloud.Subnet) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// id is the role of the ID s, "?s" when it has none.
func (r roles) id(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := r[s]; ok {
		return v
	}
	return "?" + s
}

// ids is the roles of list, sorted.
func (r roles) ids(list []string) []string {
	var out []string
	for _, s := range list {
		out = append(out, r.id(s))
	}
	slices.Sort(out)
	return out
}

func (r roles) instance(in cloud.Instance) cloud.Instance {
	in.ID, in.SubnetID, in.VpcID, in.ImageID = r.id(in.ID), r.id(in.SubnetID), r.id(in.VpcID), r.id(in.ImageID)
	in.IAMProfileARN = r.id(in.IAMProfileARN)
	in.SecurityGroupIDs = r.ids(in.SecurityGroupIDs)
	in.Tags = maps.Clone(in.Tags)
	in.LaunchTime = time.Time{}
	// What only a copy of the account reads: how the endpoint launched it.
	in.ClientToken, in.LaunchIndex, in.ReservationID, in.OwnerID = "", 0, "", ""
	return in
}

func (r roles) image(im cloud.Image) cloud.Image {
	im.ID = r.id(im.ID)
	im.Tags = maps.Clone(im.Tags)
	im.Created = time.Time{}
	// Snapshots are named by their image and position: how many there are must agree.
	snaps := make([]string, len(im.SnapshotIDs))
	for i := range snaps {
		snaps[i] = fmt.Sprintf("snap:%s/%d", im.ID, i)
	}
	im.SnapshotIDs = snaps
	return im
}

func (r roles) targetGroup(tg cloud.TargetGroup) cloud.TargetGroup {
	tg.ARN, tg.VpcID = r.id(tg.ARN), r.id(tg.VpcID)
	tg.LoadBalancerARNs = r.ids(tg.LoadBalancerARNs)
	tg.Attributes = maps.Clone(tg.Attributes)
	var targets []cloud.Target
	for _, t := range tg.Targets {
		t.ID = r.id(t.ID)
		targets = append(targets, t)
	}
	slices.SortFunc(targets, func(a, b cloud.Target) int { return cmp.Or(strings.Compare(a.ID, b.ID), cmp.Compare(a.Port, b.Port)) })
	tg.Targets = targets
	return tg
}

func (r roles) loadBalancer(lb cloud.LoadBalancer) cloud.LoadBalancer {
	lb.ARN, lb.VpcID = r.id(lb.ARN), r.id(lb.VpcID)
	var zones []cloud.LBZone
	for _, z := range lb.Zones {
		zones = append(zones, cloud.LBZone{AZ: z.AZ, SubnetID: r.id(z.SubnetID)})
	}
	lb.Zones = zones
	lb.DNSName, lb.Created = "", time.Time{} // the endpoint's name and time stamp
	lb.SecurityGroups = r.ids(lb.SecurityGroups)
	lb.Attributes = maps.Clone(lb.Attributes)
	var ls []cloud.Listener
	for _, l := range lb.Listeners {
		l.ARN, l.TargetGroupARN = r.id(l.ARN), r.id(l.TargetGroupARN)
		ls = append(ls, l)
	}
	lb.Listeners = ls
	return lb
}

// reconcile removes from both worlds the differences that come from moto being simpler than
// AWS in ways docs/aws-semantics.md lists, and says what it removed. Everything else is left for
// the comparison to catch.
func reconcile(sim, moto *cloud.World) []string {
	var notes []string
	// Free addresses: an ALB's node in a subnet takes an address there (AWS asks for eight
	// free ones per subnet), which the simulator counts and moto does not.
	for i := range sim.Subnets {
		s := &sim.Subnets[i]
		j := slices.IndexFunc(moto.Subnets, func(m cloud.Subnet) bool { return m.ID == s.ID })
		if j >= 0 && moto.Subnets[j].AvailableIPs != s.AvailableIPs {
			notes = append(notes, fmt.Sprintf("%s: %d free addresses in the simulator, %d in moto (moto does not count load balancer nodes)", s.ID, s.AvailableIPs, moto.Subnets[j].AvailableIPs))
			s.AvailableIPs = moto.Subnets[j].AvailableIPs
		}
	}
	notes = append(notes, reconcileLBs(sim, moto)...)
	for i := range sim.TargetGroups {
		s := &sim.TargetGroups[i]
		j := slices.IndexFunc(moto.TargetGroups, func(tg cloud.TargetGroup) bool { return tg.ARN == s.ARN })
		if j < 0 {
			continue
		}
		m := &moto.TargetGroups[j]
		// Attribute lists: the simulator lists every attribute AWS documents for an ALB
		// instance target group (faithful to AWS). moto lists fewer (no app_cookie,
		// anomaly_mitigation or target_group_health keys) and adds waf.fail_open.enabled,
		// which AWS has as a load balancer attribute, not a target group one. Keys listed on
		// one side only are dropped; values of keys both list must agree.
		var simOnly, motoOnly []string
		for _, k := range slices.Sorted(maps.Keys(s.Attributes)) {
			if _, ok := m.Attributes[k]; !ok {
				simOnly = append(simOnly, k)
				delete(s.Attributes, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(m.Attributes)) {
			if _, ok := s.Attributes[k]; !ok {
				motoOnly = append(motoOnly, k)
				delete(m.Attributes, k)
			}
		}
		if len(simOnly) > 0 {
			notes = append(notes, fmt.Sprintf("%s: attributes listed by the simulator only, as AWS lists them (moto does not): %s", s.ARN, strings.Join(simOnly, ", ")))
		}
		if len(motoOnly) > 0 {
			notes = append(notes, fmt.Sprintf("%s: attributes listed by moto only, which AWS does not list for a target group: %s", s.ARN, strings.Join(motoOnly, ", ")))
		}
		// Health: moto reports every registered target healthy at once, with no initial
		// state and no Target.NotInUse; the simulator models health checks and unused zones
		// as AWS does (faithful to AWS). Only that simplification is forgiven: moto healthy
		// where the simulator is initial or unused because of its zone.
		for k := range s.Targets {
			st := &s.Targets[k]
			l := slices.IndexFunc(m.Targets, func(t cloud.Target) bool { return t.ID == st.ID && t.Port == st.Port })
			if l < 0 {
				continue
			}
			mt := m.Targets[l]
			if mt.State == "healthy" && (st.State == "initial" || (st.State == "unused" && st.Reason == "Target.NotInUse")) {
				notes = append(notes, fmt.Sprintf("%s: target %s is %s (%s) in the simulator, healthy in moto (moto has no health checks)", s.ARN, st.ID, st.State, st.Reason))
				st.State, st.Reason = mt.State, mt.Reason
			}
		}
	}
	return notes
}

// reconcileLBs forgives moto's load balancer attributes: moto lists four of the keys AWS
// lists for an ALB (the others are dropped on both sides), and reports
// load_balancing.cross_zone.enabled "false", which for an ALB AWS always reports "true"
// (ALB guide, "Cross-zone load balancing": always on at the load balancer level).
func reconcileLBs(sim, moto *cloud.World) []string {
	var notes []string
	for i := range sim.LoadBalancers {
		s := &sim.LoadBalancers[i]
		j := slices.IndexFunc(moto.LoadBalancers, func(lb cloud.LoadBalancer) bool { return lb.ARN == s.ARN })
		if j < 0 {
			continue
		}
		m := &moto.LoadBalancers[j]
		var simOnly []string
		for _, k := range slices.Sorted(maps.Keys(s.Attributes)) {
			if _, ok := m.Attributes[k]; !ok {
				simOnly = append(simOnly, k)
				delete(s.Attributes, k)
			}
		}
		for k := range m.Attributes {
			if _, ok := s.Attributes[k]; !ok {
				delete(m.Attributes, k)
			}
		}
		if len(simOnly) > 0 {
			notes = append(notes, fmt.Sprintf("%s: attributes listed by the simulator only, as AWS lists them (moto does not): %s", s.ARN, strings.Join(simOnly, ", ")))
		}
		const cz = "load_balancing.cross_zone.enabled"
		if s.Attributes[cz] == "true" && m.Attributes[cz] == "false" {
			notes = append(notes, fmt.Sprintf("%s: %s is true in the simulator (AWS: always on for an ALB), false in moto", s.ARN, cz))
			m.Attributes[cz] = "true"
		}
	}
	return notes
}
