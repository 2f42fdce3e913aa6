package cloud_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// networkWorld is the blog world with more to read: the web group's rules name a group
// whose rules name a third (the closure is read, a group nobody names is not), outbound
// rules with an IPv6 block, a network ACL that denies the 1c subnet, load balancer
// attributes, and a target whose app answers 500.
func networkWorld() *simulator.World {
	w := simulator.SeedWorld()
	web := &w.SecurityGroups[1]
	if web.ID != simulator.SeedWebSG {
		web = &w.SecurityGroups[0]
	}
	*web.Ingress = append(*web.Ingress, simulator.IngressRule{Protocol: "tcp", FromPort: 22, ToPort: 22, SourceGroups: []string{"sg-0000000000000bast"}})
	web.Egress = &[]simulator.IngressRule{
		{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"::/0", "0.0.0.0/0"}},
		{Protocol: "-1", SourceGroups: []string{simulator.SeedALBSG}},
	}
	w.SecurityGroups = append(w.SecurityGroups,
		simulator.SecurityGroup{ID: "sg-0000000000000bast", Name: "bastion", VPC: simulator.SeedVPC, Ingress: &[]simulator.IngressRule{
			{Protocol: "tcp", FromPort: 22, ToPort: 22, SourceGroups: []string{"sg-00000000000admin"}},
		}},
		simulator.SecurityGroup{ID: "sg-00000000000admin", Name: "admin", VPC: simulator.SeedVPC, Ingress: &[]simulator.IngressRule{}},
		simulator.SecurityGroup{ID: "sg-0000000000unused", Name: "unused", VPC: simulator.SeedVPC},
	)
	w.NetworkACLs[0].Subnets = []string{simulator.SeedSubnet1a, simulator.SeedSubnet1d}
	w.NetworkACLs = append(w.NetworkACLs, simulator.NetworkACL{
		ID: "acl-0f00000000000c1c", VPC: simulator.SeedVPC, Subnets: []string{simulator.SeedSubnet1c},
		Inbound: []simulator.ACLRule{
			{Number: 90, Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "10.0.1.0/24", Action: "deny"},
			{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
		},
		Outbound: []simulator.ACLRule{{Number: 100, Protocol: "tcp", FromPort: 1024, ToPort: 65535, CIDR: "0.0.0.0/0", Action: "allow"}},
	})
	w.LoadBalancers[0].Attributes = map[string]string{"idle_timeout.timeout_seconds": "30"}
	w.Images[0].App = &simulator.App{Health: "fails", StatusCode: 500}
	w.Instances[0].App = &simulator.App{Health: "fails", StatusCode: 500}
	return w
}

func TestObserveReadsTheNetwork(t *testing.T) {
	t.Parallel()
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sim := simulator.New(networkWorld())
	got, err := cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	if !got.NetworkRead {
		t.Error("NetworkRead is false")
	}
	wantGroups := []cloud.SecurityGroup{
		{ID: "sg-0000000000000bast", Name: "bastion", VpcID: simulator.SeedVPC,
			Ingress: []cloud.SGRule{{Protocol: "tcp", FromPort: 22, ToPort: 22, Groups: []string{"sg-00000000000admin"}}},
			Egress:  []cloud.SGRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}},
		{ID: "sg-00000000000admin", Name: "admin", VpcID: simulator.SeedVPC, Ingress: []cloud.SGRule{},
			Egress: []cloud.SGRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}},
		{ID: simulator.SeedWebSG, Name: "web-sg", VpcID: simulator.SeedVPC, Description: "web servers: HTTP from the load balancer",
			Ingress: []cloud.SGRule{
				{Protocol: "tcp", FromPort: 22, ToPort: 22, Groups: []string{"sg-0000000000000bast"}},
				{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24", "10.0.3.0/24"}},
			},
			Egress: []cloud.SGRule{
				{Protocol: "-1", Groups: []string{simulator.SeedALBSG}},
				{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0", "::/0"}},
			}},
		{ID: simulator.SeedALBSG, Name: "web-alb-sg", VpcID: simulator.SeedVPC, Description: "load balancer: HTTP from anywhere",
			Ingress: []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"0.0.0.0/0"}}},
			Egress:  []cloud.SGRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}},
	}
	if d := cmp.Diff(wantGroups, got.SecurityGroups); d != "" {
		t.Errorf("security groups (-want +got):\n%s", d)
	}
	deny := func(egress bool) cloud.ACLEntry {
		return cloud.ACLEntry{Number: 32767, Egress: egress, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "deny"}
	}
	wantACLs := []cloud.NetworkACL{
		{ID: simulator.SeedNetworkACL, VpcID: simulator.SeedVPC, IsDefault: true, Subnets: []string{simulator.SeedSubnet1a, simulator.SeedSubnet1d},
			Entries: []cloud.ACLEntry{
				{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}, deny(false),
				{Number: 100, Egress: true, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}, deny(true),
			}},
		{ID: "acl-0f00000000000c1c", VpcID: simulator.SeedVPC, Subnets: []string{simulator.SeedSubnet1c},
			Entries: []cloud.ACLEntry{
				{Number: 90, Protocol: "6", FromPort: 80, ToPort: 80, CIDR: "10.0.1.0/24", Action: "deny"},
				{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}, deny(false),
				{Number: 100, Egress: true, Protocol: "6", FromPort: 1024, ToPort: 65535, CIDR: "0.0.0.0/0", Action: "allow"}, deny(true),
			}},
	}
	if d := cmp.Diff(wantACLs, got.NetworkACLs); d != "" {
		t.Errorf("network acls (-want +got):\n%s", d)
	}
	lb := got.LoadBalancers[0]
	if d := cmp.Diff([]string{simulator.SeedALBSG}, lb.SecurityGroups); d != "" {
		t.Errorf("load balancer groups: %s", d)
	}
	if lb.Attributes["idle_timeout.timeout_seconds"] != "30" || lb.Attributes["deletion_protection.enabled"] != "false" {
		t.Errorf("load balancer attributes %v", lb.Attributes)
	}
	wantListeners := []cloud.Listener{{ARN: simulator.SeedListener, Port: 80, Protocol: "HTTP", TargetGroupARN: simulator.SeedTargetGroup}}
	if d := cmp.Diff(wantListeners, lb.Listeners); d != "" {
		t.Errorf("listeners (-want +got):\n%s", d)
	}
	for _, sn := range got.Subnets {
		if sn.CIDR == "" {
			t.Errorf("subnet %s: no CIDR", sn.ID)
		}
	}
	tgt := got.TargetGroups[0].Targets[0]
	want := cloud.Target{ID: simulator.SeedInstance, Port: 80, State: "unhealthy", Reason: "Target.ResponseCodeMismatch", Description: "Health checks failed with these codes: [500]"}
	if diff := cmp.Diff(want, tgt); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
}

