package simulator

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func (s *Sim) subnet(id string) *Subnet {
	for i := range s.w.Subnets {
		if s.w.Subnets[i].ID == id {
			return &s.w.Subnets[i]
		}
	}
	return nil
}

func (s *Sim) vpc(id string) *VPC {
	for i := range s.w.VPCs {
		if s.w.VPCs[i].ID == id {
			return &s.w.VPCs[i]
		}
	}
	return nil
}

func (s *Sim) securityGroup(id string) *SecurityGroup {
	for i := range s.w.SecurityGroups {
		if s.w.SecurityGroups[i].ID == id {
			return &s.w.SecurityGroups[i]
		}
	}
	return nil
}

// DescribeSubnets lists subnets by ID or filter.
func (c *EC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeSubnets", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &ec2.DescribeSubnetsInput{}
	}
	var list []*Subnet
	if len(in.SubnetIds) > 0 {
		var missing []string
		for _, id := range in.SubnetIds {
			if sn := s.subnet(id); sn == nil {
				missing = append(missing, id)
			} else if !slices.Contains(list, sn) {
				list = append(list, sn)
			}
		}
		if len(missing) > 0 {
			return nil, apiErr("InvalidSubnetID.NotFound", "%s", notExist("subnet", missing))
		}
	} else {
		for i := range s.w.Subnets {
			list = append(list, &s.w.Subnets[i])
		}
	}
	var kept []*Subnet
	for _, sn := range list {
		ok, err := matchFilters(in.Filters, fields{
			"subnet-id":         one(sn.ID),
			"vpc-id":            one(sn.VPC),
			"availability-zone": one(sn.AZ),
			"cidr-block":        one(sn.CIDR),
			"state":             one("available"),
			"owner-id":          one(s.w.AccountID),
		}.get, sn.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, sn)
		}
	}
	slices.SortFunc(kept, func(a, b *Subnet) int { return strings.Compare(a.ID, b.ID) })
	start, end, next, err := ec2Page(len(kept), in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	out := &ec2.DescribeSubnetsOutput{NextToken: next, Subnets: []ec2types.Subnet{}}
	for _, sn := range kept[start:end] {
		def := false
		if v := s.vpc(sn.VPC); v != nil {
			def = v.IsDefault
		}
		out.Subnets = append(out.Subnets, ec2types.Subnet{
			SubnetId:                aws.String(sn.ID),
			VpcId:                   aws.String(sn.VPC),
			AvailabilityZone:        aws.String(sn.AZ),
			CidrBlock:               aws.String(sn.CIDR),
			State:                   ec2types.SubnetStateAvailable,
			OwnerId:                 aws.String(s.w.AccountID),
			SubnetArn:               aws.String(fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", s.w.Region, s.w.AccountID, sn.ID)),
			DefaultForAz:            aws.Bool(def),
			AvailableIpAddressCount: aws.Int32(s.freeAddresses(sn)),
			MapPublicIpOnLaunch:     aws.Bool(def),
			Tags:                    ec2Tags(sn.Tags),
		})
	}
	return out, nil
}

// DescribeVpcs lists VPCs by ID or filter.
func (c *EC2) DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeVpcs", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &ec2.DescribeVpcsInput{}
	}
	var missing []string
	for _, id := range in.VpcIds {
		if s.vpc(id) == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, apiErr("InvalidVpcID.NotFound", "%s", notExist("vpc", missing))
	}
	var kept []*VPC
	for i := range s.w.VPCs {
		v := &s.w.VPCs[i]
		if len(in.VpcIds) > 0 && !slices.Contains(in.VpcIds, v.ID) {
			continue
		}
		ok, err := matchFilters(in.Filters, fields{
			"vpc-id":     one(v.ID),
			"cidr":       one(v.CIDR),
			"cidr-block": one(v.CIDR),
			"is-default": one(strconv.FormatBool(v.IsDefault)),
			"state":      one("available"),
			"owner-id":   one(s.w.AccountID),
		}.get, v.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, v)
		}
	}
	start, end, next, err := ec2Page(len(kept), in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	out := &ec2.DescribeVpcsOutput{NextToken: next, Vpcs: []ec2types.Vpc{}}
	for _, v := range kept[start:end] {
		out.Vpcs = append(out.Vpcs, ec2types.Vpc{
			VpcId:           aws.String(v.ID),
			CidrBlock:       aws.String(v.CIDR),
			IsDefault:       aws.Bool(v.IsDefault),
			State:           ec2types.VpcStateAvailable,
			OwnerId:         aws.String(s.w.AccountID),
			InstanceTenancy: ec2types.TenancyDefault,
			Tags:            ec2Tags(v.Tags),
		})
	}
	return out, nil
}

