package mirror

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// Kinds of assumption, one per thing a copy cannot carry over as it is (docs/simulator.md,
// "Snapshot: what the copy assumes").
const (
	AssumePrefixList   = "prefix-list"    // a rule names a managed prefix list
	AssumeProtocol     = "protocol"       // a rule for UDP, ICMP or another protocol than TCP
	AssumeIPv6         = "ipv6"           // a rule or entry for an IPv6 block
	AssumeForeignGroup = "foreign-group"  // a rule names a group the copy does not hold
	AssumeSnapshot     = "image-snapshot" // an image's snapshot the account does not let us read
	AssumeHealth       = "health"         // a target's health, carried over as an app or a phase
	AssumeApp          = "app"            // how the apps behave beyond what health says
	AssumeSessions     = "sessions"       // where a target group's app keeps sessions
	AssumeLeftOut      = "left-out"       // a resource the simulator does not model
	AssumeAttribute    = "attribute"      // an attribute the simulator does not model
	AssumeClock        = "clock"          // the copy's clock
	AssumeAddresses    = "addresses"      // free addresses
)

// copier builds a simulator world from a region read by cloud.ReadRegion.
type copier struct {
	cw     *cloud.World
	w      *simulator.World
	now    time.Time
	notes  []Assumption
	groups map[string]bool
	// apps are the instances' apps, from their targets' health.
	apps map[string]*simulator.App
}

func newCopier(cw *cloud.World, account, region string) *copier {
	c := &copier{cw: cw, w: &simulator.World{AccountID: account, Region: region}, groups: map[string]bool{}, apps: map[string]*simulator.App{}}
	var latest time.Time
	saw := func(t time.Time) {
		if t = t.UTC().Truncate(time.Second); t.After(latest) {
			latest = t
		}
	}
	for _, p := range cw.InstanceProfiles {
		saw(p.Created)
	}
	for _, im := range cw.Images {
		saw(im.Created)
	}
	for _, in := range cw.Instances {
		saw(in.LaunchTime)
	}
	for _, lb := range cw.LoadBalancers {
		saw(lb.Created)
	}
	c.now = emptyAccountNow
	if !latest.IsZero() {
		c.now = latest.Add(SettleMargin)
	}
	c.w.Now = c.now
	for _, g := range cw.SecurityGroups {
		c.groups[g.ID] = true
	}
	return c
}

func (c *copier) note(kind, resource, format string, args ...any) {
	c.notes = append(c.notes, Assumption{Kind: kind, Resource: resource, Text: fmt.Sprintf(format, args...)})
}

// assumptions returns the notes sorted by kind, resource and text, without repeats.
func (c *copier) assumptions() []Assumption {
	out := slices.Clone(c.notes)
	slices.SortFunc(out, func(a, b Assumption) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Resource, b.Resource), strings.Compare(a.Text, b.Text))
	})
	return slices.Compact(out)
}