// The converters keep what the simulator cannot produce: prefix lists, IPv6 ranges, rules by
// protocol number, ACL entries for IPv6 blocks, and forward actions in ForwardConfig only.
func TestConvertersKeepEveryRuleForm(t *testing.T) {
	t.Parallel()
	g := cloud.SecurityGroupFrom(ec2types.SecurityGroup{
		GroupId: aws.String("sg-1"), GroupName: aws.String("g"), VpcId: aws.String("vpc-1"),
		IpPermissions: []ec2types.IpPermission{
			{IpProtocol: aws.String("17"), FromPort: aws.Int32(53), ToPort: aws.Int32(53), Ipv6Ranges: []ec2types.Ipv6Range{{CidrIpv6: aws.String("2001:db8::/32")}}},
			{IpProtocol: aws.String("6"), FromPort: aws.Int32(80), ToPort: aws.Int32(81), PrefixListIds: []ec2types.PrefixListId{{PrefixListId: aws.String("pl-2")}, {PrefixListId: aws.String("pl-1")}}},
			{IpProtocol: aws.String("-1"), FromPort: aws.Int32(-1), ToPort: aws.Int32(-1), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-9")}}},
		},
	})
	want := cloud.SecurityGroup{ID: "sg-1", Name: "g", VpcID: "vpc-1", Egress: []cloud.SGRule{}, Ingress: []cloud.SGRule{
		{Protocol: "-1", Groups: []string{"sg-9"}},
		{Protocol: "tcp", FromPort: 80, ToPort: 81, PrefixLists: []string{"pl-1", "pl-2"}},
		{Protocol: "udp", FromPort: 53, ToPort: 53, CIDRs: []string{"2001:db8::/32"}},
	}}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("security group (-want +got):\n%s", d)
	}
	acl := cloud.NetworkACLFrom(ec2types.NetworkAcl{
		NetworkAclId: aws.String("acl-1"), VpcId: aws.String("vpc-1"),
		Associations: []ec2types.NetworkAclAssociation{{SubnetId: aws.String("subnet-2")}, {SubnetId: aws.String("subnet-1")}},
		Entries: []ec2types.NetworkAclEntry{
			{RuleNumber: aws.Int32(32768), Egress: aws.Bool(false), Protocol: aws.String("-1"), Ipv6CidrBlock: aws.String("::/0"), RuleAction: ec2types.RuleActionDeny},
			{RuleNumber: aws.Int32(10), Egress: aws.Bool(true), Protocol: aws.String("17"), PortRange: &ec2types.PortRange{From: aws.Int32(53), To: aws.Int32(53)}, CidrBlock: aws.String("10.0.0.0/8"), RuleAction: ec2types.RuleActionAllow},
		},
	})
	wantACL := cloud.NetworkACL{ID: "acl-1", VpcID: "vpc-1", Subnets: []string{"subnet-1", "subnet-2"}, Entries: []cloud.ACLEntry{
		{Number: 32768, Protocol: "-1", CIDR: "::/0", Action: "deny"},
		{Number: 10, Egress: true, Protocol: "17", FromPort: 53, ToPort: 53, CIDR: "10.0.0.0/8", Action: "allow"},
	}}
	if d := cmp.Diff(wantACL, acl); d != "" {
		t.Errorf("network acl (-want +got):\n%s", d)
	}
	l := cloud.ListenerFrom(elbtypes.Listener{ListenerArn: aws.String("l"), Port: aws.Int32(443), Protocol: "HTTPS", DefaultActions: []elbtypes.Action{
		{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String("tg")}}}},
	}})
	if l != (cloud.Listener{ARN: "l", Port: 443, Protocol: "HTTPS", TargetGroupARN: "tg"}) {
		t.Errorf("listener %+v", l)
	}
	if l := cloud.ListenerFrom(elbtypes.Listener{DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect}}}); l.TargetGroupARN != "" {
		t.Errorf("a redirect forwards to %q", l.TargetGroupARN)
	}
}
