package mirror

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// duplicate reports whether err says that what a create or authorize call makes exists
// already. After a retry of a call whose first answer was lost (a dropped connection), that
// is the call's success: Seed then finds what it made (docs/simulator.md, "Snapshot").
func duplicate(err error, codes ...string) bool {
	return err != nil && slices.Contains(codes, cloud.ErrorCode(err))
}

// flatRule is one source of one rule: the unit EC2 authorizes and revokes.
type flatRule struct {
	proto    string
	from, to int32
	source   string // a CIDR block or a group ID (the endpoint's)
}

func (f flatRule) permission() ec2types.IpPermission {
	p := ec2types.IpPermission{IpProtocol: aws.String(f.proto)}
	if f.proto != "-1" {
		p.FromPort, p.ToPort = aws.Int32(f.from), aws.Int32(f.to)
	}
	switch pfx, err := netip.ParsePrefix(f.source); {
	case err != nil:
		p.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: aws.String(f.source)}}
	case pfx.Addr().Is6():
		p.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(f.source)}}
	default:
		p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(f.source)}}
	}
	return p
}

// wantRules flattens a world group's rules in one direction; nil is what the world means
// by it: everything (AWS's default outbound rule; inbound, a world that does not record
// rules admits everything).
func (s *seeder) wantRules(rules *[]simulator.IngressRule, what string) ([]flatRule, error) {
	list := allTraffic
	if rules != nil {
		list = *rules
	}
	var out []flatRule
	for _, r := range list {
		from, to := r.FromPort, r.ToPort
		if r.Protocol == "-1" {
			from, to = 0, 0
		}
		for _, c := range r.CIDRs {
			out = append(out, flatRule{r.Protocol, from, to, c})
		}
		for _, g := range r.SourceGroups {
			id, err := s.id(g, what)
			if err != nil {
				return nil, err
			}
			out = append(out, flatRule{r.Protocol, from, to, id})
		}
	}
	return out, nil
}

func haveRules(rules []cloud.SGRule) []flatRule {
	var out []flatRule
	for _, r := range rules {
		for _, src := range slices.Concat(r.CIDRs, r.Groups, r.PrefixLists) {
			out = append(out, flatRule{r.Protocol, r.FromPort, r.ToPort, src})
		}
	}
	return out
}

// securityGroupRules makes each group's rules, both ways, what the world says: it
// authorizes what is missing and revokes what the world does not have (the default
// outbound rule of a new group, when the world has other outbound rules).
func (s *seeder) securityGroupRules(ctx context.Context) error {
	for _, g := range s.w.SecurityGroups {
		id, err := s.id(g.ID, "security group "+g.Name)
		if err != nil {
			return err
		}
		got, err := s.api.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
		if err != nil || len(got.SecurityGroups) != 1 {
			return fmt.Errorf("describe security group %s: %w", g.Name, err)
		}
		have := cloud.SecurityGroupFrom(got.SecurityGroups[0])
		for _, d := range []struct {
			egress bool
			want   *[]simulator.IngressRule
			have   []cloud.SGRule
		}{{false, g.Ingress, have.Ingress}, {true, g.Egress, have.Egress}} {
			want, err := s.wantRules(d.want, "security group "+g.Name)
			if err != nil {
				return err
			}
			if err := s.syncRules(ctx, id, d.egress, want, haveRules(d.have)); err != nil {
				return fmt.Errorf("security group %s: %w", g.Name, err)
			}
		}
	}
	return nil
}

func (s *seeder) syncRules(ctx context.Context, group string, egress bool, want, have []flatRule) error {
	for _, r := range want {
		if slices.Contains(have, r) {
			continue
		}
		perm := []ec2types.IpPermission{r.permission()}
		var err error
		if egress {
			_, err = s.api.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(group), IpPermissions: perm})
		} else {
			_, err = s.api.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(group), IpPermissions: perm})
		}
		if err != nil && !duplicate(err, "InvalidPermission.Duplicate") {
			return fmt.Errorf("authorize %+v: %w", r, err)
		}
	}
	for _, r := range have {
		if slices.Contains(want, r) {
			continue
		}
		perm := []ec2types.IpPermission{r.permission()}
		var err error
		if egress {
			_, err = s.api.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(group), IpPermissions: perm})
		} else {
			_, err = s.api.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(group), IpPermissions: perm})
		}
		if err != nil && !duplicate(err, "InvalidPermission.NotFound") {
			return fmt.Errorf("revoke %+v: %w", r, err)
		}
	}
	return nil
}

