package simulator

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// netWorld is the seed world with a target instance in 1d (web-sg) registered, and the
// network set by edit.
func netWorld(t *testing.T, edit func(w *World)) *Sim {
	t.Helper()
	w := reachableSeed()
	edit(w)
	if err := w.validate(); err != nil {
		t.Fatal(err)
	}
	return secondTarget(t, New(w))
}

func webSG(w *World) *SecurityGroup {
	for i := range w.SecurityGroups {
		if w.SecurityGroups[i].ID == SeedWebSG {
			return &w.SecurityGroups[i]
		}
	}
	panic("no web-sg")
}

func albSG(w *World) *SecurityGroup {
	for i := range w.SecurityGroups {
		if w.SecurityGroups[i].ID == SeedALBSG {
			return &w.SecurityGroups[i]
		}
	}
	panic("no web-alb-sg")
}

// aclFor gives subnet its own network ACL with these rules.
func aclFor(w *World, id, subnet string, in, out []ACLRule) {
	acl := &w.NetworkACLs[0]
	acl.Subnets = slicesDelete(acl.Subnets, subnet)
	w.NetworkACLs = append(w.NetworkACLs, NetworkACL{ID: id, VPC: SeedVPC, Subnets: []string{subnet}, Inbound: in, Outbound: out})
}

func slicesDelete(xs []string, x string) []string {
	var out []string
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

var allowAll = []ACLRule{{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}}

// reaches reports, for the 1d target, whether the node in each zone reaches it on port 80.
func reaches(t *testing.T, s *Sim) map[string]string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var in *Instance
	for i := range s.w.Instances {
		if s.w.Instances[i].AZ == "ap-northeast-1d" {
			in = &s.w.Instances[i]
		}
	}
	out := map[string]string{}
	for _, n := range s.nodes(&s.w.LoadBalancers[0]) {
		ok, why := s.reach(n, in, 80)
		if ok {
			out[n.AZ] = "ok"
		} else {
			out[n.AZ] = why
		}
	}
	return out
}

