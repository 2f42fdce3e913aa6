package rehearse

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
)

// A rehearsal against a snapshot of the account copies the alarms the gates watch: read from
// an account (here the simulator's CloudWatch) they come back as the same world alarms; an
// alarm the account lacks, one on another namespace and one of metric math are reported as
// not evaluable.
func TestMirrorAlarmsRoundTrip(t *testing.T) {
	w := simulator.SeedWorld()
	dims := map[string]string{"LoadBalancer": "app/web-alb/0a1b2c3d4e5f6002", "TargetGroup": "targetgroup/web-tg/0a1b2c3d4e5f6001"}
	w.Alarms = []simulator.Alarm{
		{Name: "web-5xx", MetricName: "HTTPCode_Target_5XX_Count", Dimensions: dims, Statistic: "Sum", Period: clock.Duration(time.Minute),
			EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 10, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching"},
		{Name: "web-p95", MetricName: "TargetResponseTime", Dimensions: dims, Statistic: "p95", Period: clock.Duration(5 * time.Minute),
			EvaluationPeriods: 1, Threshold: 0.8, ComparisonOperator: "GreaterThanOrEqualToThreshold"},
		{Name: "unwatched", MetricName: "RequestCount", Dimensions: dims, Statistic: "Sum", Period: clock.Duration(time.Minute),
			EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "LessThanThreshold"},
	}
	sim := simulator.New(w)
	p := &plan.Plan{Steps: []plan.Step{
		{ID: "gate.web.batch-1", Kind: plan.Gate, Gate: &plan.GateParams{Alarms: []string{"web-p95", "web-5xx"}}},
		{ID: "gate.web.batch-2", Kind: plan.Gate, Gate: &plan.GateParams{Alarms: []string{"web-5xx", "gone"}}},
	}}
	got, skipped, err := mirrorAlarms(context.Background(), sim.CloudWatch(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w.Alarms[:2]) {
		t.Errorf("copied alarms\n%+v\nwant\n%+v", got, w.Alarms[:2])
	}
	if !slices.Equal(skipped, []string{"gone (not in the account)"}) {
		t.Errorf("skipped %v", skipped)
	}
	for _, tc := range []struct {
		m    cwtypes.MetricAlarm
		want string
	}{
		{cwtypes.MetricAlarm{AlarmName: aws.String("math"), Metrics: []cwtypes.MetricDataQuery{{Id: aws.String("e1")}}}, "metric math"},
		{cwtypes.MetricAlarm{AlarmName: aws.String("cpu"), Namespace: aws.String("AWS/EC2")}, "namespace AWS/EC2"},
	} {
		if _, why := worldAlarm(tc.m); why != tc.want {
			t.Errorf("%s: %q, want %q", aws.ToString(tc.m.AlarmName), why, tc.want)
		}
	}
}
