package simulator

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Read operations for the network between load balancer nodes and targets and for load
// balancer attributes (docs/simulator.md, "Reachability").

// derivedID makes a stable ID of a kind from the names of what it belongs to: the
// simulator's implicit resources (a VPC's default network ACL the world does not record,
// ACL associations) keep one ID across calls and runs.
func derivedID(prefix string, parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%s-%017x", prefix, h.Sum64())
}

// networkACLs returns the world's network ACLs and, for each VPC without a default one, the
// default ACL AWS creates with every VPC (everything in and out): a world that does not
// record ACLs filters nothing, and reads as such.
func (s *Sim) networkACLs() []NetworkACL {
	out := slices.Clone(s.w.NetworkACLs)
	for _, v := range s.w.VPCs {
		if slices.ContainsFunc(out, func(a NetworkACL) bool { return a.VPC == v.ID && a.IsDefault }) {
			continue
		}
		all := []ACLRule{{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}}
		out = append(out, NetworkACL{ID: derivedID("acl", v.ID), VPC: v.ID, IsDefault: true, Inbound: all, Outbound: all})
	}
	slices.SortFunc(out, func(a, b NetworkACL) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// aclSubnets returns the subnets an ACL is associated with: those it lists and, for a VPC's
// default ACL, every subnet of the VPC that no ACL lists (EC2 reports those associations
// too).
func (s *Sim) aclSubnets(acls []NetworkACL, a NetworkACL) []string {
	subnets := slices.Clone(a.Subnets)
	if a.IsDefault {
		for _, sn := range s.w.Subnets {
			if sn.VPC == a.VPC && !slices.ContainsFunc(acls, func(o NetworkACL) bool { return slices.Contains(o.Subnets, sn.ID) }) {
				subnets = append(subnets, sn.ID)
			}
		}
	}
	slices.Sort(subnets)
	return slices.Compact(subnets)
}

// DescribeNetworkAcls lists network ACLs by ID or filter (network-acl-id, vpc-id, default,
// association.subnet-id, association.network-acl-id, owner-id, tags), with their entries
// (rule 32767, deny everything, included in each direction) and subnet associations.
func (c *EC2) DescribeNetworkAcls(ctx context.Context, in *ec2.DescribeNetworkAclsInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeNetworkAcls", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &ec2.DescribeNetworkAclsInput{}
	}
	if aws.ToBool(in.DryRun) {
		return nil, errDryRun()
	}
	acls := s.networkACLs()
	var missing []string
	for _, id := range in.NetworkAclIds {
		if !slices.ContainsFunc(acls, func(a NetworkACL) bool { return a.ID == id }) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, apiErr("InvalidNetworkAclID.NotFound", "%s", notExist("network ACL", missing))
	}
	var kept []ec2types.NetworkAcl
	for _, a := range acls {
		if len(in.NetworkAclIds) > 0 && !slices.Contains(in.NetworkAclIds, a.ID) {
			continue
		}
		subnets := s.aclSubnets(acls, a)
		ok, err := matchFilters(in.Filters, fields{
			"network-acl-id":             one(a.ID),
			"vpc-id":                     one(a.VPC),
			"default":                    one(strconv.FormatBool(a.IsDefault)),
			"owner-id":                   one(s.w.AccountID),
			"association.subnet-id":      func() []string { return subnets },
			"association.network-acl-id": one(a.ID),
		}.get, a.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, s.describeACL(a, subnets))
		}
	}
	start, end, next, err := ec2Page(len(kept), in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeNetworkAclsOutput{NetworkAcls: append([]ec2types.NetworkAcl{}, kept[start:end]...), NextToken: next}, nil
}

// describeACL is an ACL in the SDK's shape. The simulator's "tcp" is protocol number 6.
func (s *Sim) describeACL(a NetworkACL, subnets []string) ec2types.NetworkAcl {
	out := ec2types.NetworkAcl{
		NetworkAclId: aws.String(a.ID),
		VpcId:        aws.String(a.VPC),
		IsDefault:    aws.Bool(a.IsDefault),
		OwnerId:      aws.String(s.w.AccountID),
		Tags:         ec2Tags(a.Tags),
		Associations: []ec2types.NetworkAclAssociation{},
		Entries:      []ec2types.NetworkAclEntry{},
	}
	for _, sn := range subnets {
		out.Associations = append(out.Associations, ec2types.NetworkAclAssociation{
			NetworkAclAssociationId: aws.String(derivedID("aclassoc", a.ID, sn)),
			NetworkAclId:            aws.String(a.ID),
			SubnetId:                aws.String(sn),
		})
	}
	deny := ACLRule{Number: 32767, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "deny"}
	for _, dir := range []struct {
		egress bool
		rules  []ACLRule
	}{{true, a.Outbound}, {false, a.Inbound}} {
		for _, r := range append(slices.Clone(dir.rules), deny) {
			out.Entries = append(out.Entries, aclEntry(r, dir.egress))
		}
	}
	return out
}

func aclEntry(r ACLRule, egress bool) ec2types.NetworkAclEntry {
	e := ec2types.NetworkAclEntry{
		RuleNumber: aws.Int32(r.Number),
		Egress:     aws.Bool(egress),
		Protocol:   aws.String("-1"),
		RuleAction: ec2types.RuleAction(r.Action),
	}
	if p, err := netip.ParsePrefix(r.CIDR); err == nil && p.Addr().Is6() {
		e.Ipv6CidrBlock = aws.String(r.CIDR)
	} else {
		e.CidrBlock = aws.String(r.CIDR)
	}
	if r.Protocol == "tcp" {
		e.Protocol = aws.String("6")
		e.PortRange = &ec2types.PortRange{From: aws.Int32(r.FromPort), To: aws.Int32(r.ToPort)}
	}
	return e
}

// defaultLBAttributes are an Application Load Balancer's attributes as AWS creates them
// (ELBv2 API reference, LoadBalancerAttribute). The simulator keeps what a world sets and
// models none of them: cross-zone load balancing is always on for an ALB, whatever the
// attribute says (docs/simulator.md).
var defaultLBAttributes = map[string]string{
	"access_logs.s3.enabled":                                   "false",
	"access_logs.s3.bucket":                                    "",
	"access_logs.s3.prefix":                                    "",
	"client_keep_alive.seconds":                                "3600",
	"deletion_protection.enabled":                              "false",
	"idle_timeout.timeout_seconds":                             "60",
	"load_balancing.cross_zone.enabled":                        "true",
	"routing.http.desync_mitigation_mode":                      "defensive",
	"routing.http.drop_invalid_header_fields.enabled":          "false",
	"routing.http.preserve_host_header.enabled":                "false",
	"routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
	"routing.http.xff_client_port.enabled":                     "false",
	"routing.http.xff_header_processing.mode":                  "append",
	"routing.http2.enabled":                                    "true",
	"waf.fail_open.enabled":                                    "false",
	"zonal_shift.config.enabled":                               "false",
	"connection_logs.s3.enabled":                               "false",
	"connection_logs.s3.bucket":                                "",
	"connection_logs.s3.prefix":                                "",
}

// lbAttributes are a load balancer's attributes: AWS's defaults and what the world sets.
func lbAttributes(lb *LoadBalancer) map[string]string {
	m := maps.Clone(defaultLBAttributes)
	maps.Copy(m, lb.Attributes)
	return m
}

// DescribeLoadBalancerAttributes lists every attribute of a load balancer, defaults
// included, sorted by key.
func (c *ELBV2) DescribeLoadBalancerAttributes(ctx context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeLoadBalancerAttributes", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil || in.LoadBalancerArn == nil {
		return nil, apiErr("ValidationError", "1 validation error detected: Value null at 'loadBalancerArn' failed to satisfy constraint: Member must not be null")
	}
	lb := s.loadBalancer(*in.LoadBalancerArn)
	if lb == nil {
		return nil, errLBNotFound()
	}
	m := lbAttributes(lb)
	out := &elbv2.DescribeLoadBalancerAttributesOutput{Attributes: []elbtypes.LoadBalancerAttribute{}}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out.Attributes = append(out.Attributes, elbtypes.LoadBalancerAttribute{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out, nil
}

// DescribeSnapshots lists EBS snapshots by ID, owner ("self" or the account) and filter
// (snapshot-id, owner-id, status, volume-size, tags), paged by NextToken (MaxResults 5-1000).
// The simulator's snapshots are the account's own.
func (c *EC2) DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeSnapshots", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &ec2.DescribeSnapshotsInput{}
	}
	if aws.ToBool(in.DryRun) {
		return nil, errDryRun()
	}
	var missing []string
	for _, id := range in.SnapshotIds {
		if !slices.ContainsFunc(s.w.Snapshots, func(sn Snapshot) bool { return sn.ID == id }) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, apiErr("InvalidSnapshot.NotFound", "%s", notExist("snapshot", missing))
	}
	var kept []ec2types.Snapshot
	for _, sn := range s.w.Snapshots {
		if len(in.SnapshotIds) > 0 && !slices.Contains(in.SnapshotIds, sn.ID) {
			continue
		}
		if len(in.OwnerIds) > 0 && !slices.Contains(in.OwnerIds, "self") && !slices.Contains(in.OwnerIds, s.w.AccountID) {
			continue
		}
		ok, err := matchFilters(in.Filters, fields{
			"snapshot-id": one(sn.ID),
			"owner-id":    one(s.w.AccountID),
			"status":      one(sn.State),
			"volume-size": one(strconv.Itoa(int(sn.VolumeSize))),
		}.get, sn.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, ec2types.Snapshot{
				SnapshotId: aws.String(sn.ID), State: ec2types.SnapshotState(sn.State), VolumeSize: aws.Int32(sn.VolumeSize),
				Description: aws.String(sn.Description), StartTime: aws.Time(sn.CreatedAt), OwnerId: aws.String(s.w.AccountID),
				Tags: ec2Tags(sn.Tags),
			})
		}
	}
	start, end, next, err := ec2Page(len(kept), in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeSnapshotsOutput{Snapshots: append([]ec2types.Snapshot{}, kept[start:end]...), NextToken: next}, nil
}

// DefaultLoadBalancerAttributes returns the load balancer attributes the simulator knows,
// with AWS's defaults: a world may set these keys and no other.
func DefaultLoadBalancerAttributes() map[string]string { return maps.Clone(defaultLBAttributes) }

// DefaultTargetGroupAttributes returns the target group attributes the simulator models,
// with AWS's defaults.
func DefaultTargetGroupAttributes() map[string]string { return maps.Clone(defaultAttributes) }