func second(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// general notes what no resource of the account can tell, once per copy.
func (c *copier) general() {
	c.note(AssumeClock, "world", "the account has no clock to read: the copy's clock is the latest time stamp read plus %s (%s), so that whatever the account reports as settled is settled", SettleMargin, c.now.Format(time.RFC3339))
	c.note(AssumeApp, "images", "the account does not say how long an app takes to boot or what it answers before its health checks: instances launched in the copy answer as the app of their image does as soon as they run (boot time 0); an image whose running instances fail their checks fails the same way")
}

// network copies VPCs, subnets, security groups and network ACLs.
func (c *copier) network() {
	for _, v := range c.cw.VPCs {
		c.w.VPCs = append(c.w.VPCs, simulator.VPC{ID: v.ID, CIDR: v.CIDR, IsDefault: v.IsDefault, Tags: v.Tags})
	}
	for _, s := range c.cw.Subnets {
		free := s.AvailableIPs
		c.w.Subnets = append(c.w.Subnets, simulator.Subnet{ID: s.ID, VPC: s.VpcID, AZ: s.AZ, CIDR: s.CIDR, Tags: nilIfEmpty(s.Tags), AvailableIPs: &free})
	}
	for _, g := range c.cw.SecurityGroups {
		in := c.rules(g.ID, "inbound", g.Ingress)
		out := c.rules(g.ID, "outbound", g.Egress)
		c.w.SecurityGroups = append(c.w.SecurityGroups, simulator.SecurityGroup{
			ID: g.ID, Name: g.Name, VPC: g.VpcID, Description: g.Description, Tags: g.Tags, Ingress: &in, Egress: &out,
		})
	}
	subnets := map[string]bool{}
	for _, s := range c.cw.Subnets {
		subnets[s.ID] = true
	}
	for _, a := range c.cw.NetworkACLs {
		acl := simulator.NetworkACL{ID: a.ID, VPC: a.VpcID, IsDefault: a.IsDefault, Tags: a.Tags}
		for _, sn := range a.Subnets {
			if subnets[sn] {
				acl.Subnets = append(acl.Subnets, sn)
			}
		}
		acl.Inbound, acl.Outbound = c.aclRules(a)
		c.w.NetworkACLs = append(c.w.NetworkACLs, acl)
	}
}

// rules converts a group's rules in one direction. What the simulator cannot express is
// left out, which admits less, never more: a prefix list, a protocol other than TCP, a
// group the copy does not hold. IPv6 blocks are kept and match nothing (nodes and
// instances have IPv4 addresses in the simulator).
func (c *copier) rules(group, dir string, rules []cloud.SGRule) []simulator.IngressRule {
	out := []simulator.IngressRule{}
	for _, r := range rules {
		what := fmt.Sprintf("%s rule %s %s", dir, r.Protocol, ports(r.FromPort, r.ToPort, r.Protocol))
		if r.Protocol != "tcp" && r.Protocol != "-1" {
			c.note(AssumeProtocol, group, "%s: the simulator carries TCP only; the rule is left out (it cannot admit a TCP connection)", what)
			continue
		}
		if len(r.PrefixLists) > 0 {
			c.note(AssumePrefixList, group, "%s names prefix lists %s: not modelled, treated as admitting nothing", what, strings.Join(r.PrefixLists, ", "))
		}
		ir := simulator.IngressRule{Protocol: r.Protocol}
		if r.Protocol == "tcp" {
			ir.FromPort, ir.ToPort = r.FromPort, r.ToPort
		}
		for _, cidr := range r.CIDRs {
			if p, err := netip.ParsePrefix(cidr); err == nil && p.Addr().Is6() {
				c.note(AssumeIPv6, group, "%s admits %s: the simulator addresses nodes and instances by IPv4 only, so it matches nothing", what, cidr)
			}
			ir.CIDRs = append(ir.CIDRs, cidr)
		}
		for _, g := range r.Groups {
			if !c.groups[g] {
				c.note(AssumeForeignGroup, group, "%s names %s, which the copy does not hold (another account or region): treated as admitting nothing", what, g)
				continue
			}
			ir.SourceGroups = append(ir.SourceGroups, g)
		}
		if len(ir.CIDRs) > 0 || len(ir.SourceGroups) > 0 {
			out = append(out, ir)
		}
	}
	return out
}

func ports(from, to int32, proto string) string {
	switch {
	case proto == "-1":
		return "all ports"
	case from == to:
		return "port " + strconv.Itoa(int(from))
	}
	return fmt.Sprintf("ports %d-%d", from, to)
}

// aclRules converts an ACL's entries. The final entries (32767, and 32768 for IPv6) are
// the simulator's own "what no rule matches is denied". Entries for another protocol than
// TCP never match a TCP connection, so leaving them out changes nothing the simulator
// carries.
func (c *copier) aclRules(a cloud.NetworkACL) (in, out []simulator.ACLRule) {
	for _, e := range a.Entries {
		if e.Number > 32766 {
			continue
		}
		dir := map[bool]string{false: "inbound", true: "outbound"}[e.Egress]
		var r simulator.ACLRule
		switch e.Protocol {
		case "-1":
			r = simulator.ACLRule{Number: e.Number, Protocol: "-1", CIDR: e.CIDR, Action: e.Action}
		case "6":
			r = simulator.ACLRule{Number: e.Number, Protocol: "tcp", FromPort: e.FromPort, ToPort: e.ToPort, CIDR: e.CIDR, Action: e.Action}
		default:
			c.note(AssumeProtocol, a.ID, "%s entry %d (protocol %s): the simulator carries TCP only; left out (it cannot match a TCP connection)", dir, e.Number, e.Protocol)
			continue
		}
		if p, err := netip.ParsePrefix(e.CIDR); err == nil && p.Addr().Is6() {
			c.note(AssumeIPv6, a.ID, "%s entry %d for %s: the simulator addresses nodes and instances by IPv4 only, so it matches nothing", dir, e.Number, e.CIDR)
		}
		if e.Egress {
			out = append(out, r)
		} else {
			in = append(in, r)
		}
	}
	return in, out
}

// profilesAndImages copies instance profiles, images and their snapshots.
func (c *copier) profilesAndImages() {
	for _, p := range c.cw.InstanceProfiles {
		c.w.InstanceProfiles = append(c.w.InstanceProfiles, simulator.InstanceProfile{Name: p.Name, ARN: p.ARN, ID: p.ID, CreatedAt: second(p.Created)})
	}
	snaps := map[string]bool{}
	for _, sn := range c.cw.Snapshots {
		s := simulator.Snapshot{ID: sn.ID, State: sn.State, VolumeSize: sn.VolumeSize, Description: sn.Description, CreatedAt: second(sn.Started), Tags: sn.Tags}
		if s.State == "pending" {
			s.CompletedAt = c.now.Add(simulator.ImagePending)
		}
		snaps[sn.ID] = true
		c.w.Snapshots = append(c.w.Snapshots, s)
	}
	for _, im := range c.cw.Images {
		i := simulator.Image{
			ID: im.ID, Name: im.Name, State: im.State, Owner: im.OwnerID, Description: im.Description,
			CreatedAt: second(im.Created), Tags: nilIfEmpty(im.Tags),
		}
		if i.State == "pending" {
			i.AvailableAt = c.now.Add(simulator.ImagePending)
		}
		for _, sn := range im.SnapshotIDs {
			if !snaps[sn] {
				c.note(AssumeSnapshot, im.ID, "snapshot %s is not readable (another owner, or gone): the copy's image has no such snapshot", sn)
				continue
			}
			i.Snapshots = append(i.Snapshots, sn)
		}
		c.w.Images = append(c.w.Images, i)
	}
}

// instances copies the instances that are not terminated.
func (c *copier) instances() {
	for _, in := range c.cw.Instances {
		i := simulator.Instance{
			ID: in.ID, State: in.State, AZ: in.AZ, Subnet: in.SubnetID, VPC: in.VpcID, Image: in.ImageID, Type: in.InstanceType,
			Key: in.KeyName, SecurityGroups: slices.Clone(in.SecurityGroupIDs), IAMProfileARN: in.IAMProfileARN, Tags: nilIfEmpty(in.Tags),
			LaunchTime: second(in.LaunchTime), LaunchIndex: in.LaunchIndex, Reservation: in.ReservationID, ClientToken: in.ClientToken,
		}
		switch i.State {
		case "pending":
			i.RunningAt = c.now.Add(simulator.InstancePending)
		case "shutting-down":
			i.TerminatingAt, i.TerminatedAt = c.now, c.now.Add(simulator.ShuttingDown)
		}
		c.w.Instances = append(c.w.Instances, i)
	}
}

// loadBalancers copies Application Load Balancers with the attributes the simulator knows,
// and their listeners that forward to one instance target group.
func (c *copier) loadBalancers() {
	known := simulator.DefaultLoadBalancerAttributes()
	tgs := map[string]bool{}
	for _, tg := range c.cw.TargetGroups {
		tgs[tg.ARN] = tg.TargetType == "" || tg.TargetType == "instance"
	}
	for _, lb := range c.cw.LoadBalancers {
		if lb.Type != "" && lb.Type != "application" {
			c.note(AssumeLeftOut, lb.Name, "a %s load balancer: the simulator models Application Load Balancers only; left out", lb.Type)
			continue
		}
		l := simulator.LoadBalancer{
			ARN: lb.ARN, Name: lb.Name, DNSName: lb.DNSName, Scheme: lb.Scheme, State: lb.State, VPC: lb.VpcID,
			CreatedAt: second(lb.Created), SecurityGroups: slices.Clone(lb.SecurityGroups), Attributes: map[string]string{},
		}
		for _, z := range lb.Zones {
			l.Subnets = append(l.Subnets, simulator.LBSubnet{AZ: z.AZ, Subnet: z.SubnetID, EnabledAt: l.CreatedAt})
		}
		var unknown []string
		for _, k := range slices.Sorted(maps.Keys(lb.Attributes)) {
			def, ok := known[k]
			switch {
			case !ok:
				unknown = append(unknown, k+"="+lb.Attributes[k])
			case lb.Attributes[k] != def:
				l.Attributes[k] = lb.Attributes[k]
			}
		}
		if len(unknown) > 0 {
			c.note(AssumeAttribute, lb.Name, "attributes the simulator does not know, left out: %s", strings.Join(unknown, ", "))
		}
		c.w.LoadBalancers = append(c.w.LoadBalancers, l)
		for _, ls := range lb.Listeners {
			if ls.TargetGroupARN == "" || !tgs[ls.TargetGroupARN] {
				c.note(AssumeLeftOut, lb.Name, "listener %s %d: its default action is not a plain forward to one instance target group; left out (its traffic is not rehearsed)", ls.Protocol, ls.Port)
				continue
			}
			c.w.Listeners = append(c.w.Listeners, simulator.Listener{ARN: ls.ARN, LoadBalancer: lb.ARN, Port: ls.Port, Protocol: ls.Protocol, TargetGroup: ls.TargetGroupARN})
		}
	}
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

var codesRe = regexp.MustCompile(`\[(\d{3})`)
