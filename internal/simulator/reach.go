package simulator

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// IngressRule is an inbound rule of a security group: TCP (or every protocol, "-1") on
// ports FromPort..ToPort, from the CIDRs and from members of the SourceGroups.
type IngressRule struct {
	Protocol     string   `json:"protocol"` // "tcp" or "-1" (all traffic)
	FromPort     int32    `json:"from_port,omitempty"`
	ToPort       int32    `json:"to_port,omitempty"`
	CIDRs        []string `json:"cidrs,omitempty"`
	SourceGroups []string `json:"source_groups,omitempty"`
	Description  string   `json:"description,omitempty"`
}

// NetworkACL is a network ACL and the subnets associated with it. Rules are evaluated in
// ascending Number, the first match decides, and what no rule matches is denied.
type NetworkACL struct {
	ID        string            `json:"id"`
	VPC       string            `json:"vpc"`
	IsDefault bool              `json:"is_default,omitempty"`
	Subnets   []string          `json:"subnets,omitempty"`
	Inbound   []ACLRule         `json:"inbound,omitempty"`
	Outbound  []ACLRule         `json:"outbound,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// ACLRule is one numbered rule of a network ACL: Protocol "tcp" (ports FromPort..ToPort) or
// "-1" (all traffic, any port), for addresses in CIDR, "allow" or "deny".
type ACLRule struct {
	Number   int32  `json:"rule_number"`
	Protocol string `json:"protocol"`
	FromPort int32  `json:"from_port,omitempty"`
	ToPort   int32  `json:"to_port,omitempty"`
	CIDR     string `json:"cidr"`
	Action   string `json:"action"` // allow or deny
}

// Ephemeral ports: a load balancer node opens its connections to targets from these source
// ports, so the targets' answers come back to them (ALB guide, "Network ACLs").
const ephemeralLow, ephemeralHigh = 1024, 65535

func (w *World) normalizeNetwork() {
	for i := range w.SecurityGroups {
		g := &w.SecurityGroups[i]
		if g.Ingress == nil {
			continue
		}
		for j := range *g.Ingress {
			r := &(*g.Ingress)[j]
			slices.Sort(r.CIDRs)
			slices.Sort(r.SourceGroups)
		}
	}
	slices.SortFunc(w.NetworkACLs, func(a, b NetworkACL) int { return strings.Compare(a.ID, b.ID) })
	for i := range w.NetworkACLs {
		a := &w.NetworkACLs[i]
		slices.Sort(a.Subnets)
		a.Tags = nilIfEmpty(a.Tags)
		for _, rs := range [][]ACLRule{a.Inbound, a.Outbound} {
			slices.SortFunc(rs, func(x, y ACLRule) int { return int(x.Number) - int(y.Number) })
		}
	}
}

// securityGroupRules checks each security group's ingress rules: a TCP port range, and
// sources that are CIDR blocks or security groups of the world.
func (c *worldCheck) securityGroupRules(groups []SecurityGroup) {
	for _, g := range groups {
		if g.Ingress == nil {
			continue
		}
		for i, r := range *g.Ingress {
			what := fmt.Sprintf("security group %s: ingress[%d]", g.ID, i)
			c.ports(what, r.Protocol, r.FromPort, r.ToPort)
			if len(r.CIDRs) == 0 && len(r.SourceGroups) == 0 {
				c.bad("%s: neither cidrs nor source_groups", what)
			}
			for _, cidr := range r.CIDRs {
				if _, err := netip.ParsePrefix(cidr); err != nil {
					c.bad("%s: cidr %q is not a CIDR block", what, cidr)
				}
			}
			for _, sg := range r.SourceGroups {
				if _, ok := c.sgByID[sg]; !ok {
					c.bad("%s: source group %q does not exist", what, sg)
				}
			}
		}
	}
}

// ports checks a rule's protocol and port range: the simulator models TCP only.
func (c *worldCheck) ports(what, proto string, from, to int32) {
	switch proto {
	case "-1":
	case "tcp":
		if from < 0 || to > 65535 || from > to {
			c.bad("%s: ports %d-%d are not a range within 0-65535", what, from, to)
		}
	default:
		c.bad("%s: protocol %q is not tcp or -1 (the simulator models TCP only)", what, proto)
	}
}

// networkACLs checks that each network ACL lies in a VPC of the world, that a VPC has at
// most one default ACL and a subnet at most one ACL, and each ACL's rules.
func (c *worldCheck) networkACLs(acls []NetworkACL) {
	associated := map[string]string{}
	defaults := map[string]string{}
	for _, a := range acls {
		if a.ID == "" {
			c.bad("network acl without an id")
		}
		if !c.vpcByID[a.VPC] {
			c.bad("network acl %s: vpc %q does not exist", a.ID, a.VPC)
		}
		if a.IsDefault {
			if d, ok := defaults[a.VPC]; ok {
				c.bad("network acls %s and %s are both the default of %s", d, a.ID, a.VPC)
			}
			defaults[a.VPC] = a.ID
		}
		for _, sn := range a.Subnets {
			s, ok := c.subnetByID[sn]
			switch {
			case !ok:
				c.bad("network acl %s: subnet %q does not exist", a.ID, sn)
			case s.VPC != a.VPC:
				c.bad("network acl %s: subnet %s is in %s, not %s", a.ID, sn, s.VPC, a.VPC)
			}
			if other, ok := associated[sn]; ok {
				c.bad("subnet %s is associated with two network acls (%s, %s)", sn, other, a.ID)
			}
			associated[sn] = a.ID
		}
		c.aclRules(a.ID, "inbound", a.Inbound)
		c.aclRules(a.ID, "outbound", a.Outbound)
	}
}

// aclRules checks one direction of a network ACL: rule numbers in AWS's range and unique,
// and each rule's ports, CIDR block and action.
func (c *worldCheck) aclRules(acl, dir string, rules []ACLRule) {
	seen := map[int32]bool{}
	for _, r := range rules {
		what := fmt.Sprintf("network acl %s: %s rule %d", acl, dir, r.Number)
		if r.Number < 1 || r.Number > 32766 {
			c.bad("%s: rule_number is not between 1 and 32766", what)
		}
		if seen[r.Number] {
			c.bad("%s: the number appears twice", what)
		}
		seen[r.Number] = true
		c.ports(what, r.Protocol, r.FromPort, r.ToPort)
		if _, err := netip.ParsePrefix(r.CIDR); err != nil {
			c.bad("%s: cidr %q is not a CIDR block", what, r.CIDR)
		}
		if r.Action != "allow" && r.Action != "deny" {
			c.bad("%s: action %q is not allow or deny", what, r.Action)
		}
	}
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

// node is a load balancer node: one per enabled subnet, addressed in the subnet.
type node struct {
	AZ, Subnet, CIDR string
	groups           []string // the load balancer's security groups
}

func (s *Sim) nodes(lb *LoadBalancer) []node {
	var out []node
	for _, z := range lb.Subnets {
		n := node{AZ: z.AZ, Subnet: z.Subnet, groups: lb.SecurityGroups}
		if sn := s.subnet(z.Subnet); sn != nil {
			n.CIDR = sn.CIDR
		}
		out = append(out, n)
	}
	return out
}

// reach says whether a node can open a TCP connection to the instance on port and get the
// answers back; why names what blocks it when it cannot.
func (s *Sim) reach(n node, in *Instance, port int32) (ok bool, why string) {
	tsn := s.subnet(in.Subnet)
	if tsn == nil {
		return false, in.ID + " has no subnet"
	}
	if ok, why := s.groupsAdmit(n, in, port); !ok {
		return false, why
	}
	if n.Subnet == in.Subnet {
		return true, "" // network ACLs filter only traffic that crosses a subnet's edge
	}
	from, to := s.acl(n.Subnet), s.acl(in.Subnet)
	hops := []struct {
		acl      *NetworkACL
		inbound  bool
		peer     string
		lo, hi   int32
		describe string
	}{
		{from, false, tsn.CIDR, port, port, "outbound to " + tsn.CIDR + " port " + strconv.Itoa(int(port))},
		{to, true, n.CIDR, port, port, "inbound from " + n.CIDR + " port " + strconv.Itoa(int(port))},
		{to, false, n.CIDR, ephemeralLow, ephemeralHigh, "outbound (return traffic) to " + n.CIDR + " ports 1024-65535"},
		{from, true, tsn.CIDR, ephemeralLow, ephemeralHigh, "inbound (return traffic) from " + tsn.CIDR + " ports 1024-65535"},
	}
	for _, h := range hops {
		if h.acl == nil {
			continue
		}
		if !h.acl.allows(h.inbound, h.peer, h.lo, h.hi) {
			return false, fmt.Sprintf("network ACL %s does not allow %s", h.acl.ID, h.describe)
		}
	}
	return true, ""
}

// groupsAdmit applies the instance's security groups: some inbound rule must admit the
// node's subnet block or one of the load balancer's groups on port. Security groups are
// stateful: answers go back whatever the rules.
func (s *Sim) groupsAdmit(n node, in *Instance, port int32) (bool, string) {
	if len(in.SecurityGroups) == 0 {
		return true, "" // the world records none (AWS would give it the VPC's default group)
	}
	for _, id := range in.SecurityGroups {
		g := s.securityGroup(id)
		if g == nil || g.Ingress == nil {
			return true, "" // rules not recorded: admit
		}
		for _, r := range *g.Ingress {
			if r.Protocol != "-1" && (port < r.FromPort || port > r.ToPort) {
				continue
			}
			if slices.ContainsFunc(r.CIDRs, func(c string) bool { return covers(c, n.CIDR) }) {
				return true, ""
			}
			if slices.ContainsFunc(r.SourceGroups, func(sg string) bool { return slices.Contains(n.groups, sg) }) {
				return true, ""
			}
		}
	}
	return false, fmt.Sprintf("security group %s of %s admits no TCP %d from %s (the load balancer node in %s)",
		strings.Join(in.SecurityGroups, ", "), in.ID, port, n.CIDR, n.AZ)
}

// acl is the network ACL of a subnet: the one associated with it, else its VPC's default,
// else nil (not recorded: everything passes).
func (s *Sim) acl(subnet string) *NetworkACL {
	sn := s.subnet(subnet)
	var def *NetworkACL
	for i := range s.w.NetworkACLs {
		a := &s.w.NetworkACLs[i]
		if slices.Contains(a.Subnets, subnet) {
			return a
		}
		if a.IsDefault && sn != nil && a.VPC == sn.VPC {
			def = a
		}
	}
	return def
}

// allows reports whether the ACL lets TCP traffic with every port in lo..hi pass in one
// direction to or from the peer subnet block: rules in ascending number, first match wins,
// default deny. A range is allowed only when no port of it is denied or left unmatched.
func (a *NetworkACL) allows(inbound bool, peer string, lo, hi int32) bool {
	rules := a.Outbound
	if inbound {
		rules = a.Inbound
	}
	rules = slices.Clone(rules)
	slices.SortFunc(rules, func(x, y ACLRule) int { return int(x.Number) - int(y.Number) })
	// open are the ports not decided yet, as disjoint ranges.
	open := [][2]int32{{lo, hi}}
	for _, r := range rules {
		if !covers(r.CIDR, peer) {
			continue
		}
		rlo, rhi := int32(0), int32(65535)
		if r.Protocol != "-1" {
			rlo, rhi = r.FromPort, r.ToPort
		}
		var rest [][2]int32
		for _, o := range open {
			a, b := max(o[0], rlo), min(o[1], rhi)
			if a > b {
				rest = append(rest, o)
				continue
			}
			if r.Action == "deny" {
				return false
			}
			if o[0] < a {
				rest = append(rest, [2]int32{o[0], a - 1})
			}
			if b < o[1] {
				rest = append(rest, [2]int32{b + 1, o[1]})
			}
		}
		if open = rest; len(open) == 0 {
			return true
		}
	}
	return false
}

// healthPort is the port a target's health checks connect to.
func healthPort(tg *TargetGroup, t *Target) int32 {
	if p, err := strconv.Atoi(tg.HealthCheck.Port); err == nil {
		return int32(p)
	}
	if t.Port != 0 {
		return t.Port
	}
	return tg.Port
}

// reachedByAnyNode reports whether some node of a load balancer whose listener uses tg
// can reach the instance on the health-check port: health checks come from the nodes, and
// a target no node reaches fails them with Target.Timeout.
func (s *Sim) reachedByAnyNode(tg *TargetGroup, t *Target, in *Instance) bool {
	port := healthPort(tg, t)
	for _, lb := range s.loadBalancersOf(tg.ARN) {
		for _, n := range s.nodes(lb) {
			if ok, _ := s.reach(n, in, port); ok {
				return true
			}
		}
	}
	return false
}
