package cloud

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// alarmChunk is the most names DescribeAlarms takes in one call.
const alarmChunk = 100

// AlarmTypes are both kinds of CloudWatch alarm: DescribeAlarms without AlarmTypes lists
// metric alarms only, so a composite alarm would look absent
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
var AlarmTypes = []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm, cwtypes.AlarmTypeMetricAlarm}

// readAlarms reads which of the alarms the stack's gates name exist (DescribeAlarms by name,
// 100 names a call), so that a plan refuses a name the account lacks rather than a gate
// tripping on it mid-rollout (docs/plans.md, "Gates, checkpoints and rollback"). Only the
// names are kept: an alarm's state changes by the minute and is read by the gate itself.
func (o *observer) readAlarms() error {
	names := slices.Clone(o.q.Alarms)
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return nil
	}
	if o.api.CW == nil {
		return fmt.Errorf("alarms %v: no CloudWatch client to read them with", names)
	}
	o.alarmsRead = true
	for start := 0; start < len(names); start += alarmChunk {
		chunk := names[start:min(start+alarmChunk, len(names))]
		paginate(o, kindOther, pager[*cw.DescribeAlarmsOutput]{
			fetch: func(ctx context.Context, token *string) (*cw.DescribeAlarmsOutput, error) {
				return o.api.CW.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: chunk, AlarmTypes: AlarmTypes, NextToken: token})
			},
			next: func(out *cw.DescribeAlarmsOutput) *string { return out.NextToken },
			page: func(out *cw.DescribeAlarmsOutput) {
				for _, m := range out.MetricAlarms {
					o.alarms = appendNew(o.alarms, aws.ToString(m.AlarmName))
				}
				for _, c := range out.CompositeAlarms {
					o.alarms = appendNew(o.alarms, aws.ToString(c.AlarmName))
				}
			},
			fail: func(err error) error { return fmt.Errorf("describe alarms %v: %w", chunk, err) },
		})
	}
	return nil
}

// alarmsWorld puts the alarms read into w, and the names asked and not found in w.Missing.
func (o *observer) alarmsWorld(w *World) {
	if !o.alarmsRead {
		return
	}
	w.AlarmsRead = true
	w.Alarms = slices.Sorted(slices.Values(o.alarms))
	for _, n := range o.q.Alarms {
		if !slices.Contains(o.alarms, n) {
			w.Missing = appendNew(w.Missing, "alarm "+n)
		}
	}
}
