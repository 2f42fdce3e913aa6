package simulator

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/reach"
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

func (w *World) normalizeNetwork() {
	for i := range w.SecurityGroups {
		g := &w.SecurityGroups[i]
		for _, rules := range []*[]IngressRule{g.Ingress, g.Egress} {
			if rules == nil {
				continue
			}
			for j := range *rules {
				r := &(*rules)[j]
				slices.Sort(r.CIDRs)
				slices.Sort(r.SourceGroups)
			}
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

// securityGroupRules checks each security group's ingress and egress rules: a TCP port
// range, and peers that are CIDR blocks or security groups of the world.
func (c *worldCheck) securityGroupRules(groups []SecurityGroup) {
	for _, g := range groups {
		c.sgRules(g.ID, "ingress", g.Ingress)
		c.sgRules(g.ID, "egress", g.Egress)
	}
}

// sgRules checks one direction's rules of a group (nil: not recorded, nothing to check).
func (c *worldCheck) sgRules(id, dir string, rules *[]IngressRule) {
	if rules == nil {
		return
	}
	for i, r := range *rules {
		what := fmt.Sprintf("security group %s: %s[%d]", id, dir, i)
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

// node is a load balancer node: one per enabled subnet, addressed in the subnet.
type node struct {
	AZ, Subnet string
	groups     []string // the load balancer's security groups
}

func (s *Sim) nodes(lb *LoadBalancer) []node {
	var out []node
	for _, z := range lb.Subnets {
		out = append(out, node{AZ: z.AZ, Subnet: z.Subnet, groups: lb.SecurityGroups})
	}
	return out
}

// reach says whether a node can open a TCP connection to the instance on port and get the
// answers back; why names what blocks it when it cannot. The rule is internal/reach's, the
// one the planner applies too, over the world's network in the cloud model (cloudNet).
func (s *Sim) reach(n node, in *Instance, port int32) (ok bool, why string) {
	b := s.cloudNet().Reach(reach.Node{AZ: n.AZ, Subnet: n.Subnet, Groups: n.groups},
		reach.Target{ID: in.ID, AZ: in.AZ, Subnet: in.Subnet, Groups: in.SecurityGroups, Port: port})
	if b != nil {
		return false, b.Error()
	}
	return true, ""
}

// cloudNet is the world's network in the cloud model, as Observe reads it through the
// simulator's API: a group whose ingress is not recorded (nil) admits everything, one whose
// egress is not recorded has AWS's default rule (all traffic to 0.0.0.0/0), protocol "tcp"
// of an ACL rule is EC2's "6", and each ACL ends with the "*" rule that denies the rest.
// It is made afresh for each question: worlds hold a handful of groups and ACLs, and any
// call may have changed them.
func (s *Sim) cloudNet() *reach.Net {
	everything := []cloud.SGRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}
	var groups []cloud.SecurityGroup
	for _, g := range s.w.SecurityGroups {
		cg := cloud.SecurityGroup{ID: g.ID, Name: g.Name, VpcID: g.VPC, Ingress: everything, Egress: everything}
		if g.Ingress != nil {
			cg.Ingress = sgRules(*g.Ingress)
		}
		if g.Egress != nil {
			cg.Egress = sgRules(*g.Egress)
		}
		groups = append(groups, cg)
	}
	var acls []cloud.NetworkACL
	for _, a := range s.w.NetworkACLs {
		ca := cloud.NetworkACL{ID: a.ID, VpcID: a.VPC, IsDefault: a.IsDefault, Subnets: a.Subnets}
		for _, dir := range []struct {
			rules  []ACLRule
			egress bool
		}{{a.Inbound, false}, {a.Outbound, true}} {
			for _, r := range dir.rules {
				ca.Entries = append(ca.Entries, cloud.ACLEntry{Number: r.Number, Egress: dir.egress, Protocol: aclProtocol(r.Protocol),
					FromPort: r.FromPort, ToPort: r.ToPort, CIDR: r.CIDR, Action: r.Action})
			}
			ca.Entries = append(ca.Entries, cloud.ACLEntry{Number: 32767, Egress: dir.egress, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "deny"})
		}
		acls = append(acls, ca)
	}
	var subnets []cloud.Subnet
	for _, sn := range s.w.Subnets {
		subnets = append(subnets, cloud.Subnet{ID: sn.ID, AZ: sn.AZ, VpcID: sn.VPC, CIDR: sn.CIDR})
	}
	return reach.New(groups, acls, subnets)
}

func sgRules(rs []IngressRule) []cloud.SGRule {
	out := []cloud.SGRule{}
	for _, r := range rs {
		out = append(out, cloud.SGRule{Protocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort, CIDRs: r.CIDRs, Groups: r.SourceGroups})
	}
	return out
}

func aclProtocol(p string) string {
	if p == "tcp" {
		return "6"
	}
	return p
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
