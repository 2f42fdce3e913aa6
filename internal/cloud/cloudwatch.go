package cloud

import (
	"context"
	"time"

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

type interceptCW struct {
	f   Interceptor
	api CloudWatch
}

func (c interceptCW) GetMetricData(ctx context.Context, in *cw.GetMetricDataInput, optFns ...func(*cw.Options)) (*cw.GetMetricDataOutput, error) {
	return via(ctx, c.f, "GetMetricData", func(ctx context.Context) (*cw.GetMetricDataOutput, error) {
		return c.api.GetMetricData(ctx, in, optFns...)
	})
}

func (c interceptCW) DescribeAlarms(ctx context.Context, in *cw.DescribeAlarmsInput, optFns ...func(*cw.Options)) (*cw.DescribeAlarmsOutput, error) {
	return via(ctx, c.f, "DescribeAlarms", func(ctx context.Context) (*cw.DescribeAlarmsOutput, error) {
		return c.api.DescribeAlarms(ctx, in, optFns...)
	})
}

// TagRolledBack is the tag a rollout's gate puts on the image it rolled back from: the
// account remembers the rollback, albctl keeps no state file (docs/plans.md, "Gates,
// checkpoints and rollback").
const TagRolledBack = "albctl:rolled-back"

// RolledBackValue is the tag's value: "<RFC 3339 time> <gate>: <figures>", cut to EC2's 256
// characters.
func RolledBackValue(at time.Time, gate, figures string) string {
	v := at.UTC().Format(time.RFC3339) + " " + gate + ": " + figures
	if r := []rune(v); len(r) > 256 {
		v = string(r[:255]) + "…"
	}
	return v
}
