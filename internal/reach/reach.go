// Package reach decides whether a load balancer node can reach a target: whether a TCP
// connection from the node to the instance on a port passes the security groups and network
// ACLs between them, and whether its answers come back. It is the one rule the planner
// (internal/plan) and the simulator (internal/simulator) both apply, so a plan cannot accept
// what the simulator then fails, nor refuse what it serves (docs/design.md, "Reachability";
// docs/simulator.md, "Network").
//
// The package is pure: it reads the cloud model (cloud.SecurityGroup, cloud.NetworkACL,
// cloud.Subnet) and does no I/O.
package reach

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
)

// Ephemeral ports: a load balancer node opens its connections to targets from these source
// ports, so the targets' answers come back to them (ALB guide, "Network ACLs").
const EphemeralLow, EphemeralHigh = 1024, 65535

// Net is the network between load balancer nodes and targets: security groups by ID, network
// ACLs, and subnets by ID (their CIDR blocks and VPCs).
type Net struct {
	groups  map[string]*cloud.SecurityGroup
	acls    []cloud.NetworkACL
	subnets map[string]*cloud.Subnet
}

// New makes a Net. The slices are not copied: the caller must not change them while it uses
// the Net.
func New(groups []cloud.SecurityGroup, acls []cloud.NetworkACL, subnets []cloud.Subnet) *Net {
	n := &Net{groups: map[string]*cloud.SecurityGroup{}, acls: acls, subnets: map[string]*cloud.Subnet{}}
	for i := range groups {
		n.groups[groups[i].ID] = &groups[i]
	}
	for i := range subnets {
		n.subnets[subnets[i].ID] = &subnets[i]
	}
	return n
}

// FromWorld is the Net of an observed world.
func FromWorld(w *cloud.World) *Net { return New(w.SecurityGroups, w.NetworkACLs, w.Subnets) }

// Node is a load balancer node: one per enabled zone, addressed within the zone's subnet,
// connecting from the load balancer's security groups.
type Node struct {
	AZ, Subnet string
	Groups     []string
}

// Target is an instance target on a port, in its subnet, with its security groups.
type Target struct {
	ID, AZ, Subnet string
	Groups         []string
	Port           int32
}

// Blocked says why a node cannot reach a target: Rule names what blocks (a security group
// or a network ACL and, for an ACL, the rule number), Error the whole reason.
type Blocked struct {
	Node   Node
	Target Target
	Rule   string
	msg    string
}

func (b *Blocked) Error() string { return b.msg }

// Reach returns nil when the node can open a TCP connection to the target on its port and
// get the answers back, else a *Blocked naming the rule that stops it. The checks, in order:
// the load balancer's groups must let the connection out, the instance's groups must let it
// in (groups are stateful: answers go back whatever the rules), and, when node and target
// are in different subnets, the network ACLs (stateless) must allow it both ways — out of the
// node's subnet and into the target's on the port, and the answers out of the target's
// subnet and into the node's on every ephemeral port.
func (n *Net) Reach(node Node, t Target) *Blocked {
	nsn, tsn := n.subnets[node.Subnet], n.subnets[t.Subnet]
	if nsn == nil {
		return n.blocked(node, t, "subnet "+node.Subnet, "the subnet %s of the load balancer node in %s is not known", node.Subnet, node.AZ)
	}
	if tsn == nil {
		return n.blocked(node, t, "subnet "+t.Subnet, "%s has no known subnet", t.ID)
	}
	for _, sn := range []*cloud.Subnet{nsn, tsn} {
		if sn.CIDR == "" {
			return n.blocked(node, t, "subnet "+sn.ID, "the CIDR block of subnet %s is not known", sn.ID)
		}
	}
	if b := n.egress(node, t, tsn); b != nil {
		return b
	}
	if b := n.ingress(node, t, nsn); b != nil {
		return b
	}
	if node.Subnet == t.Subnet {
		return nil // network ACLs filter only traffic that crosses a subnet's edge
	}
	return n.acls4(node, t, nsn, tsn)
}

func (n *Net) blocked(node Node, t Target, rule, format string, args ...any) *Blocked {
	return &Blocked{Node: node, Target: t, Rule: rule, msg: fmt.Sprintf(format, args...)}
}

// Serves reports whether a node can serve requests: it reaches at least one of the targets
// it would send to — every target with cross-zone load balancing on, those of its own zone
// with it off. When it cannot, blocks say why for each target it would send to (none: it
// has no target to send to).
func (n *Net) Serves(node Node, targets []Target, crossZone bool) (ok bool, blocks []*Blocked) {
	for _, t := range targets {
		if !crossZone && t.AZ != node.AZ {
			continue
		}
		b := n.Reach(node, t)
		if b == nil {
			return true, nil
		}
		blocks = append(blocks, b)
	}
	return false, blocks
}