// tagMirrorOf marks a network ACL Seed created with the world ACL it copies: ACLs have no
// name to find them by again.
const tagMirrorOf = "albctl:mirror-of"

// networkACLs makes each world ACL in the endpoint (a VPC's default ACL is the endpoint's
// own), with the world's entries, associated with the world's subnets.
func (s *seeder) networkACLs(ctx context.Context) error {
	for _, a := range s.w.NetworkACLs {
		vpc, err := s.id(a.VPC, "network acl "+a.ID)
		if err != nil {
			return err
		}
		have, err := s.describeACLs(ctx, []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}})
		if err != nil {
			return err
		}
		i := slices.IndexFunc(have, func(h ec2types.NetworkAcl) bool {
			if a.IsDefault {
				return aws.ToBool(h.IsDefault)
			}
			return cloud.TagMap(h.Tags)[tagMirrorOf] == a.ID
		})
		var acl ec2types.NetworkAcl
		switch {
		case i >= 0:
			acl = have[i]
			s.found(a.ID, aws.ToString(acl.NetworkAclId))
		case a.IsDefault:
			return fmt.Errorf("network acl %s: VPC %s has no default network ACL", a.ID, vpc)
		default:
			tags := maps.Clone(a.Tags)
			if tags == nil {
				tags = map[string]string{}
			}
			tags[tagMirrorOf] = a.ID
			out, err := s.api.EC2.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{
				VpcId: aws.String(vpc), ClientToken: aws.String("albctl-mirror-" + a.ID), TagSpecifications: tagSpec(ec2types.ResourceTypeNetworkAcl, tags),
			})
			if err != nil {
				return fmt.Errorf("create network acl %s: %w", a.ID, err)
			}
			acl = *out.NetworkAcl
			s.created(a.ID, aws.ToString(acl.NetworkAclId))
		}
		if err := s.aclEntries(ctx, a, acl); err != nil {
			return err
		}
		if err := s.aclAssociations(ctx, a, aws.ToString(acl.NetworkAclId)); err != nil {
			return err
		}
	}
	return nil
}

func (s *seeder) describeACLs(ctx context.Context, filters []ec2types.Filter) ([]ec2types.NetworkAcl, error) {
	var out []ec2types.NetworkAcl
	p := ec2.NewDescribeNetworkAclsPaginator(s.api.EC2, &ec2.DescribeNetworkAclsInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe network acls: %w", err)
		}
		out = append(out, page.NetworkAcls...)
	}
	return out, nil
}

// aclEntries deletes the entries the world does not have (not the final ones, which EC2
// keeps), replaces those that differ and creates the missing ones.
func (s *seeder) aclEntries(ctx context.Context, a simulator.NetworkACL, acl ec2types.NetworkAcl) error {
	id := acl.NetworkAclId
	want := map[[2]int32]cloud.ACLEntry{}
	for _, d := range []struct {
		egress bool
		rules  []simulator.ACLRule
	}{{false, a.Inbound}, {true, a.Outbound}} {
		for _, r := range d.rules {
			e := cloud.ACLEntry{Number: r.Number, Egress: d.egress, Protocol: "-1", CIDR: r.CIDR, Action: r.Action}
			if r.Protocol == "tcp" {
				e.Protocol, e.FromPort, e.ToPort = "6", r.FromPort, r.ToPort
			}
			want[[2]int32{boolNum(d.egress), r.Number}] = e
		}
	}
	have := map[[2]int32]cloud.ACLEntry{}
	for _, e := range cloud.NetworkACLFrom(acl).Entries {
		if e.Number <= 32766 {
			have[[2]int32{boolNum(e.Egress), e.Number}] = e
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(have), cmpKey) {
		if _, ok := want[k]; !ok {
			if _, err := s.api.EC2.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: id, Egress: aws.Bool(k[0] == 1), RuleNumber: aws.Int32(k[1])}); err != nil {
				return fmt.Errorf("network acl %s: delete entry %d: %w", a.ID, k[1], err)
			}
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(want), cmpKey) {
		e := want[k]
		if h, ok := have[k]; ok && h == e {
			continue
		}
		if err := s.putEntry(ctx, id, e, have[k] != (cloud.ACLEntry{})); err != nil {
			return fmt.Errorf("network acl %s: entry %d: %w", a.ID, e.Number, err)
		}
	}
	return nil
}

