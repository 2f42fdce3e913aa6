package cloud

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// RegionEC2 is the part of the EC2 API ReadRegion calls: Describe calls only.
type RegionEC2 interface {
	DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeNetworkAcls(ctx context.Context, in *ec2.DescribeNetworkAclsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error)
	DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error)
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error)
}

// RegionELBV2 is the part of the ELBv2 API ReadRegion calls: Describe calls only.
type RegionELBV2 interface {
	DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error)
	DescribeLoadBalancerAttributes(ctx context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error)
	DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error)
	DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	DescribeTargetGroupAttributes(ctx context.Context, in *elbv2.DescribeTargetGroupAttributesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error)
	DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
}

// RegionIAM lists the account's instance profiles.
type RegionIAM interface {
	ListInstanceProfiles(ctx context.Context, in *iam.ListInstanceProfilesInput, optFns ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error)
}

// RegionAPI bundles the clients ReadRegion reads through.
type RegionAPI struct {
	EC2   RegionEC2
	ELBV2 RegionELBV2
	IAM   RegionIAM
}

var (
	_ RegionEC2   = (*ec2.Client)(nil)
	_ RegionELBV2 = (*elbv2.Client)(nil)
	_ RegionIAM   = (*iam.Client)(nil)
)

// ReadRegion reads everything in the clients' region that a copy of the account needs
// (mirror.Snapshot): every VPC, subnet, security group and network ACL, the account's
// instance profiles, the images it owns and their snapshots, every instance not terminated,
// every load balancer with its attributes and listeners, and every target group with its
// attributes and target health. It converts with the same functions as Observe, so the
// copy and a plan read the account alike. It reads one call at a time: a copy is made
// once, not on every plan. World.Region is left for the caller.
func ReadRegion(ctx context.Context, api RegionAPI) (*World, error) {
	r := &regionReader{api: api, w: &World{NetworkRead: true}}
	for _, step := range []func(context.Context) error{
		r.vpcs, r.subnets, r.groups, r.acls, r.profiles, r.images, r.snapshots, r.instances, r.loadBalancers, r.targetGroups,
	} {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("read region: %w", err)
		}
	}
	r.w.sort()
	return r.w, nil
}

type regionReader struct {
	api RegionAPI
	w   *World
}

func (r *regionReader) vpcs(ctx context.Context) error {
	p := ec2.NewDescribeVpcsPaginator(r.api.EC2, &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe vpcs: %w", err)
		}
		for _, v := range page.Vpcs {
			r.w.VPCs = append(r.w.VPCs, VPCFrom(v))
		}
	}
	return nil
}

func (r *regionReader) subnets(ctx context.Context) error {
	p := ec2.NewDescribeSubnetsPaginator(r.api.EC2, &ec2.DescribeSubnetsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe subnets: %w", err)
		}
		for _, s := range page.Subnets {
			r.w.Subnets = append(r.w.Subnets, SubnetFrom(s))
		}
	}
	return nil
}

func (r *regionReader) groups(ctx context.Context) error {
	p := ec2.NewDescribeSecurityGroupsPaginator(r.api.EC2, &ec2.DescribeSecurityGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe security groups: %w", err)
		}
		for _, g := range page.SecurityGroups {
			if aws.ToString(g.VpcId) != "" { // EC2-Classic: no VPC, nothing albctl can use
				r.w.SecurityGroups = append(r.w.SecurityGroups, SecurityGroupFrom(g))
			}
		}
	}
	return nil
}

func (r *regionReader) acls(ctx context.Context) error {
	p := ec2.NewDescribeNetworkAclsPaginator(r.api.EC2, &ec2.DescribeNetworkAclsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe network acls: %w", err)
		}
		for _, a := range page.NetworkAcls {
			r.w.NetworkACLs = append(r.w.NetworkACLs, NetworkACLFrom(a))
		}
	}
	return nil
}

func (r *regionReader) profiles(ctx context.Context) error {
	p := iam.NewListInstanceProfilesPaginator(r.api.IAM, &iam.ListInstanceProfilesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list instance profiles: %w", err)
		}
		for _, ip := range page.InstanceProfiles {
			r.w.InstanceProfiles = append(r.w.InstanceProfiles, InstanceProfileDetailFrom(ip))
		}
	}
	return nil
}

func (r *regionReader) images(ctx context.Context) error {
	p := ec2.NewDescribeImagesPaginator(r.api.EC2, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe images: %w", err)
		}
		for _, im := range page.Images {
			r.w.Images = append(r.w.Images, ImageFrom(im))
		}
	}
	return nil
}

