package rehearse

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
)

// gateAlarms lists, sorted, the alarms the plan's gates watch.
func gateAlarms(p *plan.Plan) []string {
	var names []string
	for _, s := range p.Steps {
		if s.Gate != nil {
			names = append(names, s.Gate.Alarms...)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// mirrorAlarms reads the alarms the plan's gates watch (DescribeAlarms, read-only) and turns
// those the simulator can evaluate — metric alarms on one AWS/ApplicationELB metric — into
// world alarms, so that a rehearsal against a snapshot of the account judges them on its own
// metrics (docs/simulator.md, "Metrics and alarms"). It returns, for people, the alarms it
// could not copy: the rehearsal's gate finds them missing and trips, which says so.
func mirrorAlarms(ctx context.Context, api cloud.CloudWatch, p *plan.Plan) ([]simulator.Alarm, []string, error) {
	names := gateAlarms(p)
	if len(names) == 0 {
		return nil, nil, nil
	}
	var out []simulator.Alarm
	var skipped []string
	found := map[string]bool{}
	for start := 0; start < len(names); start += 100 {
		in := &cw.DescribeAlarmsInput{AlarmNames: names[start:min(start+100, len(names))]}
		pages := cw.NewDescribeAlarmsPaginator(api, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("read the gates' alarms: %w", err)
			}
			for _, m := range page.MetricAlarms {
				found[aws.ToString(m.AlarmName)] = true
				a, why := worldAlarm(m)
				if why != "" {
					skipped = append(skipped, fmt.Sprintf("%s (%s)", aws.ToString(m.AlarmName), why))
					continue
				}
				out = append(out, a)
			}
			for _, c := range page.CompositeAlarms {
				found[aws.ToString(c.AlarmName)] = true
				skipped = append(skipped, aws.ToString(c.AlarmName)+" (a composite alarm)")
			}
		}
	}
	for _, n := range names {
		if !found[n] {
			skipped = append(skipped, n+" (not in the account)")
		}
	}
	return out, skipped, nil
}

// worldAlarm converts a metric alarm; why says what the simulator cannot evaluate.
func worldAlarm(m cwtypes.MetricAlarm) (simulator.Alarm, string) {
	switch {
	case len(m.Metrics) > 0:
		return simulator.Alarm{}, "metric math"
	case aws.ToString(m.Namespace) != simulator.ALBNamespace:
		return simulator.Alarm{}, "namespace " + aws.ToString(m.Namespace)
	}
	a := simulator.Alarm{
		Name: aws.ToString(m.AlarmName), MetricName: aws.ToString(m.MetricName), Dimensions: map[string]string{},
		Statistic: string(m.Statistic), Period: clock.Duration(time.Duration(aws.ToInt32(m.Period)) * time.Second),
		EvaluationPeriods: aws.ToInt32(m.EvaluationPeriods), DatapointsToAlarm: aws.ToInt32(m.DatapointsToAlarm),
		Threshold: aws.ToFloat64(m.Threshold), ComparisonOperator: string(m.ComparisonOperator), TreatMissingData: aws.ToString(m.TreatMissingData),
	}
	if m.ExtendedStatistic != nil {
		a.Statistic = *m.ExtendedStatistic
	}
	for _, d := range m.Dimensions {
		a.Dimensions[aws.ToString(d.Name)] = aws.ToString(d.Value)
	}
	if err := a.Check(); err != nil {
		return simulator.Alarm{}, strings.TrimPrefix(err.Error(), "alarm "+a.Name+": ")
	}
	return a, ""
}
