package reach

import (
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
)

// The blog's network: three public subnets, web-alb-sg on the load balancer, web-sg on the
// instances admitting HTTP from the 1a and 1d subnets only, and the VPC's default ACL.
const (
	sn1a, sn1c, sn1d = "subnet-1a", "subnet-1c", "subnet-1d"
	webSG, albSG     = "sg-web", "sg-alb"
)

var everything = []cloud.SGRule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}

func blog() (groups []cloud.SecurityGroup, acls []cloud.NetworkACL, subnets []cloud.Subnet) {
	groups = []cloud.SecurityGroup{
		{ID: albSG, Name: "web-alb-sg", VpcID: "vpc-1", Ingress: []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"0.0.0.0/0"}}}, Egress: everything},
		{ID: webSG, Name: "web-sg", VpcID: "vpc-1", Ingress: []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24", "10.0.3.0/24"}}}, Egress: everything},
	}
	acls = []cloud.NetworkACL{{ID: "acl-default", VpcID: "vpc-1", IsDefault: true, Subnets: []string{sn1a, sn1c, sn1d}, Entries: []cloud.ACLEntry{
		{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
		{Number: 32767, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "deny"},
		{Number: 100, Egress: true, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
		{Number: 32767, Egress: true, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "deny"},
	}}}
	subnets = []cloud.Subnet{
		{ID: sn1a, AZ: "1a", VpcID: "vpc-1", CIDR: "10.0.1.0/24"},
		{ID: sn1c, AZ: "1c", VpcID: "vpc-1", CIDR: "10.0.2.0/24"},
		{ID: sn1d, AZ: "1d", VpcID: "vpc-1", CIDR: "10.0.3.0/24"},
	}
	return groups, acls, subnets
}

func nodeIn(az string) Node {
	return Node{AZ: az, Subnet: "subnet-" + az, Groups: []string{albSG}}
}

// target is the blog's instance in 1d.
var target = Target{ID: "i-1d", AZ: "1d", Subnet: sn1d, Groups: []string{webSG}, Port: 80}

// ownACL gives the 1d subnet its own ACL with these entries.
func ownACL(acls []cloud.NetworkACL, entries ...cloud.ACLEntry) []cloud.NetworkACL {
	acls[0].Subnets = []string{sn1a, sn1c}
	return append(acls, cloud.NetworkACL{ID: "acl-1d", VpcID: "vpc-1", Subnets: []string{sn1d}, Entries: entries})
}

func allowAll(egress bool) cloud.ACLEntry {
	return cloud.ACLEntry{Number: 100, Egress: egress, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}
}

func TestReach(t *testing.T) {
	tests := []struct {
		name string
		edit func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL
		// want: node AZ -> "ok" or a substring of why it is blocked.
		want map[string]string
	}{
		{"the blog: web-sg admits the 1a and 1d subnets, not 1c", nil, map[string]string{
			"1a": "ok", "1d": "ok",
			"1c": "security group sg-web (web-sg) of i-1d admits no TCP 80 from 10.0.2.0/24 (the load balancer node in 1c)"}},
		{"by group reference", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[1].Ingress = []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, Groups: []string{albSG}}}
			return a
		}, map[string]string{"1a": "ok", "1c": "ok", "1d": "ok"}},
		{"protocol by number and every protocol", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[1].Ingress = []cloud.SGRule{{Protocol: "6", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.2.0/24"}}, {Protocol: "-1", CIDRs: []string{"10.0.1.0/24"}}}
			return a
		}, map[string]string{"1a": "ok", "1c": "ok", "1d": "admits no TCP 80 from 10.0.3.0/24"}},
		{"udp and icmp rules admit no TCP", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[1].Ingress = []cloud.SGRule{{Protocol: "udp", FromPort: 0, ToPort: 65535, CIDRs: []string{"0.0.0.0/0"}}, {Protocol: "icmp", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}
			return a
		}, map[string]string{"1a": "admits no TCP 80", "1c": "admits no TCP 80", "1d": "admits no TCP 80"}},
		{"a prefix list admits nothing, and the reason says so", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[1].Ingress = []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, PrefixLists: []string{"pl-1"}}}
			return a
		}, map[string]string{"1a": "prefix list(s) pl-1 not counted", "1c": "admits no TCP 80"}},
		{"a CIDR covering half a subnet does not admit its node", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[1].Ingress[0].CIDRs = []string{"10.0.2.0/25", "10.0.1.0/24", "10.0.3.0/24"}
			return a
		}, map[string]string{"1a": "ok", "1c": "admits no TCP 80"}},
		{"an IPv6 block admits no IPv4 node", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[1].Ingress[0].CIDRs = []string{"::/0"}
			return a
		}, map[string]string{"1a": "admits no TCP 80", "1d": "admits no TCP 80"}},
		{"load balancer egress: none", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[0].Egress = nil
			return a
		}, map[string]string{"1a": "security group sg-alb (web-alb-sg) of the load balancer allows no TCP 80 out to 10.0.3.0/24 (i-1d in 1d)", "1d": "allows no TCP 80 out"}},
		{"load balancer egress: to the instance's group", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[0].Egress = []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, Groups: []string{webSG}}}
			return a
		}, map[string]string{"1a": "ok", "1d": "ok", "1c": "admits no TCP 80"}},
		{"instance egress does not matter: groups are stateful", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[1].Egress = nil
			return a
		}, map[string]string{"1a": "ok", "1d": "ok"}},
		{"ACL: a deny before the allow names its rule", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			return ownACL(a, cloud.ACLEntry{Number: 90, Protocol: "6", FromPort: 80, ToPort: 80, CIDR: "10.0.1.0/24", Action: "deny"}, allowAll(false), allowAll(true))
		}, map[string]string{"1a": "network ACL acl-1d does not allow inbound from 10.0.1.0/24 port 80 (rule 90 denies it)", "1d": "ok"}},
		{"ACL: traffic inside one subnet is not filtered", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			return ownACL(a)
		}, map[string]string{"1a": "does not allow inbound from 10.0.1.0/24 port 80 (no rule allows it)", "1d": "ok"}},
		{"ACL: return traffic needs every ephemeral port", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			return ownACL(a, allowAll(false), cloud.ACLEntry{Number: 100, Egress: true, Protocol: "6", FromPort: 32768, ToPort: 65535, CIDR: "0.0.0.0/0", Action: "allow"})
		}, map[string]string{"1a": "does not allow outbound (return traffic) to 10.0.1.0/24 ports 1024-65535 (no rule allows it)"}},
		{"ACL: the node's subnet lets the answers in", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			a[0].Entries[0] = cloud.ACLEntry{Number: 100, Protocol: "6", FromPort: 80, ToPort: 80, CIDR: "0.0.0.0/0", Action: "allow"}
			return a
		}, map[string]string{"1a": "acl-default does not allow inbound (return traffic) from 10.0.3.0/24 ports 1024-65535"}},
		{"ACL: a udp rule never matches", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			return ownACL(a, cloud.ACLEntry{Number: 50, Protocol: "17", FromPort: 0, ToPort: 65535, CIDR: "0.0.0.0/0", Action: "deny"}, allowAll(false), allowAll(true))
		}, map[string]string{"1a": "ok"}},
		{"ACL: no ACL for the subnet filters nothing", func(g []cloud.SecurityGroup, a []cloud.NetworkACL) []cloud.NetworkACL {
			g[1].Ingress[0].CIDRs = []string{"10.0.0.0/16"}
			return nil
		}, map[string]string{"1a": "ok", "1c": "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, a, s := blog()
			if tt.edit != nil {
				a = tt.edit(g, a)
			}
			n := New(g, a, s)
			for az, want := range tt.want {
				b := n.Reach(nodeIn(az), target)
				switch {
				case want == "ok" && b != nil:
					t.Errorf("node in %s: %v, want ok", az, b)
				case want != "ok" && (b == nil || !strings.Contains(b.Error(), want)):
					t.Errorf("node in %s: %v, want %q", az, b, want)
				}
			}
		})
	}
}

