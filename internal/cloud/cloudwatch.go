package cloud

import (
	"context"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
)

// CloudWatch is the part of the CloudWatch API albctl calls: it only reads, to judge a
// rollout's gates (docs/plans.md, "Gates"): the load balancer's metrics and the alarms the
// spec names.
type CloudWatch interface {
	GetMetricData(ctx context.Context, in *cw.GetMetricDataInput, optFns ...func(*cw.Options)) (*cw.GetMetricDataOutput, error)
	DescribeAlarms(ctx context.Context, in *cw.DescribeAlarmsInput, optFns ...func(*cw.Options)) (*cw.DescribeAlarmsOutput, error)
}

var _ CloudWatch = (*cw.Client)(nil)