func TestReachability(t *testing.T) {
	t.Parallel()
	const a, c, d = "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"
	tests := []struct {
		name string
		edit func(w *World)
		// want: zone -> "ok" or a substring of why it is blocked.
		want map[string]string
	}{
		{"security group by CIDR: only the subnets listed", func(w *World) {
			(*webSG(w).Ingress)[0].CIDRs = []string{"10.0.1.0/24", "10.0.3.0/24"}
		}, map[string]string{a: "ok", c: "admits no TCP 80 from 10.0.2.0/24", d: "ok"}},
		{"security group: a CIDR covering the VPC admits every node", func(w *World) {
			(*webSG(w).Ingress)[0].CIDRs = []string{"10.0.0.0/16"}
		}, map[string]string{a: "ok", c: "ok", d: "ok"}},
		{"security group: a CIDR covering part of a subnet does not admit its node", func(w *World) {
			(*webSG(w).Ingress)[0].CIDRs = []string{"10.0.2.0/25", "10.0.1.0/24", "10.0.3.0/24"}
		}, map[string]string{a: "ok", c: "admits no TCP 80", d: "ok"}},
		{"security group by source group: the load balancer's group", func(w *World) {
			*webSG(w).Ingress = []IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, SourceGroups: []string{SeedALBSG}}}
		}, map[string]string{a: "ok", c: "ok", d: "ok"}},
		{"security group by source group: another group admits nothing", func(w *World) {
			*webSG(w).Ingress = []IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, SourceGroups: []string{SeedWebSG}}}
		}, map[string]string{a: "admits no TCP 80", c: "admits no TCP 80", d: "admits no TCP 80"}},
		{"security group: another port", func(w *World) {
			*webSG(w).Ingress = []IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}}
		}, map[string]string{a: "admits no TCP 80", c: "admits no TCP 80", d: "admits no TCP 80"}},
		{"security group: no rules admits nothing", func(w *World) {
			*webSG(w).Ingress = []IngressRule{}
		}, map[string]string{a: "admits no TCP 80", c: "admits no TCP 80", d: "admits no TCP 80"}},
		{"security group: rules not recorded admit everything", func(w *World) {
			webSG(w).Ingress = nil
		}, map[string]string{a: "ok", c: "ok", d: "ok"}},
		{"network ACL: a deny before the allow, inbound at the target's subnet", func(w *World) {
			aclFor(w, "acl-0000000000000001d", SeedSubnet1d, []ACLRule{
				{Number: 90, Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "10.0.2.0/24", Action: "deny"},
				{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
			}, allowAll)
		}, map[string]string{a: "ok", c: "does not allow inbound from 10.0.2.0/24 port 80", d: "ok"}},
		{"network ACL: an allow before the deny wins", func(w *World) {
			aclFor(w, "acl-0000000000000001d", SeedSubnet1d, []ACLRule{
				{Number: 80, Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "10.0.0.0/16", Action: "allow"},
				{Number: 90, Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "10.0.2.0/24", Action: "deny"},
				{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
			}, allowAll)
		}, map[string]string{a: "ok", c: "ok", d: "ok"}},
		{"network ACL: outbound of the node's subnet", func(w *World) {
			aclFor(w, "acl-0000000000000001a", SeedSubnet1a, allowAll, []ACLRule{
				{Number: 100, Protocol: "tcp", FromPort: 1024, ToPort: 65535, CIDR: "0.0.0.0/0", Action: "allow"},
			})
		}, map[string]string{a: "does not allow outbound to 10.0.3.0/24 port 80", c: "ok", d: "ok"}},
		{"network ACL: return traffic needs the ephemeral ports (only 32768-65535 open)", func(w *World) {
			aclFor(w, "acl-0000000000000001d", SeedSubnet1d, allowAll, []ACLRule{
				{Number: 100, Protocol: "tcp", FromPort: 32768, ToPort: 65535, CIDR: "0.0.0.0/0", Action: "allow"},
			})
		}, map[string]string{a: "does not allow outbound (return traffic) to 10.0.1.0/24 ports 1024-65535", c: "return traffic", d: "ok"}},
		{"network ACL: return traffic on 1024-65535 passes", func(w *World) {
			aclFor(w, "acl-0000000000000001d", SeedSubnet1d, allowAll, []ACLRule{
				{Number: 100, Protocol: "tcp", FromPort: 1024, ToPort: 40000, CIDR: "10.0.0.0/16", Action: "allow"},
				{Number: 110, Protocol: "tcp", FromPort: 40001, ToPort: 65535, CIDR: "10.0.0.0/16", Action: "allow"},
			})
		}, map[string]string{a: "ok", c: "ok", d: "ok"}},
		{"network ACL: return traffic inbound at the node's subnet", func(w *World) {
			aclFor(w, "acl-0000000000000001c", SeedSubnet1c, []ACLRule{
				{Number: 100, Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "0.0.0.0/0", Action: "allow"},
			}, allowAll)
		}, map[string]string{a: "ok", c: "does not allow inbound (return traffic) from 10.0.3.0/24 ports 1024-65535", d: "ok"}},
		{"load balancer egress: not recorded, AWS's default rule lets everything out", func(w *World) {
			albSG(w).Egress = nil
		}, map[string]string{a: "ok", c: "ok", d: "ok"}},
		{"load balancer egress: no rules lets nothing out", func(w *World) {
			albSG(w).Egress = &[]IngressRule{}
		}, map[string]string{a: "of the load balancer allows no TCP 80 out to 10.0.3.0/24", c: "allows no TCP 80 out", d: "allows no TCP 80 out"}},
		{"load balancer egress: to the targets' group", func(w *World) {
			albSG(w).Egress = &[]IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, SourceGroups: []string{SeedWebSG}}}
		}, map[string]string{a: "ok", c: "ok", d: "ok"}},
		{"load balancer egress: to another subnet only", func(w *World) {
			albSG(w).Egress = &[]IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24"}}}
		}, map[string]string{a: "allows no TCP 80 out to 10.0.3.0/24", c: "allows no TCP 80 out", d: "allows no TCP 80 out"}},
		{"load balancer egress: another port", func(w *World) {
			albSG(w).Egress = &[]IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}}
		}, map[string]string{a: "allows no TCP 80 out", c: "allows no TCP 80 out", d: "allows no TCP 80 out"}},
		{"network ACL: a default deny of every rule", func(w *World) {
			aclFor(w, "acl-0000000000000001d", SeedSubnet1d, nil, nil)
		}, map[string]string{a: "does not allow inbound", c: "does not allow inbound", d: "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reaches(t, netWorld(t, tt.edit))
			for az, want := range tt.want {
				if want == "ok" && got[az] != "ok" || want != "ok" && !strings.Contains(got[az], want) {
					t.Errorf("node in %s: %q, want %q", az, got[az], want)
				}
			}
		})
	}
}

func TestUnreachableTargetFailsHealthChecks(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	*webSG(w).Ingress = []IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}}
	s := New(w)
	if got := healthOf(t, s, SeedInstance); got != "unhealthy/Target.Timeout" {
		t.Fatalf("health %s, want unhealthy/Target.Timeout: no node reaches the target", got)
	}
	// Fail-open: every node sends to it anyway, and gets no connection.
	if tr := only(t, s); tr.Status504 != 1 {
		t.Fatalf("%+v", tr)
	}
}

