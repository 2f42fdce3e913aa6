package simulator

// The smallest faithful versions of the operations the engine and the observer need while
// the simulator's own (branch sim) are not merged yet. The lead drops this file in favour of
// the simulator's versions.

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/cloud"
)

var (
	_ cloud.IAM = (*IAM)(nil)

	snapshotIDRe = regexp.MustCompile(`^snap-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

func init() {
	for _, op := range []string{"DescribeInstanceTypeOfferings", "DeregisterImage", "DeleteSnapshot", "ModifyTargetGroup", "GetInstanceProfile"} {
		knownOps[op] = true
	}
}

// IAM is the simulated IAM client: it reads the world's instance profiles.
type IAM struct{ s *Sim }

// IAM returns the simulated IAM client.
func (s *Sim) IAM() *IAM { return &IAM{s: s} }

// GetInstanceProfile returns a profile by name; IAM knows a profile at once (only EC2 lags).
func (c *IAM) GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, _ ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "GetInstanceProfile", iamThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	name := ""
	if in != nil {
		name = aws.ToString(in.InstanceProfileName)
	}
	if name == "" {
		return nil, apiErr("ValidationError", "1 validation error detected: Value null at 'instanceProfileName' failed to satisfy constraint: Member must not be null")
	}
	for _, p := range s.w.InstanceProfiles {
		if p.Name == name {
			return &iam.GetInstanceProfileOutput{InstanceProfile: &iamtypes.InstanceProfile{
				InstanceProfileName: aws.String(p.Name), Arn: aws.String(p.ARN), InstanceProfileId: aws.String(p.ID),
				Path: aws.String("/"), CreateDate: aws.Time(p.CreatedAt), Roles: []iamtypes.Role{},
			}}, nil
		}
	}
	return nil, apiErr("NoSuchEntity", "Instance Profile %s cannot be found.", name)
}

// DescribeInstanceTypeOfferings lists the instance types offered in each Availability Zone
// of the world (every zone with a subnet offers every type the simulator knows).
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
	if in.LocationType != "" && in.LocationType != ec2types.LocationTypeAvailabilityZone && in.LocationType != ec2types.LocationTypeRegion {
		return nil, apiErr("InvalidParameterValue", "The parameter LocationType has an invalid value %q", in.LocationType)
	}
	var zones []string
	for _, sn := range s.w.Subnets {
		if !slices.Contains(zones, sn.AZ) {
			zones = append(zones, sn.AZ)
		}
	}
	slices.Sort(zones)
	if in.LocationType != ec2types.LocationTypeAvailabilityZone {
		zones = []string{s.w.Region}
	}
	types := make([]string, 0, len(instanceTypes))
	for t := range instanceTypes {
		types = append(types, t)
	}
	slices.Sort(types)
	var all []ec2types.InstanceTypeOffering
	for _, z := range zones {
		for _, t := range types {
			ok, err := matchFilters(in.Filters, fields{"instance-type": one(t), "location": one(z)}.get, nil)
			if err != nil {
				return nil, err
			}
			if ok {
				all = append(all, ec2types.InstanceTypeOffering{InstanceType: ec2types.InstanceType(t), Location: aws.String(z), LocationType: in.LocationType})
			}
		}
	}
	start, end, next, err := ec2Page(len(all), in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeInstanceTypeOfferingsOutput{InstanceTypeOfferings: all[start:end], NextToken: next}, nil
}

// DeregisterImage deregisters an image of the account. Instances launched from it go on
// running. A deregistered image is InvalidAMIID.Unavailable, then not found.
func (c *EC2) DeregisterImage(ctx context.Context, in *ec2.DeregisterImageInput, _ ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DeregisterImage", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	id := ""
	if in != nil {
		id = aws.ToString(in.ImageId)
	}
	if id == "" {
		return nil, apiErr("MissingParameter", "The request must contain the parameter ImageId")
	}
	if !imageIDRe.MatchString(id) {
		return nil, apiErr("InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", id)
	}
	var im *Image
	for i := range s.w.Images {
		if s.w.Images[i].ID == id {
			im = &s.w.Images[i]
		}
	}
	if im == nil {
		return nil, apiErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
	}
	if im.State == "deregistered" {
		return nil, apiErr("InvalidAMIID.Unavailable", "The image id '[%s]' is no longer available", id)
	}
	if im.Owner != s.w.AccountID {
		return nil, apiErr("AuthFailure", "Not authorized for image:%s", id)
	}
	im.State = "deregistered"
	return &ec2.DeregisterImageOutput{Return: aws.Bool(true)}, nil
}

// DeleteSnapshot deletes an EBS snapshot. This simulator models no snapshots yet: any
// well-formed ID is InvalidSnapshot.NotFound, as AWS answers for a snapshot already deleted.
func (c *EC2) DeleteSnapshot(ctx context.Context, in *ec2.DeleteSnapshotInput, _ ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DeleteSnapshot", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	id := ""
	if in != nil {
		id = aws.ToString(in.SnapshotId)
	}
	if id == "" {
		return nil, apiErr("MissingParameter", "The request must contain the parameter SnapshotId")
	}
	if !snapshotIDRe.MatchString(id) {
		return nil, apiErr("InvalidSnapshotID.Malformed", "Invalid id: %q (expecting \"snap-...\")", id)
	}
	return nil, apiErr("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
}

// ModifyTargetGroup changes a target group's health-check settings.
func (c *ELBV2) ModifyTargetGroup(ctx context.Context, in *elbv2.ModifyTargetGroupInput, _ ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "ModifyTargetGroup", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.ModifyTargetGroupInput{}
	}
	tg, err := s.mustTargetGroup(in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	hc := tg.HealthCheck
	rangeErr := func(name string, v int32, lo, hi int32) error {
		if v < lo || v > hi {
			return apiErr("ValidationError", "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value between %d and %d", v, name, lo, hi)
		}
		return nil
	}
	if p := in.HealthCheckPath; p != nil {
		if !strings.HasPrefix(*p, "/") || len(*p) > 1024 {
			return nil, apiErr("ValidationError", "Health check path must begin with '/' and be at most 1024 characters")
		}
		hc.Path = *p
	}
	if v := in.HealthCheckIntervalSeconds; v != nil {
		if err := rangeErr("healthCheckIntervalSeconds", *v, 5, 300); err != nil {
			return nil, err
		}
		hc.Interval = Duration(secs(*v))
	}
	if v := in.HealthCheckTimeoutSeconds; v != nil {
		if err := rangeErr("healthCheckTimeoutSeconds", *v, 2, 120); err != nil {
			return nil, err
		}
		hc.Timeout = Duration(secs(*v))
	}
	if v := in.HealthyThresholdCount; v != nil {
		if err := rangeErr("healthyThresholdCount", *v, 2, 10); err != nil {
			return nil, err
		}
		hc.HealthyThreshold = *v
	}
	if v := in.UnhealthyThresholdCount; v != nil {
		if err := rangeErr("unhealthyThresholdCount", *v, 2, 10); err != nil {
			return nil, err
		}
		hc.UnhealthyThreshold = *v
	}
	if in.Matcher != nil && in.Matcher.HttpCode != nil {
		hc.Matcher = *in.Matcher.HttpCode
	}
	if hc.Timeout >= hc.Interval {
		return nil, apiErr("ValidationError", "Health check timeout '%s' must be smaller than the interval '%s'", hc.Timeout, hc.Interval)
	}
	tg.HealthCheck = hc
	return &elbv2.ModifyTargetGroupOutput{TargetGroups: []elbtypes.TargetGroup{s.describeTargetGroup(tg)}}, nil
}

func secs(v int32) time.Duration { return time.Duration(v) * time.Second }

func iamThrottle() *smithy.GenericAPIError {
	return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
}