// DescribeSecurityGroups lists security groups by ID, name or filter.
func (c *EC2) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeSecurityGroups", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &ec2.DescribeSecurityGroupsInput{}
	}
	for _, id := range in.GroupIds {
		if s.securityGroup(id) == nil {
			return nil, apiErr("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
		}
	}
	for _, name := range in.GroupNames {
		if !slices.ContainsFunc(s.w.SecurityGroups, func(g SecurityGroup) bool { return g.Name == name }) {
			return nil, apiErr("InvalidGroup.NotFound", "The security group '%s' does not exist", name)
		}
	}
	var kept []*SecurityGroup
	for i := range s.w.SecurityGroups {
		g := &s.w.SecurityGroups[i]
		if len(in.GroupIds) > 0 && !slices.Contains(in.GroupIds, g.ID) {
			continue
		}
		if len(in.GroupNames) > 0 && !slices.Contains(in.GroupNames, g.Name) {
			continue
		}
		ok, err := matchFilters(in.Filters, fields{
			"group-id":    one(g.ID),
			"group-name":  one(g.Name),
			"vpc-id":      one(g.VPC),
			"description": one(g.Description),
			"owner-id":    one(s.w.AccountID),
		}.get, g.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, g)
		}
	}
	start, end, next, err := ec2Page(len(kept), in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	out := &ec2.DescribeSecurityGroupsOutput{NextToken: next, SecurityGroups: []ec2types.SecurityGroup{}}
	for _, g := range kept[start:end] {
		sg := ec2types.SecurityGroup{
			GroupId:   aws.String(g.ID),
			GroupName: aws.String(g.Name),
			VpcId:     aws.String(g.VPC),
			OwnerId:   aws.String(s.w.AccountID),
			Tags:      ec2Tags(g.Tags),
		}
		if g.Description != "" {
			sg.Description = aws.String(g.Description)
		}
		sg.IpPermissions, sg.IpPermissionsEgress = s.permissions(g)
		out.SecurityGroups = append(out.SecurityGroups, sg)
	}
	return out, nil
}

// reservedPerSubnet is how many addresses AWS keeps in every subnet: the network address,
// the VPC router, DNS, one for future use and the broadcast address.
const reservedPerSubnet = 5

// subnetSize is the number of IPv4 addresses of a subnet CIDR, which AWS allows from /16
// to /28.
func subnetSize(cidr string) (int32, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil || n.IP.To4() == nil {
		return 0, fmt.Errorf("cidr %q is not an IPv4 CIDR block", cidr)
	}
	ones, _ := n.Mask.Size()
	if ones < 16 || ones > 28 {
		return 0, fmt.Errorf("cidr %q: a subnet is between /16 and /28", cidr)
	}
	return 1 << (32 - ones), nil
}

// holdsAddress reports whether an instance in this state has a private address in its
// subnet: every state but terminated.
func holdsAddress(state string) bool { return state != "terminated" }

// freeAddresses is a subnet's AvailableIpAddressCount: the world's figure when it has one,
// else the CIDR's size less AWS's reserved addresses, the instances' addresses and one
// address per load balancer node (one per enabled subnet).
func (s *Sim) freeAddresses(sn *Subnet) int32 {
	if sn.AvailableIPs != nil {
		return *sn.AvailableIPs
	}
	size, err := subnetSize(sn.CIDR)
	if err != nil {
		return 0
	}
	free := size - reservedPerSubnet
	for i := range s.w.Instances {
		if in := &s.w.Instances[i]; in.Subnet == sn.ID && holdsAddress(in.State) {
			free--
		}
	}
	for _, lb := range s.w.LoadBalancers {
		for _, z := range lb.Subnets {
			if z.Subnet == sn.ID {
				free--
			}
		}
	}
	return max(free, 0)
}

// takeAddresses records n addresses taken (n < 0: freed) in a subnet whose free count the
// world keeps; a computed count needs no bookkeeping.
func (s *Sim) takeAddresses(subnetID string, n int32) {
	if sn := s.subnet(subnetID); sn != nil && sn.AvailableIPs != nil {
		sn.AvailableIPs = aws.Int32(max(*sn.AvailableIPs-n, 0))
	}
}