func TestReachRule(t *testing.T) {
	g, a, s := blog()
	a = ownACL(a, cloud.ACLEntry{Number: 90, Protocol: "6", FromPort: 80, ToPort: 80, CIDR: "10.0.1.0/24", Action: "deny"}, allowAll(false), allowAll(true))
	n := New(g, a, s)
	if b := n.Reach(nodeIn("1c"), target); b == nil || b.Rule != "sg-web (web-sg)" {
		t.Errorf("1c: %+v, want the rule web-sg", b)
	}
	if b := n.Reach(nodeIn("1a"), target); b == nil || b.Rule != "network ACL acl-1d rule 90" {
		t.Errorf("1a: %+v, want ACL rule 90", b)
	}
}

func TestUnrecorded(t *testing.T) {
	g, a, s := blog()
	n := New(g, a, s)
	// A group the network does not hold is not judged; nor is an instance without groups.
	for _, groups := range [][]string{{"sg-unknown"}, nil, {webSG, "sg-unknown"}} {
		tg := target
		tg.Groups = groups
		if b := n.Reach(nodeIn("1c"), tg); b != nil {
			t.Errorf("groups %v: %v, want ok", groups, b)
		}
	}
	if b := n.Reach(Node{AZ: "1b", Subnet: "subnet-1b"}, target); b == nil || !strings.Contains(b.Error(), "subnet-1b") {
		t.Errorf("unknown node subnet: %v", b)
	}
	tg := target
	tg.Subnet = "subnet-x"
	if b := n.Reach(nodeIn("1a"), tg); b == nil || !strings.Contains(b.Error(), "no known subnet") {
		t.Errorf("unknown target subnet: %v", b)
	}
}

func TestServes(t *testing.T) {
	g, a, s := blog()
	n := New(g, a, s)
	in1a := Target{ID: "i-1a", AZ: "1a", Subnet: sn1a, Groups: []string{webSG}, Port: 80}
	tests := []struct {
		node      string
		targets   []Target
		crossZone bool
		want      bool
		blocks    int
	}{
		{"1a", []Target{target}, true, true, 0},
		{"1a", []Target{target}, false, false, 0}, // cross-zone off: nothing in 1a to send to
		{"1c", []Target{in1a, target}, true, false, 2},
		{"1c", []Target{in1a, target}, false, false, 0},
		{"1d", []Target{in1a, target}, false, true, 0},
	}
	for _, tt := range tests {
		ok, blocks := n.Serves(nodeIn(tt.node), tt.targets, tt.crossZone)
		if ok != tt.want || len(blocks) != tt.blocks {
			t.Errorf("%s cross-zone %v: %v %v, want %v with %d blocks", tt.node, tt.crossZone, ok, blocks, tt.want, tt.blocks)
		}
	}
}

func TestCrossZone(t *testing.T) {
	tests := []struct {
		tg   string
		want bool
	}{
		{"", true},
		{"use_load_balancer_configuration", true},
		{"true", true},
		{"false", false},
	}
	for _, tt := range tests {
		if got := CrossZone(map[string]string{"load_balancing.cross_zone.enabled": tt.tg}); got != tt.want {
			t.Errorf("tg %q: %v, want %v", tt.tg, got, tt.want)
		}
	}
}