// CrossZone reports whether cross-zone load balancing is on for a target group behind an
// ALB: its load_balancing.cross_zone.enabled attribute, unless that is
// "use_load_balancer_configuration" (the default), in which case it is on — an ALB always has
// it on at the load balancer level and cannot turn it off (ALB guide, "Cross-zone load
// balancing for target groups"), whatever a load balancer attribute says (an emulator may
// report "false" there).
func CrossZone(tgAttrs map[string]string) bool {
	return tgAttrs["load_balancing.cross_zone.enabled"] != "false"
}

// egress applies the load balancer's security groups to the connection out: some outbound
// rule must allow TCP on the port to the target's subnet block or to one of its groups.
func (n *Net) egress(node Node, t Target, tsn *cloud.Subnet) *Blocked {
	gs, ok := n.known(node.Groups)
	if !ok {
		return nil
	}
	var pls []string
	for _, g := range gs {
		if admits(g.Egress, t.Port, tsn.CIDR, t.Groups, &pls) {
			return nil
		}
	}
	return n.blocked(node, t, n.names(node.Groups),
		"%s of the load balancer %s no TCP %d out to %s (%s in %s)%s", n.groupWords(node.Groups), verb(node.Groups, "allows", "allow"),
		t.Port, tsn.CIDR, t.ID, t.AZ, prefixNote(pls))
}

// ingress applies the instance's security groups: some inbound rule must admit TCP on the
// port from the node's subnet block or from one of the load balancer's groups.
func (n *Net) ingress(node Node, t Target, nsn *cloud.Subnet) *Blocked {
	gs, ok := n.known(t.Groups)
	if !ok {
		return nil
	}
	var pls []string
	for _, g := range gs {
		if admits(g.Ingress, t.Port, nsn.CIDR, node.Groups, &pls) {
			return nil
		}
	}
	return n.blocked(node, t, n.names(t.Groups),
		"%s of %s %s no TCP %d from %s (the load balancer node in %s)%s", n.groupWords(t.Groups), t.ID, verb(t.Groups, "admits", "admit"),
		t.Port, nsn.CIDR, node.AZ, prefixNote(pls))
}

// known returns the groups of ids. ok is false when there is nothing to judge by: no group
// at all (nothing filters), or a group the Net does not hold (its rules were not recorded,
// so they are not held against the connection).
func (n *Net) known(ids []string) (gs []*cloud.SecurityGroup, ok bool) {
	if len(ids) == 0 {
		return nil, false
	}
	for _, id := range ids {
		g := n.groups[id]
		if g == nil {
			return nil, false
		}
		gs = append(gs, g)
	}
	return gs, true
}

// admits reports whether some rule lets TCP on port pass to or from the peer: a CIDR that
// covers the peer's whole subnet block, or a referenced group among peerGroups. Prefix lists
// are not resolved: a rule's prefix lists admit nothing, and their IDs are collected in pls
// so the reason can say so.
func admits(rules []cloud.SGRule, port int32, peerCIDR string, peerGroups []string, pls *[]string) bool {
	for _, r := range rules {
		if !tcpPort(r.Protocol, r.FromPort, r.ToPort, port) {
			continue
		}
		if slices.ContainsFunc(r.CIDRs, func(c string) bool { return covers(c, peerCIDR) }) {
			return true
		}
		if slices.ContainsFunc(r.Groups, func(g string) bool { return slices.Contains(peerGroups, g) }) {
			return true
		}
		*pls = append(*pls, r.PrefixLists...)
	}
	return false
}

// Admits reports whether some rule lets TCP on port pass to or from the peer, by the same
// test the planner and the simulator apply: init judges a security group with it too, so the
// three cannot disagree on what a rule admits.
func Admits(rules []cloud.SGRule, port int32, peerCIDR string, peerGroups []string) bool {
	var pls []string
	return admits(rules, port, peerCIDR, peerGroups, &pls)
}

// tcpPort reports whether a rule of this protocol and port range applies to TCP on port.
func tcpPort(proto string, from, to, port int32) bool {
	switch strings.ToLower(proto) {
	case "-1", "all":
		return true
	case "tcp", "6":
		return from <= port && port <= to
	}
	return false
}

func prefixNote(pls []string) string {
	if len(pls) == 0 {
		return ""
	}
	slices.Sort(pls)
	return fmt.Sprintf(" (prefix list(s) %s not counted: albctl does not resolve prefix lists)", strings.Join(slices.Compact(pls), ", "))
}

func verb(ids []string, one, many string) string {
	if len(ids) == 1 {
		return one
	}
	return many
}

// groupWords names groups for people: "security group sg-1 (web-sg)".
func (n *Net) groupWords(ids []string) string {
	if len(ids) == 1 {
		return "security group " + n.names(ids)
	}
	return "security groups " + n.names(ids)
}

func (n *Net) names(ids []string) string {
	var out []string
	for _, id := range ids {
		if g := n.groups[id]; g != nil && g.Name != "" {
			out = append(out, id+" ("+g.Name+")")
		} else {
			out = append(out, id)
		}
	}
	return strings.Join(out, ", ")
}