// snapshots reads the snapshots of the images read, by filter (a snapshot another account
// owns is not found, and fails no call).
func (r *regionReader) snapshots(ctx context.Context) error {
	var ids []string
	for _, im := range r.w.Images {
		ids = append(ids, im.SnapshotIDs...)
	}
	slices.Sort(ids)
	for _, chunk := range chunks(slices.Compact(ids)) {
		p := ec2.NewDescribeSnapshotsPaginator(r.api.EC2, &ec2.DescribeSnapshotsInput{
			Filters: []ec2types.Filter{{Name: aws.String("snapshot-id"), Values: chunk}}, MaxResults: aws.Int32(1000),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe snapshots: %w", err)
			}
			for _, sn := range page.Snapshots {
				r.w.Snapshots = append(r.w.Snapshots, SnapshotFrom(sn))
			}
		}
	}
	slices.SortFunc(r.w.Snapshots, func(a, b Snapshot) int { return strings.Compare(a.ID, b.ID) })
	return nil
}

func (r *regionReader) instances(ctx context.Context) error {
	p := ec2.NewDescribeInstancesPaginator(r.api.EC2, &ec2.DescribeInstancesInput{
		Filters:    []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: append(slices.Clone(liveStates), "shutting-down")}},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe instances: %w", err)
		}
		for _, res := range page.Reservations {
			for _, in := range res.Instances {
				if aws.ToString(in.SubnetId) == "" {
					continue // EC2-Classic
				}
				i := InstanceFrom(in)
				i.ReservationID, i.OwnerID = aws.ToString(res.ReservationId), aws.ToString(res.OwnerId)
				r.w.Instances = append(r.w.Instances, i)
			}
		}
	}
	return nil
}

func (r *regionReader) loadBalancers(ctx context.Context) error {
	p := elbv2.NewDescribeLoadBalancersPaginator(r.api.ELBV2, &elbv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe load balancers: %w", err)
		}
		for _, lb := range page.LoadBalancers {
			l := LoadBalancerFrom(lb)
			attrs, err := r.api.ELBV2.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn})
			if err != nil {
				return fmt.Errorf("load balancer %s: attributes: %w", l.Name, err)
			}
			l.Attributes = LoadBalancerAttributesFrom(attrs.Attributes)
			lp := elbv2.NewDescribeListenersPaginator(r.api.ELBV2, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
			for lp.HasMorePages() {
				page, err := lp.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("load balancer %s: listeners: %w", l.Name, err)
				}
				for _, ls := range page.Listeners {
					l.Listeners = append(l.Listeners, ListenerFrom(ls))
				}
			}
			slices.SortFunc(l.Listeners, func(a, b Listener) int { return strings.Compare(a.ARN, b.ARN) })
			r.w.LoadBalancers = append(r.w.LoadBalancers, l)
		}
	}
	return nil
}

func (r *regionReader) targetGroups(ctx context.Context) error {
	p := elbv2.NewDescribeTargetGroupsPaginator(r.api.ELBV2, &elbv2.DescribeTargetGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe target groups: %w", err)
		}
		for _, tg := range page.TargetGroups {
			t := TargetGroupFrom(tg)
			attrs, err := r.api.ELBV2.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
			if err != nil {
				return fmt.Errorf("target group %s: attributes: %w", t.Name, err)
			}
			t.Attributes = TargetGroupAttributesFrom(attrs.Attributes)
			health, err := r.api.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
			if err != nil {
				return fmt.Errorf("target group %s: target health: %w", t.Name, err)
			}
			for _, d := range health.TargetHealthDescriptions {
				if d.Target != nil {
					t.Targets = append(t.Targets, TargetFrom(d))
				}
			}
			r.w.TargetGroups = append(r.w.TargetGroups, t)
		}
	}
	return nil
}

// ReadOfferings reads which of instanceTypes EC2 offers in zones, as Observe does for a
// stack's fleets: one paginated DescribeInstanceTypeOfferings by location. ReadRegion does
// not read offerings (EC2 offers hundreds of types in every zone); a caller that knows the
// types and zones it cares about (albctl init: the source's type, the load balancers'
// zones) reads them here. The answer is sorted by type, then zone.
func ReadOfferings(ctx context.Context, api RegionEC2, instanceTypes, zones []string) ([]Offering, error) {
	if len(instanceTypes) == 0 || len(zones) == 0 {
		return nil, nil
	}
	types, azs := slices.Sorted(slices.Values(instanceTypes)), slices.Sorted(slices.Values(zones))
	p := ec2.NewDescribeInstanceTypeOfferingsPaginator(api, &ec2.DescribeInstanceTypeOfferingsInput{
		LocationType: ec2types.LocationTypeAvailabilityZone,
		Filters: []ec2types.Filter{
			{Name: aws.String("instance-type"), Values: slices.Compact(types)},
			{Name: aws.String("location"), Values: slices.Compact(azs)},
		},
	})
	var out []Offering
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instance type offerings %v in %v: %w", types, azs, err)
		}
		for _, of := range page.InstanceTypeOfferings {
			out = append(out, Offering{InstanceType: string(of.InstanceType), AZ: aws.ToString(of.Location)})
		}
	}
	slices.SortFunc(out, func(a, b Offering) int {
		if c := strings.Compare(a.InstanceType, b.InstanceType); c != 0 {
			return c
		}
		return strings.Compare(a.AZ, b.AZ)
	})
	return out, nil
}
