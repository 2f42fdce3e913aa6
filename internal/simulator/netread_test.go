package simulator

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// aclWorld is the seed world with a second VPC that records no ACL, and an ACL of its own
// for the 1c subnet.
func aclWorld() *World {
	w := SeedWorld()
	w.VPCs = append(w.VPCs, VPC{ID: "vpc-0000000000000bare", CIDR: "10.9.0.0/16"})
	w.Subnets = append(w.Subnets, Subnet{ID: "subnet-00000000000bare", VPC: "vpc-0000000000000bare", AZ: "ap-northeast-1a", CIDR: "10.9.1.0/24"})
	w.NetworkACLs[0].Subnets = []string{SeedSubnet1a}
	w.NetworkACLs = append(w.NetworkACLs, NetworkACL{
		ID: "acl-000000000000001c", VPC: SeedVPC, Subnets: []string{SeedSubnet1c},
		Inbound: []ACLRule{{Number: 90, Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "10.0.1.0/24", Action: "deny"}},
	})
	return w
}

func describeACLs(t *testing.T, s *Sim, in *ec2.DescribeNetworkAclsInput) []ec2types.NetworkAcl {
	t.Helper()
	out, err := s.EC2().DescribeNetworkAcls(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.NetworkAcls
}

func aclIDs(acls []ec2types.NetworkAcl) []string {
	var ids []string
	for _, a := range acls {
		ids = append(ids, aws.ToString(a.NetworkAclId))
	}
	return ids
}

func filters(name string, values ...string) []ec2types.Filter {
	return []ec2types.Filter{filter(name, values...)}
}

// DescribeNetworkAcls answers as EC2 does: a VPC's default ACL is associated with every
// subnet no other ACL has (and a VPC the world records no ACL for has the default ACL AWS
// creates), each direction ends with rule 32767, tcp is protocol 6, and the filters select.
func TestDescribeNetworkAcls(t *testing.T) {
	t.Parallel()
	s := New(aclWorld())
	all := describeACLs(t, s, nil)
	bare := derivedID("acl", "vpc-0000000000000bare")
	if got, want := aclIDs(all), slices.Sorted(slices.Values([]string{"acl-000000000000001c", SeedNetworkACL, bare})); !slices.Equal(got, want) {
		t.Fatalf("acls %v, want %v", got, want)
	}
	byID := map[string]ec2types.NetworkAcl{}
	for _, a := range all {
		byID[aws.ToString(a.NetworkAclId)] = a
	}
	var assoc []string
	for _, as := range byID[SeedNetworkACL].Associations {
		assoc = append(assoc, aws.ToString(as.SubnetId))
	}
	if want := []string{SeedSubnet1a, SeedSubnet1d}; !slices.Equal(assoc, want) {
		t.Errorf("default acl associations %v, want %v (1d is implicit)", assoc, want)
	}
	e := byID["acl-000000000000001c"].Entries
	if len(e) != 3 || aws.ToString(e[1].Protocol) != "6" || aws.ToInt32(e[1].PortRange.From) != 80 || e[1].RuleAction != "deny" ||
		aws.ToInt32(e[2].RuleNumber) != 32767 || e[2].RuleAction != "deny" || !aws.ToBool(e[0].Egress) || aws.ToBool(e[2].Egress) {
		t.Errorf("entries %+v", e)
	}
	if d := byID[bare]; !aws.ToBool(d.IsDefault) || len(d.Entries) != 4 || aws.ToString(d.Associations[0].SubnetId) != "subnet-00000000000bare" {
		t.Errorf("the default acl of a VPC that records none: %+v", d)
	}
	for _, c := range []struct {
		filters []ec2types.Filter
		want    []string
	}{
		{filters("association.subnet-id", SeedSubnet1d), []string{SeedNetworkACL}},
		{filters("association.subnet-id", SeedSubnet1c), []string{"acl-000000000000001c"}},
		{filters("vpc-id", SeedVPC), []string{"acl-000000000000001c", SeedNetworkACL}},
		{filters("default", "false"), []string{"acl-000000000000001c"}},
		{filters("network-acl-id", bare), []string{bare}},
	} {
		if got := aclIDs(describeACLs(t, s, &ec2.DescribeNetworkAclsInput{Filters: c.filters})); !slices.Equal(got, c.want) {
			t.Errorf("%s=%v: %v, want %v", aws.ToString(c.filters[0].Name), c.filters[0].Values, got, c.want)
		}
	}
	_, err := s.EC2().DescribeNetworkAcls(context.Background(), &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{"acl-0123456789abcdef0"}})
	wantCode(t, err, "InvalidNetworkAclID.NotFound")
	_, err = s.EC2().DescribeNetworkAcls(context.Background(), &ec2.DescribeNetworkAclsInput{Filters: filters("nope", "x")})
	wantCode(t, err, "InvalidParameterValue")
	page := describeACLs(t, s, &ec2.DescribeNetworkAclsInput{MaxResults: aws.Int32(5)})
	if len(page) != 3 {
		t.Errorf("a page of 5 holds %d acls", len(page))
	}
}

func TestDescribeLoadBalancerAttributes(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.LoadBalancers[0].Attributes = map[string]string{"idle_timeout.timeout_seconds": "30"}
	s := New(w)
	out, err := s.ELBV2().DescribeLoadBalancerAttributes(context.Background(), &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(SeedALB)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var keys []string
	for _, a := range out.Attributes {
		got[aws.ToString(a.Key)] = aws.ToString(a.Value)
		keys = append(keys, aws.ToString(a.Key))
	}
	if got["idle_timeout.timeout_seconds"] != "30" || got["deletion_protection.enabled"] != "false" || got["routing.http2.enabled"] != "true" || !slices.IsSorted(keys) {
		t.Errorf("attributes %v", got)
	}
	_, err = s.ELBV2().DescribeLoadBalancerAttributes(context.Background(), &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(SeedALB + "x")})
	wantCode(t, err, "LoadBalancerNotFound")
	w.LoadBalancers[0].Attributes = map[string]string{"nope": "1"}
	data, _ := w.Marshal()
	if _, err := ParseWorld(data); err == nil {
		t.Error("a world with an unknown load balancer attribute loads")
	}
}

// DescribeSecurityGroups reports what the simulator applies: a group whose rules the world
// does not record admits everything, and says so; recorded outbound rules replace AWS's
// default one; IPv6 blocks are Ipv6Ranges.
func TestDescribeSecurityGroupsReadsAsApplied(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.SecurityGroups = append(w.SecurityGroups, SecurityGroup{ID: "sg-0000000000000open", Name: "open", VPC: SeedVPC})
	web := &w.SecurityGroups[0]
	web.Egress = &[]IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"::/0"}}}
	s := New(w)
	out, err := s.EC2().DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0000000000000open", web.ID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range out.SecurityGroups {
		switch aws.ToString(g.GroupId) {
		case "sg-0000000000000open":
			if len(g.IpPermissions) != 1 || aws.ToString(g.IpPermissions[0].IpProtocol) != "-1" || aws.ToString(g.IpPermissions[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
				t.Errorf("unrecorded ingress reads %+v, want everything", g.IpPermissions)
			}
		case web.ID:
			e := g.IpPermissionsEgress
			if len(e) != 1 || aws.ToInt32(e[0].FromPort) != 443 || len(e[0].Ipv6Ranges) != 1 || len(e[0].IpRanges) != 0 {
				t.Errorf("egress reads %+v", e)
			}
		}
	}
}