// covers reports whether cidr holds every address of the subnet block. Addresses are not
// modelled: a load balancer node's address changes over time within its subnet and an
// instance's is not recorded, so a rule is taken to match one only when it covers the whole
// subnet (which is also what AWS advises for rules naming load balancer subnets).
func covers(cidr, subnet string) bool {
	c, err1 := netip.ParsePrefix(cidr)
	s, err2 := netip.ParsePrefix(subnet)
	if err1 != nil || err2 != nil {
		return false
	}
	return c.Bits() <= s.Bits() && c.Contains(s.Masked().Addr())
}

// hop is one crossing of a subnet's edge that a network ACL judges.
type hop struct {
	acl      *cloud.NetworkACL
	egress   bool
	peer     string
	lo, hi   int32
	describe string
}

// acls4 applies the network ACLs to the four crossings of a connection between subnets.
func (n *Net) acls4(node Node, t Target, nsn, tsn *cloud.Subnet) *Blocked {
	from, to := n.aclOf(nsn), n.aclOf(tsn)
	port := strconv.Itoa(int(t.Port))
	ephemeral := fmt.Sprintf("ports %d-%d", EphemeralLow, EphemeralHigh)
	hops := []hop{
		{from, true, tsn.CIDR, t.Port, t.Port, "outbound to " + tsn.CIDR + " port " + port},
		{to, false, nsn.CIDR, t.Port, t.Port, "inbound from " + nsn.CIDR + " port " + port},
		{to, true, nsn.CIDR, EphemeralLow, EphemeralHigh, "outbound (return traffic) to " + nsn.CIDR + " " + ephemeral},
		{from, false, tsn.CIDR, EphemeralLow, EphemeralHigh, "inbound (return traffic) from " + tsn.CIDR + " " + ephemeral},
	}
	for _, h := range hops {
		if h.acl == nil {
			continue
		}
		if ok, rule := allows(h.acl, h.egress, h.peer, h.lo, h.hi); !ok {
			which := "no rule allows it"
			if rule != 0 {
				which = "rule " + strconv.Itoa(int(rule)) + " denies it"
			}
			return n.blocked(node, t, fmt.Sprintf("network ACL %s rule %s", h.acl.ID, ruleName(rule)),
				"network ACL %s does not allow %s (%s) between the load balancer node in %s and %s",
				h.acl.ID, h.describe, which, node.AZ, t.ID)
		}
	}
	return nil
}

func ruleName(n int32) string {
	if n == 0 || n == 32767 {
		return "*"
	}
	return strconv.Itoa(int(n))
}

// aclOf is the network ACL of a subnet: the one associated with it, else its VPC's default,
// else nil (not recorded: everything passes).
func (n *Net) aclOf(sn *cloud.Subnet) *cloud.NetworkACL {
	var def *cloud.NetworkACL
	for i := range n.acls {
		a := &n.acls[i]
		if slices.Contains(a.Subnets, sn.ID) {
			return a
		}
		if a.IsDefault && a.VpcID == sn.VpcID {
			def = a
		}
	}
	return def
}

// allows reports whether the ACL lets TCP traffic with every port in lo..hi pass in one
// direction to or from the peer subnet block: rules in ascending number, first match wins,
// default deny. A range is allowed only when no port of it is denied or left unmatched;
// deny is the number of the rule that denies a port (0 when a port is left unmatched, which
// the final "*" rule denies).
func allows(a *cloud.NetworkACL, egress bool, peer string, lo, hi int32) (ok bool, deny int32) {
	var rules []cloud.ACLEntry
	for _, e := range a.Entries {
		if e.Egress == egress {
			rules = append(rules, e)
		}
	}
	slices.SortStableFunc(rules, func(x, y cloud.ACLEntry) int { return int(x.Number) - int(y.Number) })
	// open are the ports not decided yet, as disjoint ranges.
	open := [][2]int32{{lo, hi}}
	for _, r := range rules {
		if !covers(r.CIDR, peer) {
			continue
		}
		rlo, rhi := int32(0), int32(65535)
		switch strings.ToLower(r.Protocol) {
		case "-1", "all":
		case "6", "tcp":
			rlo, rhi = r.FromPort, r.ToPort
		default:
			continue // another protocol: never matches TCP
		}
		var rest [][2]int32
		for _, o := range open {
			x, y := max(o[0], rlo), min(o[1], rhi)
			if x > y {
				rest = append(rest, o)
				continue
			}
			if r.Action != "allow" {
				return false, r.Number
			}
			if o[0] < x {
				rest = append(rest, [2]int32{o[0], x - 1})
			}
			if y < o[1] {
				rest = append(rest, [2]int32{y + 1, o[1]})
			}
		}
		if open = rest; len(open) == 0 {
			return true, 0
		}
	}
	return false, 0
}
