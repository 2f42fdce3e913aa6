package cloud

import (
	"cmp"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// ErrorCode returns the AWS error code of err ("InvalidInstanceID.NotFound"), or "".
// The simulator answers smithy API errors too, so one check serves both.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TagMap turns EC2 tags into a map.
func TagMap(tags []ec2types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// EC2Tags turns a map into EC2 tags, sorted by key so requests are deterministic.
func EC2Tags(m map[string]string) []ec2types.Tag {
	out := make([]ec2types.Tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// The converters below turn one SDK value into the model, one function per kind: Observe and
// mirror.Snapshot both read through them, so a plan and a copy of the account see the same
// thing (docs/simulator.md, "Snapshot").

// InstanceFrom converts a DescribeInstances instance.
func InstanceFrom(in ec2types.Instance) Instance {
	i := Instance{
		ID:           aws.ToString(in.InstanceId),
		SubnetID:     aws.ToString(in.SubnetId),
		VpcID:        aws.ToString(in.VpcId),
		ImageID:      aws.ToString(in.ImageId),
		InstanceType: string(in.InstanceType),
		KeyName:      aws.ToString(in.KeyName),
		LaunchTime:   aws.ToTime(in.LaunchTime).UTC(),
		Tags:         TagMap(in.Tags),
		LaunchIndex:  aws.ToInt32(in.AmiLaunchIndex),
		ClientToken:  aws.ToString(in.ClientToken),
	}
	if in.State != nil {
		i.State = string(in.State.Name)
	}
	if in.Placement != nil {
		i.AZ = aws.ToString(in.Placement.AvailabilityZone)
	}
	if in.IamInstanceProfile != nil {
		i.IAMProfileARN = aws.ToString(in.IamInstanceProfile.Arn)
	}
	for _, sg := range in.SecurityGroups {
		i.SecurityGroupIDs = append(i.SecurityGroupIDs, aws.ToString(sg.GroupId))
	}
	slices.Sort(i.SecurityGroupIDs)
	return i
}

// ImageFrom converts a DescribeImages image.
func ImageFrom(im ec2types.Image) Image {
	img := Image{
		ID: aws.ToString(im.ImageId), Name: aws.ToString(im.Name), State: string(im.State), Tags: TagMap(im.Tags),
		OwnerID: aws.ToString(im.OwnerId), Description: aws.ToString(im.Description),
	}
	if t, err := time.Parse(time.RFC3339, aws.ToString(im.CreationDate)); err == nil {
		img.Created = t.UTC()
	}
	for _, b := range im.BlockDeviceMappings {
		if b.Ebs != nil && aws.ToString(b.Ebs.SnapshotId) != "" && !slices.Contains(img.SnapshotIDs, aws.ToString(b.Ebs.SnapshotId)) {
			img.SnapshotIDs = append(img.SnapshotIDs, aws.ToString(b.Ebs.SnapshotId))
		}
	}
	slices.Sort(img.SnapshotIDs)
	return img
}

// SubnetFrom converts a DescribeSubnets subnet.
func SubnetFrom(s ec2types.Subnet) Subnet {
	return Subnet{
		ID: aws.ToString(s.SubnetId), AZ: aws.ToString(s.AvailabilityZone), VpcID: aws.ToString(s.VpcId),
		Tags: TagMap(s.Tags), AvailableIPs: aws.ToInt32(s.AvailableIpAddressCount), CIDR: aws.ToString(s.CidrBlock),
	}
}

// protocolNames are the protocol numbers EC2 also reports by name in security group rules.
var protocolNames = map[string]string{"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}

// SecurityGroupFrom converts a DescribeSecurityGroups group: one SGRule per IpPermission,
// IPv4 and IPv6 blocks together, rules sorted so that the same group converts the same.
func SecurityGroupFrom(g ec2types.SecurityGroup) SecurityGroup {
	return SecurityGroup{
		ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName), VpcID: aws.ToString(g.VpcId),
		Description: aws.ToString(g.Description), Tags: nilIfEmpty(TagMap(g.Tags)),
		Ingress: sgRules(g.IpPermissions), Egress: sgRules(g.IpPermissionsEgress),
	}
}

func sgRules(perms []ec2types.IpPermission) []SGRule {
	out := []SGRule{}
	for _, p := range perms {
		r := SGRule{Protocol: strings.ToLower(aws.ToString(p.IpProtocol)), FromPort: aws.ToInt32(p.FromPort), ToPort: aws.ToInt32(p.ToPort)}
		if n, ok := protocolNames[r.Protocol]; ok {
			r.Protocol = n
		}
		if r.Protocol == "-1" {
			r.FromPort, r.ToPort = 0, 0
		}
		for _, c := range p.IpRanges {
			r.CIDRs = append(r.CIDRs, aws.ToString(c.CidrIp))
		}
		for _, c := range p.Ipv6Ranges {
			r.CIDRs = append(r.CIDRs, aws.ToString(c.CidrIpv6))
		}
		for _, u := range p.UserIdGroupPairs {
			r.Groups = append(r.Groups, aws.ToString(u.GroupId))
		}
		for _, pl := range p.PrefixListIds {
			r.PrefixLists = append(r.PrefixLists, aws.ToString(pl.PrefixListId))
		}
		slices.Sort(r.CIDRs)
		slices.Sort(r.Groups)
		slices.Sort(r.PrefixLists)
		out = append(out, r)
	}
	slices.SortFunc(out, compareSGRules)
	return out
}

func compareSGRules(a, b SGRule) int {
	return cmp.Or(strings.Compare(a.Protocol, b.Protocol), cmp.Compare(a.FromPort, b.FromPort), cmp.Compare(a.ToPort, b.ToPort),
		slices.Compare(a.CIDRs, b.CIDRs), slices.Compare(a.Groups, b.Groups), slices.Compare(a.PrefixLists, b.PrefixLists))
}

// NetworkACLFrom converts a DescribeNetworkAcls ACL: its entries (rule 32767 included, as
// EC2 reports it) sorted by direction then number, and its associated subnets.
func NetworkACLFrom(a ec2types.NetworkAcl) NetworkACL {
	acl := NetworkACL{ID: aws.ToString(a.NetworkAclId), VpcID: aws.ToString(a.VpcId), IsDefault: aws.ToBool(a.IsDefault), Entries: []ACLEntry{}, Tags: nilIfEmpty(TagMap(a.Tags))}
	for _, as := range a.Associations {
		if id := aws.ToString(as.SubnetId); id != "" && !slices.Contains(acl.Subnets, id) {
			acl.Subnets = append(acl.Subnets, id)
		}
	}
	slices.Sort(acl.Subnets)
	for _, e := range a.Entries {
		x := ACLEntry{
			Number: aws.ToInt32(e.RuleNumber), Egress: aws.ToBool(e.Egress), Protocol: aws.ToString(e.Protocol),
			CIDR: cmp.Or(aws.ToString(e.CidrBlock), aws.ToString(e.Ipv6CidrBlock)), Action: string(e.RuleAction),
		}
		if x.Protocol == "tcp" {
			x.Protocol = "6"
		}
		if e.PortRange != nil && x.Protocol != "-1" {
			x.FromPort, x.ToPort = aws.ToInt32(e.PortRange.From), aws.ToInt32(e.PortRange.To)
		}
		acl.Entries = append(acl.Entries, x)
	}
	slices.SortFunc(acl.Entries, func(x, y ACLEntry) int {
		if x.Egress != y.Egress {
			return cmp.Compare(boolInt(x.Egress), boolInt(y.Egress))
		}
		return cmp.Or(cmp.Compare(x.Number, y.Number), strings.Compare(x.CIDR, y.CIDR))
	})
	return acl
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TargetGroupFrom converts a DescribeTargetGroups group; its attributes and targets are read
// by other calls (AttributesFrom, TargetFrom).
func TargetGroupFrom(tg elbtypes.TargetGroup) TargetGroup {
	t := TargetGroup{
		ARN:              aws.ToString(tg.TargetGroupArn),
		Name:             aws.ToString(tg.TargetGroupName),
		VpcID:            aws.ToString(tg.VpcId),
		Protocol:         string(tg.Protocol),
		Port:             aws.ToInt32(tg.Port),
		LoadBalancerARNs: slices.Sorted(slices.Values(tg.LoadBalancerArns)),
		TargetType:       string(tg.TargetType),
		HealthCheck: HealthCheck{
			Path:               aws.ToString(tg.HealthCheckPath),
			IntervalSeconds:    aws.ToInt32(tg.HealthCheckIntervalSeconds),
			TimeoutSeconds:     aws.ToInt32(tg.HealthCheckTimeoutSeconds),
			HealthyThreshold:   aws.ToInt32(tg.HealthyThresholdCount),
			UnhealthyThreshold: aws.ToInt32(tg.UnhealthyThresholdCount),
			Protocol:           string(tg.HealthCheckProtocol),
			Port:               aws.ToString(tg.HealthCheckPort),
		},
		Attributes: map[string]string{},
	}
	if tg.Matcher != nil {
		t.HealthCheck.Matcher = aws.ToString(tg.Matcher.HttpCode)
	}
	return t
}

// TargetFrom converts one of DescribeTargetHealth's descriptions.
func TargetFrom(d elbtypes.TargetHealthDescription) Target {
	var t Target
	if d.Target != nil {
		t.ID, t.Port = aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)
	}
	if h := d.TargetHealth; h != nil {
		t.State, t.Reason, t.Description = string(h.State), string(h.Reason), aws.ToString(h.Description)
	}
	return t
}

// TargetGroupAttributesFrom converts DescribeTargetGroupAttributes' list into a map.
func TargetGroupAttributesFrom(attrs []elbtypes.TargetGroupAttribute) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	return m
}

// LoadBalancerAttributesFrom converts DescribeLoadBalancerAttributes' list into a map.
func LoadBalancerAttributesFrom(attrs []elbtypes.LoadBalancerAttribute) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	return m
}

// LoadBalancerFrom converts a DescribeLoadBalancers load balancer; its attributes and
// listeners are read by other calls.
func LoadBalancerFrom(lb elbtypes.LoadBalancer) LoadBalancer {
	l := LoadBalancer{
		ARN:            aws.ToString(lb.LoadBalancerArn),
		Name:           aws.ToString(lb.LoadBalancerName),
		VpcID:          aws.ToString(lb.VpcId),
		SecurityGroups: slices.Sorted(slices.Values(lb.SecurityGroups)),
		Type:           string(lb.Type),
		Scheme:         string(lb.Scheme),
		DNSName:        aws.ToString(lb.DNSName),
		Created:        aws.ToTime(lb.CreatedTime).UTC(),
	}
	if lb.State != nil {
		l.State = string(lb.State.Code)
	}
	for _, z := range lb.AvailabilityZones {
		l.Zones = append(l.Zones, LBZone{AZ: aws.ToString(z.ZoneName), SubnetID: aws.ToString(z.SubnetId)})
	}
	slices.SortFunc(l.Zones, func(a, b LBZone) int { return strings.Compare(a.AZ, b.AZ) })
	return l
}

// ListenerFrom converts a DescribeListeners listener; TargetGroupARN is the one group its
// default action forwards to, "" when it does something else (redirect, fixed response,
// weighted forward to several groups).
func ListenerFrom(l elbtypes.Listener) Listener {
	return Listener{ARN: aws.ToString(l.ListenerArn), Port: aws.ToInt32(l.Port), Protocol: string(l.Protocol), TargetGroupARN: forwardTarget(l.DefaultActions)}
}

func forwardTarget(actions []elbtypes.Action) string {
	for _, a := range actions {
		if a.Type != elbtypes.ActionTypeEnumForward {
			continue
		}
		if arn := aws.ToString(a.TargetGroupArn); arn != "" {
			return arn
		}
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) == 1 {
			return aws.ToString(a.ForwardConfig.TargetGroups[0].TargetGroupArn)
		}
	}
	return ""
}

// InstanceProfileFrom converts an IAM instance profile.
func InstanceProfileFrom(p iamtypes.InstanceProfile) InstanceProfile {
	return InstanceProfile{Name: aws.ToString(p.InstanceProfileName), ARN: aws.ToString(p.Arn)}
}

// InstanceProfileDetailFrom is InstanceProfileFrom with the ID and creation time a copy of
// the account needs (a plan compares profiles by name and ARN only).
func InstanceProfileDetailFrom(p iamtypes.InstanceProfile) InstanceProfile {
	ip := InstanceProfileFrom(p)
	ip.ID, ip.Created = aws.ToString(p.InstanceProfileId), aws.ToTime(p.CreateDate).UTC()
	return ip
}

// VPCFrom converts a DescribeVpcs VPC.
func VPCFrom(v ec2types.Vpc) VPC {
	return VPC{ID: aws.ToString(v.VpcId), CIDR: aws.ToString(v.CidrBlock), IsDefault: aws.ToBool(v.IsDefault), OwnerID: aws.ToString(v.OwnerId), Tags: nilIfEmpty(TagMap(v.Tags))}
}

// SnapshotFrom converts a DescribeSnapshots snapshot.
func SnapshotFrom(sn ec2types.Snapshot) Snapshot {
	return Snapshot{
		ID: aws.ToString(sn.SnapshotId), State: string(sn.State), VolumeSize: aws.ToInt32(sn.VolumeSize),
		Description: aws.ToString(sn.Description), Started: aws.ToTime(sn.StartTime).UTC(), Tags: nilIfEmpty(TagMap(sn.Tags)),
	}
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