func TestDescribeSecurityGroupsRules(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	*webSG(w).Ingress = append(*webSG(w).Ingress, IngressRule{Protocol: "tcp", FromPort: 22, ToPort: 22, SourceGroups: []string{SeedALBSG}, Description: "ssh"})
	s := New(w)
	out, err := s.EC2().DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{SeedWebSG}})
	if err != nil {
		t.Fatal(err)
	}
	g := out.SecurityGroups[0]
	if len(g.IpPermissions) != 2 {
		t.Fatalf("%+v", g.IpPermissions)
	}
	http, ssh := g.IpPermissions[0], g.IpPermissions[1]
	if aws.ToString(http.IpProtocol) != "tcp" || aws.ToInt32(http.FromPort) != 80 || aws.ToInt32(http.ToPort) != 80 ||
		len(http.IpRanges) != 2 || aws.ToString(http.IpRanges[0].CidrIp) != "10.0.1.0/24" || aws.ToString(http.IpRanges[1].CidrIp) != "10.0.3.0/24" {
		t.Errorf("http rule %+v", http)
	}
	if len(ssh.UserIdGroupPairs) != 1 || aws.ToString(ssh.UserIdGroupPairs[0].GroupId) != SeedALBSG ||
		aws.ToString(ssh.UserIdGroupPairs[0].UserId) != "123456789012" || aws.ToString(ssh.UserIdGroupPairs[0].Description) != "ssh" {
		t.Errorf("ssh rule %+v", ssh)
	}
	if len(g.IpPermissionsEgress) != 1 || aws.ToString(g.IpPermissionsEgress[0].IpProtocol) != "-1" {
		t.Errorf("egress %+v", g.IpPermissionsEgress)
	}
}

// A group whose ingress the world does not record admits everything in the simulator, and
// DescribeSecurityGroups says so, so that Observe and the plan see what the simulator does.
func TestUnrecordedIngressIsReportedAsAllowAll(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	webSG(w).Ingress = nil
	out, err := New(w).EC2().DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{SeedWebSG}})
	if err != nil {
		t.Fatal(err)
	}
	in := out.SecurityGroups[0].IpPermissions
	if len(in) != 1 || aws.ToString(in[0].IpProtocol) != "-1" || len(in[0].IpRanges) != 1 || aws.ToString(in[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Errorf("ingress %+v, want one rule admitting all traffic", in)
	}
}

func TestNetworkValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(w *World)
		want string
	}{
		{"udp", func(w *World) { (*webSG(w).Ingress)[0].Protocol = "udp" }, `protocol "udp" is not tcp or -1`},
		{"bad cidr", func(w *World) { (*webSG(w).Ingress)[0].CIDRs = []string{"10.0.1/24"} }, `cidr "10.0.1/24" is not a CIDR block`},
		{"unknown source group", func(w *World) { (*webSG(w).Ingress)[0].SourceGroups = []string{"sg-nope"} }, `source group "sg-nope" does not exist`},
		{"ports reversed", func(w *World) { (*webSG(w).Ingress)[0].FromPort = 90 }, "ports 90-80"},
		{"egress: unknown group", func(w *World) {
			albSG(w).Egress = &[]IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, SourceGroups: []string{"sg-nope"}}}
		}, `security group sg-0a1b2c3d4e5f60011: egress[0]: source group "sg-nope" does not exist`},
		{"egress: udp", func(w *World) {
			albSG(w).Egress = &[]IngressRule{{Protocol: "udp", FromPort: 80, ToPort: 80, CIDRs: []string{"0.0.0.0/0"}}}
		}, `egress[0]: protocol "udp"`},
		{"acl action", func(w *World) { w.NetworkACLs[0].Inbound[0].Action = "permit" }, `action "permit"`},
		{"acl number", func(w *World) { w.NetworkACLs[0].Inbound[0].Number = 40000 }, "rule_number"},
		{"acl subnet twice", func(w *World) {
			w.NetworkACLs = append(w.NetworkACLs, NetworkACL{ID: "acl-2", VPC: SeedVPC, Subnets: []string{SeedSubnet1a}})
		}, "associated with two network acls"},
		{"sessions", func(w *World) { w.TargetGroups[0].Sessions = "sticky" }, `sessions "sticky" is not local or shared`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := SeedWorld()
			tt.edit(w)
			b, _ := w.Marshal()
			_, err := ParseWorld(b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// A target some nodes reach and others do not (docs/simulator.md, "Reachability"): it is
// reported healthy (the best any node sees); the nodes that reach it send to it, and a node
// that reaches no healthy target fails open to it and gets 504 — the plan's rule in
// internal/reach refuses to keep that node's zone.
func TestPartiallyReachableTarget(t *testing.T) {
	t.Parallel()
	s := New(SeedWorld()) // web-sg admits the 1a and 1d nodes, not the 1c node
	if got := healthOf(t, s, SeedInstance); got != "healthy" {
		t.Fatalf("health %s, want healthy: the 1a and 1d nodes' checks pass", got)
	}
	tr := only(t, s)
	if tr.Served != 0.666667 || tr.Status504 != 0.333333 ||
		!strings.Contains(tr.Why, "security group sg-0a1b2c3d4e5f60010 (web-sg) of i-0a1b2c3d4e5f60001 admits no TCP 80 from 10.0.2.0/24 (the load balancer node in ap-northeast-1c)") {
		t.Errorf("%+v", tr)
	}
	// The egress side of the same rule: the load balancer's group lets nothing out to the
	// 1a subnet, and the target is in 1a: no node reaches it, it fails its checks.
	w := SeedWorld()
	albSG(w).Egress = &[]IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.3.0/24"}}}
	if got := healthOf(t, New(w), SeedInstance); got != "unhealthy/Target.Timeout" {
		t.Errorf("health %s, want unhealthy/Target.Timeout: egress allows no node to reach it", got)
	}
}
