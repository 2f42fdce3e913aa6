package cloud

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Interceptor runs one call of operation op: it may wait before it, repeat it or count it.
// call makes the call with the context it is given; the interceptor returns the error of the
// call it lets stand (the output of that call is what the caller gets).
type Interceptor func(ctx context.Context, op string, call func(context.Context) error) error

// Intercept returns api with every call of every client going through f: the one place
// that forwards each method of the interfaces, for the retry layer in front of the simulator
// (Retrier), bench's latency and the tests' call counters. A nil client stays nil.
func Intercept(api API, f Interceptor) API {
	out := API{}
	if api.EC2 != nil {
		out.EC2 = interceptEC2{f, api.EC2}
	}
	if api.ELBV2 != nil {
		out.ELBV2 = interceptELBV2{f, api.ELBV2}
	}
	if api.IAM != nil {
		out.IAM = interceptIAM{f, api.IAM}
	}
	if api.CW != nil {
		out.CW = interceptCW{f, api.CW}
	}
	return out
}

// via runs call through f and returns the output of the call f let stand.
func via[O any](ctx context.Context, f Interceptor, op string, call func(context.Context) (O, error)) (O, error) {
	var out O
	err := f(ctx, op, func(ctx context.Context) error {
		var err error
		out, err = call(ctx)
		return err
	})
	return out, err
}

type interceptEC2 struct {
	f   Interceptor
	api EC2
}

type interceptELBV2 struct {
	f   Interceptor
	api ELBV2
}

type interceptIAM struct {
	f   Interceptor
	api IAM
}

var (
	_ EC2   = interceptEC2{}
	_ ELBV2 = interceptELBV2{}
	_ IAM   = interceptIAM{}
)

func (c interceptEC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	return via(ctx, c.f, "DescribeInstances", func(ctx context.Context) (*ec2.DescribeInstancesOutput, error) {
		return c.api.DescribeInstances(ctx, in, optFns...)
	})
}

func (c interceptEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	return via(ctx, c.f, "DescribeImages", func(ctx context.Context) (*ec2.DescribeImagesOutput, error) {
		return c.api.DescribeImages(ctx, in, optFns...)
	})
}

func (c interceptEC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	return via(ctx, c.f, "DescribeSubnets", func(ctx context.Context) (*ec2.DescribeSubnetsOutput, error) {
		return c.api.DescribeSubnets(ctx, in, optFns...)
	})
}

func (c interceptEC2) DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	return via(ctx, c.f, "DescribeSnapshots", func(ctx context.Context) (*ec2.DescribeSnapshotsOutput, error) {
		return c.api.DescribeSnapshots(ctx, in, optFns...)
	})
}

func (c interceptEC2) CreateImage(ctx context.Context, in *ec2.CreateImageInput, optFns ...func(*ec2.Options)) (*ec2.CreateImageOutput, error) {
	return via(ctx, c.f, "CreateImage", func(ctx context.Context) (*ec2.CreateImageOutput, error) {
		return c.api.CreateImage(ctx, in, optFns...)
	})
}

func (c interceptEC2) RunInstances(ctx context.Context, in *ec2.RunInstancesInput, optFns ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	return via(ctx, c.f, "RunInstances", func(ctx context.Context) (*ec2.RunInstancesOutput, error) {
		return c.api.RunInstances(ctx, in, optFns...)
	})
}

func (c interceptEC2) TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, optFns ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	return via(ctx, c.f, "TerminateInstances", func(ctx context.Context) (*ec2.TerminateInstancesOutput, error) {
		return c.api.TerminateInstances(ctx, in, optFns...)
	})
}

func (c interceptEC2) AssociateIamInstanceProfile(ctx context.Context, in *ec2.AssociateIamInstanceProfileInput, optFns ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error) {
	return via(ctx, c.f, "AssociateIamInstanceProfile", func(ctx context.Context) (*ec2.AssociateIamInstanceProfileOutput, error) {
		return c.api.AssociateIamInstanceProfile(ctx, in, optFns...)
	})
}

func (c interceptEC2) DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	return via(ctx, c.f, "DescribeInstanceTypeOfferings", func(ctx context.Context) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
		return c.api.DescribeInstanceTypeOfferings(ctx, in, optFns...)
	})
}

func (c interceptEC2) DeregisterImage(ctx context.Context, in *ec2.DeregisterImageInput, optFns ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error) {
	return via(ctx, c.f, "DeregisterImage", func(ctx context.Context) (*ec2.DeregisterImageOutput, error) {
		return c.api.DeregisterImage(ctx, in, optFns...)
	})
}

func (c interceptEC2) CreateTags(ctx context.Context, in *ec2.CreateTagsInput, optFns ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	return via(ctx, c.f, "CreateTags", func(ctx context.Context) (*ec2.CreateTagsOutput, error) {
		return c.api.CreateTags(ctx, in, optFns...)
	})
}