func boolNum(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func cmpKey(a, b [2]int32) int {
	if a[0] != b[0] {
		return int(a[0] - b[0])
	}
	return int(a[1] - b[1])
}

// putEntry creates an entry, or replaces the one with its number (also when a retried
// create finds it made).
func (s *seeder) putEntry(ctx context.Context, acl *string, e cloud.ACLEntry, exists bool) error {
	var ports *ec2types.PortRange
	if e.Protocol != "-1" {
		ports = &ec2types.PortRange{From: aws.Int32(e.FromPort), To: aws.Int32(e.ToPort)}
	}
	var v4, v6 *string
	if p, err := netip.ParsePrefix(e.CIDR); err == nil && p.Addr().Is6() {
		v6 = aws.String(e.CIDR)
	} else {
		v4 = aws.String(e.CIDR)
	}
	if !exists {
		_, err := s.api.EC2.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{
			NetworkAclId: acl, RuleNumber: aws.Int32(e.Number), Egress: aws.Bool(e.Egress), Protocol: aws.String(e.Protocol),
			PortRange: ports, CidrBlock: v4, Ipv6CidrBlock: v6, RuleAction: ec2types.RuleAction(e.Action),
		})
		if !duplicate(err, "NetworkAclEntryAlreadyExists") {
			return err
		}
	}
	_, err := s.api.EC2.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{
		NetworkAclId: acl, RuleNumber: aws.Int32(e.Number), Egress: aws.Bool(e.Egress), Protocol: aws.String(e.Protocol),
		PortRange: ports, CidrBlock: v4, Ipv6CidrBlock: v6, RuleAction: ec2types.RuleAction(e.Action),
	})
	return err
}

// aclAssociations moves each of the ACL's subnets to it (every subnet is associated with
// some ACL: its VPC's default one at first).
func (s *seeder) aclAssociations(ctx context.Context, a simulator.NetworkACL, acl string) error {
	for _, sn := range a.Subnets {
		subnet, err := s.id(sn, "network acl "+a.ID)
		if err != nil {
			return err
		}
		cur, err := s.describeACLs(ctx, []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnet}}})
		if err != nil {
			return err
		}
		assoc, there := association(cur, subnet, acl)
		if there {
			continue
		}
		if assoc == "" {
			return fmt.Errorf("network acl %s: subnet %s has no network ACL association to replace", a.ID, subnet)
		}
		if _, err := s.api.EC2.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: aws.String(assoc), NetworkAclId: aws.String(acl)}); err != nil {
			return fmt.Errorf("network acl %s: associate %s: %w", a.ID, subnet, err)
		}
	}
	return nil
}

// association finds a subnet's current ACL association among acls: its ID, and whether it
// is with acl already.
func association(acls []ec2types.NetworkAcl, subnet, acl string) (id string, there bool) {
	for _, c := range acls {
		for _, as := range c.Associations {
			if aws.ToString(as.SubnetId) == subnet {
				return aws.ToString(as.NetworkAclAssociationId), aws.ToString(c.NetworkAclId) == acl
			}
		}
	}
	return "", false
}

// lbAttributes sets the load balancer attributes the world sets and the endpoint has
// otherwise.
func (s *seeder) lbAttributes(ctx context.Context) error {
	for _, lb := range s.w.LoadBalancers {
		if len(lb.Attributes) == 0 {
			continue
		}
		arn, err := s.id(lb.ARN, "load balancer "+lb.Name)
		if err != nil {
			return err
		}
		got, err := s.api.ELBV2.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn)})
		if err != nil {
			return fmt.Errorf("load balancer %s: describe attributes: %w", lb.Name, err)
		}
		have := cloud.LoadBalancerAttributesFrom(got.Attributes)
		var attrs []elbtypes.LoadBalancerAttribute
		for _, k := range slices.Sorted(maps.Keys(lb.Attributes)) {
			if have[k] != lb.Attributes[k] {
				attrs = append(attrs, elbtypes.LoadBalancerAttribute{Key: aws.String(k), Value: aws.String(lb.Attributes[k])})
			}
		}
		if len(attrs) == 0 {
			continue
		}
		if _, err := s.api.ELBV2.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn), Attributes: attrs}); err != nil {
			return fmt.Errorf("load balancer %s: set attributes: %w", lb.Name, err)
		}
	}
	return nil
}