// zones are the Availability Zones of the region: those of the world's subnets and of its
// offerings, sorted.
func (s *Sim) zones() []string {
	var out []string
	for _, sn := range s.w.Subnets {
		out = append(out, sn.AZ)
	}
	for az := range s.w.InstanceTypeOfferings {
		out = append(out, az)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// offered reports whether an instance type is offered in a zone.
func (s *Sim) offered(typ, az string) bool {
	types, ok := s.w.InstanceTypeOfferings[az]
	if !ok {
		return instanceTypes[typ]
	}
	_, found := slices.BinarySearch(types, typ)
	return found
}

// allInstanceTypes are the instance types the SDK knows, sorted.
var allInstanceTypes = slices.Sorted(maps.Keys(instanceTypes))

// DescribeInstanceTypeOfferings lists the instance types offered by Region (the default) or
// by Availability Zone, with the filters instance-type and location, paged by NextToken
// (MaxResults 5-1000). Zone IDs and Outposts are not modelled.
func (c *EC2) DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeInstanceTypeOfferings", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &ec2.DescribeInstanceTypeOfferingsInput{}
	}
	if aws.ToBool(in.DryRun) {
		return nil, errDryRun()
	}
	var offers []ec2types.InstanceTypeOffering
	add := func(loc string, lt ec2types.LocationType, types []string) error {
		for _, t := range types {
			ok, err := matchFilters(in.Filters, fields{"instance-type": one(t), "location": one(loc)}.get, nil)
			if err != nil {
				return err
			}
			if ok {
				offers = append(offers, ec2types.InstanceTypeOffering{InstanceType: ec2types.InstanceType(t), Location: aws.String(loc), LocationType: lt})
			}
		}
		return nil
	}
	switch lt := in.LocationType; lt {
	case "", ec2types.LocationTypeRegion:
		// A type is offered in the Region when some zone offers it.
		types := allInstanceTypes
		if zones := s.zones(); len(s.w.InstanceTypeOfferings) > 0 {
			types = nil
			for _, t := range allInstanceTypes {
				if slices.ContainsFunc(zones, func(az string) bool { return s.offered(t, az) }) {
					types = append(types, t)
				}
			}
		}
		err = add(s.w.Region, ec2types.LocationTypeRegion, types)
	case ec2types.LocationTypeAvailabilityZone:
		for _, az := range s.zones() {
			types, ok := s.w.InstanceTypeOfferings[az]
			if !ok {
				types = allInstanceTypes
			}
			if err = add(az, lt, types); err != nil {
				break
			}
		}
	default:
		return nil, apiErr("InvalidParameterValue", "Value (%s) for parameter locationType is invalid. The simulator models the location types region and availability-zone.", lt)
	}
	if err != nil {
		return nil, err
	}
	start, end, next, err := ec2Page(len(offers), in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeInstanceTypeOfferingsOutput{InstanceTypeOfferings: offers[start:end], NextToken: next}, nil
}

// permissions are a group's rules in the SDK's shape, as the simulator applies them: its
// inbound rules (everything from 0.0.0.0/0 when the world does not record them: such a
// group admits everything), and its outbound rules (AWS's default outbound rule, everything
// to 0.0.0.0/0, when the world does not record them). A reader of the API (a plan, a copy
// of the account) thus sees what the simulator does.
func (s *Sim) permissions(g *SecurityGroup) (in, out []ec2types.IpPermission) {
	all := []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}
	in = all
	if g.Ingress != nil {
		in = s.ipPermissions(*g.Ingress)
	}
	if g.Egress != nil {
		return in, s.ipPermissions(*g.Egress)
	}
	return in, all
}

// ipPermissions converts rules: IPv6 blocks go to Ipv6Ranges, as EC2 reports them.
func (s *Sim) ipPermissions(rules []IngressRule) []ec2types.IpPermission {
	out := []ec2types.IpPermission{}
	for _, r := range rules {
		p := ec2types.IpPermission{IpProtocol: aws.String(r.Protocol)}
		if r.Protocol != "-1" {
			p.FromPort, p.ToPort = aws.Int32(r.FromPort), aws.Int32(r.ToPort)
		}
		var desc *string
		if r.Description != "" {
			desc = aws.String(r.Description)
		}
		for _, c := range r.CIDRs {
			if pfx, err := netip.ParsePrefix(c); err == nil && pfx.Addr().Is6() {
				p.Ipv6Ranges = append(p.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: aws.String(c), Description: desc})
				continue
			}
			p.IpRanges = append(p.IpRanges, ec2types.IpRange{CidrIp: aws.String(c), Description: desc})
		}
		for _, id := range r.SourceGroups {
			p.UserIdGroupPairs = append(p.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: aws.String(id), UserId: aws.String(s.w.AccountID), Description: desc})
		}
		out = append(out, p)
	}
	return out
}