func (c interceptEC2) DeleteSnapshot(ctx context.Context, in *ec2.DeleteSnapshotInput, optFns ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error) {
	return via(ctx, c.f, "DeleteSnapshot", func(ctx context.Context) (*ec2.DeleteSnapshotOutput, error) {
		return c.api.DeleteSnapshot(ctx, in, optFns...)
	})
}

func (c interceptELBV2) DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	return via(ctx, c.f, "DescribeLoadBalancers", func(ctx context.Context) (*elbv2.DescribeLoadBalancersOutput, error) {
		return c.api.DescribeLoadBalancers(ctx, in, optFns...)
	})
}

func (c interceptELBV2) DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	return via(ctx, c.f, "DescribeTargetGroups", func(ctx context.Context) (*elbv2.DescribeTargetGroupsOutput, error) {
		return c.api.DescribeTargetGroups(ctx, in, optFns...)
	})
}

func (c interceptELBV2) DescribeTargetGroupAttributes(ctx context.Context, in *elbv2.DescribeTargetGroupAttributesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	return via(ctx, c.f, "DescribeTargetGroupAttributes", func(ctx context.Context) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
		return c.api.DescribeTargetGroupAttributes(ctx, in, optFns...)
	})
}

func (c interceptELBV2) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	return via(ctx, c.f, "DescribeTargetHealth", func(ctx context.Context) (*elbv2.DescribeTargetHealthOutput, error) {
		return c.api.DescribeTargetHealth(ctx, in, optFns...)
	})
}

func (c interceptELBV2) ModifyTargetGroupAttributes(ctx context.Context, in *elbv2.ModifyTargetGroupAttributesInput, optFns ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupAttributesOutput, error) {
	return via(ctx, c.f, "ModifyTargetGroupAttributes", func(ctx context.Context) (*elbv2.ModifyTargetGroupAttributesOutput, error) {
		return c.api.ModifyTargetGroupAttributes(ctx, in, optFns...)
	})
}

func (c interceptELBV2) RegisterTargets(ctx context.Context, in *elbv2.RegisterTargetsInput, optFns ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error) {
	return via(ctx, c.f, "RegisterTargets", func(ctx context.Context) (*elbv2.RegisterTargetsOutput, error) {
		return c.api.RegisterTargets(ctx, in, optFns...)
	})
}

func (c interceptELBV2) DeregisterTargets(ctx context.Context, in *elbv2.DeregisterTargetsInput, optFns ...func(*elbv2.Options)) (*elbv2.DeregisterTargetsOutput, error) {
	return via(ctx, c.f, "DeregisterTargets", func(ctx context.Context) (*elbv2.DeregisterTargetsOutput, error) {
		return c.api.DeregisterTargets(ctx, in, optFns...)
	})
}

func (c interceptELBV2) SetSubnets(ctx context.Context, in *elbv2.SetSubnetsInput, optFns ...func(*elbv2.Options)) (*elbv2.SetSubnetsOutput, error) {
	return via(ctx, c.f, "SetSubnets", func(ctx context.Context) (*elbv2.SetSubnetsOutput, error) {
		return c.api.SetSubnets(ctx, in, optFns...)
	})
}

func (c interceptELBV2) ModifyTargetGroup(ctx context.Context, in *elbv2.ModifyTargetGroupInput, optFns ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupOutput, error) {
	return via(ctx, c.f, "ModifyTargetGroup", func(ctx context.Context) (*elbv2.ModifyTargetGroupOutput, error) {
		return c.api.ModifyTargetGroup(ctx, in, optFns...)
	})
}

func (c interceptIAM) GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, optFns ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	return via(ctx, c.f, "GetInstanceProfile", func(ctx context.Context) (*iam.GetInstanceProfileOutput, error) {
		return c.api.GetInstanceProfile(ctx, in, optFns...)
	})
}

func (c interceptEC2) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return via(ctx, c.f, "DescribeSecurityGroups", func(ctx context.Context) (*ec2.DescribeSecurityGroupsOutput, error) {
		return c.api.DescribeSecurityGroups(ctx, in, optFns...)
	})
}

func (c interceptEC2) DescribeNetworkAcls(ctx context.Context, in *ec2.DescribeNetworkAclsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error) {
	return via(ctx, c.f, "DescribeNetworkAcls", func(ctx context.Context) (*ec2.DescribeNetworkAclsOutput, error) {
		return c.api.DescribeNetworkAcls(ctx, in, optFns...)
	})
}

func (c interceptELBV2) DescribeLoadBalancerAttributes(ctx context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	return via(ctx, c.f, "DescribeLoadBalancerAttributes", func(ctx context.Context) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
		return c.api.DescribeLoadBalancerAttributes(ctx, in, optFns...)
	})
}

func (c interceptELBV2) DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	return via(ctx, c.f, "DescribeListeners", func(ctx context.Context) (*elbv2.DescribeListenersOutput, error) {
		return c.api.DescribeListeners(ctx, in, optFns...)
	})
}
