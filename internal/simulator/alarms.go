package simulator

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
)

// Alarm is a CloudWatch metric alarm of the world file, on a metric of the simulated
// AWS/ApplicationELB namespace. Its state is not stored: DescribeAlarms evaluates it at the
// clock's time, period after period, as CloudWatch evaluates an alarm (docs/simulator.md,
// "Metrics and alarms").
type Alarm struct {
	Name       string            `json:"name"`
	MetricName string            `json:"metric_name"`
	Dimensions map[string]string `json:"dimensions"`
	// Statistic is Sum, Average, Minimum, Maximum, SampleCount, or a percentile (p95).
	Statistic          string         `json:"statistic"`
	Period             clock.Duration `json:"period"`
	EvaluationPeriods  int32          `json:"evaluation_periods"`
	DatapointsToAlarm  int32          `json:"datapoints_to_alarm,omitempty"` // 0: EvaluationPeriods
	Threshold          float64        `json:"threshold"`
	ComparisonOperator string         `json:"comparison_operator"`
	// TreatMissingData is missing (the default), notBreaching, breaching or ignore.
	TreatMissingData string `json:"treat_missing_data,omitempty"`
}

var comparisons = map[string]func(v, t float64) bool{
	"GreaterThanThreshold":          func(v, t float64) bool { return v > t },
	"GreaterThanOrEqualToThreshold": func(v, t float64) bool { return v >= t },
	"LessThanThreshold":             func(v, t float64) bool { return v < t },
	"LessThanOrEqualToThreshold":    func(v, t float64) bool { return v <= t },
}

// Check validates an alarm of a world file, with CloudWatch's limits (PutMetricAlarm) and
// what the simulator evaluates.
func (a Alarm) Check() error {
	switch {
	case a.Name == "" || len(a.Name) > 255:
		return fmt.Errorf("alarm name %q must have 1 to 255 characters", a.Name)
	case a.Period.D() <= 0 || a.Period.D()%time.Minute != 0:
		return fmt.Errorf("alarm %s: period %s must be a multiple of 60s (ALB metrics are published every minute)", a.Name, a.Period)
	case a.EvaluationPeriods < 1:
		return fmt.Errorf("alarm %s: evaluation_periods must be at least 1", a.Name)
	case a.DatapointsToAlarm < 0 || a.DatapointsToAlarm > a.EvaluationPeriods:
		return fmt.Errorf("alarm %s: datapoints_to_alarm must be between 1 and evaluation_periods", a.Name)
	case a.Period.D()*time.Duration(a.EvaluationPeriods) > 24*time.Hour:
		return fmt.Errorf("alarm %s: period × evaluation_periods must not exceed one day", a.Name)
	case !slices.Contains([]string{"Sum", "Average", "Minimum", "Maximum", "SampleCount"}, a.Statistic) && !pStatRe.MatchString(a.Statistic):
		return fmt.Errorf("alarm %s: statistic %q is not Sum, Average, Minimum, Maximum, SampleCount or a percentile such as p95", a.Name, a.Statistic)
	case comparisons[a.ComparisonOperator] == nil:
		return fmt.Errorf("alarm %s: comparison_operator %q is not one of GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold, LessThanOrEqualToThreshold", a.Name, a.ComparisonOperator)
	case a.Dimensions["LoadBalancer"] == "":
		return fmt.Errorf("alarm %s: dimensions need LoadBalancer", a.Name)
	}
	for k := range a.Dimensions {
		if k != "LoadBalancer" && k != "TargetGroup" && k != "AvailabilityZone" {
			return fmt.Errorf("alarm %s: dimension %q is not one of the ALB metrics' (LoadBalancer, TargetGroup, AvailabilityZone)", a.Name, k)
		}
	}
	switch a.TreatMissingData {
	case "", "missing", "notBreaching", "breaching", "ignore":
	default:
		return fmt.Errorf("alarm %s: treat_missing_data %q is not missing, notBreaching, breaching or ignore", a.Name, a.TreatMissingData)
	}
	return nil
}

// alarmState is an alarm's state as of one evaluation.
type alarmState struct {
	value  string // OK, ALARM, INSUFFICIENT_DATA
	since  time.Time
	reason string
}

// evaluate replays the alarm's evaluations, one at the end of every period, from the first
// period the metrics can fill up to the clock. Each looks at the last EvaluationPeriods
// periods: ALARM when DatapointsToAlarm of them breach; else OK when any datapoint (or
// missing datapoint treated as one) is there; else, with no datapoint at all,
// INSUFFICIENT_DATA, or the state kept for ignore.
func (s *Sim) evaluate(a Alarm) alarmState {
	p := a.Period.D()
	first := s.metrics.start.Add(-time.Duration(a.EvaluationPeriods) * p).Truncate(p)
	st := alarmState{value: "INSUFFICIENT_DATA", since: first, reason: "Unchecked: Initial alarm creation"}
	for end := first.Add(time.Duration(a.EvaluationPeriods) * p); !end.After(s.w.Now); end = end.Add(p) {
		next := s.evaluateAt(a, end)
		if next.value == "" || next.value == st.value {
			continue
		}
		next.since = end
		st = next
	}
	return st
}

// evaluateAt is one evaluation, of the periods ending at end; value "" keeps the state.
func (s *Sim) evaluateAt(a Alarm, end time.Time) alarmState {
	p := a.Period.D()
	k := seriesKey{a.Dimensions["LoadBalancer"], a.Dimensions["TargetGroup"], a.Dimensions["AvailabilityZone"]}
	need := a.DatapointsToAlarm
	if need == 0 {
		need = a.EvaluationPeriods
	}
	breach := comparisons[a.ComparisonOperator]
	var breaching, counted int32
	var seen []string
	for i := a.EvaluationPeriods; i >= 1; i-- {
		t := end.Add(-time.Duration(i) * p)
		v, ok, err := s.statistic(k, a.MetricName, a.Statistic, t, p)
		switch {
		case err != nil || !ok:
			switch a.TreatMissingData {
			case "breaching":
				breaching++
				counted++
			case "notBreaching":
				counted++
			}
			continue
		case breach(v, a.Threshold):
			breaching++
		}
		counted++
		seen = append(seen, fmt.Sprintf("%.6g (%s)", v, t.UTC().Format("02/01/06 15:04:05")))
	}
	switch {
	case breaching >= need:
		return alarmState{value: "ALARM", reason: fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s the threshold (%g) (minimum %d datapoints for OK -> ALARM transition).",
			breaching, a.EvaluationPeriods, strings.Join(seen, ", "), operatorWords(a.ComparisonOperator), a.Threshold, need)}
	case counted > 0:
		return alarmState{value: "OK", reason: fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s the threshold (%g).",
			breaching, a.EvaluationPeriods, strings.Join(seen, ", "), operatorWords(a.ComparisonOperator), a.Threshold)}
	case a.TreatMissingData == "ignore":
		return alarmState{}
	}
	return alarmState{value: "INSUFFICIENT_DATA", reason: fmt.Sprintf("Insufficient Data: %d datapoints were unknown.", a.EvaluationPeriods)}
}

func operatorWords(op string) string {
	switch op {
	case "GreaterThanThreshold":
		return "were greater than"
	case "GreaterThanOrEqualToThreshold":
		return "were greater than or equal to"
	case "LessThanThreshold":
		return "were less than"
	}
	return "were less than or equal to"
}

// DescribeAlarms lists the world's metric alarms with their state at the clock's time,
// sorted by name; AlarmNames, AlarmNamePrefix and StateValue filter as CloudWatch's do. A
// name that is not an alarm is simply not listed.
func (c *CloudWatch) DescribeAlarms(ctx context.Context, in *cw.DescribeAlarmsInput, _ ...func(*cw.Options)) (*cw.DescribeAlarmsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeAlarms", cwThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil {
		return nil, apiErr("InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot be specified together.")
	}
	if len(in.AlarmNames) > 100 {
		return nil, apiErr("InvalidParameterValue", "The collection AlarmNames must not have more than 100 elements.")
	}
	var list []cwtypes.MetricAlarm
	for _, a := range s.w.Alarms {
		if len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, a.Name) {
			continue
		}
		if in.AlarmNamePrefix != nil && !strings.HasPrefix(a.Name, *in.AlarmNamePrefix) {
			continue
		}
		st := s.evaluate(a)
		if in.StateValue != "" && string(in.StateValue) != st.value {
			continue
		}
		list = append(list, s.metricAlarm(a, st))
	}
	start, end, next, err := cwPage(len(list), in.MaxRecords, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &cw.DescribeAlarmsOutput{MetricAlarms: list[start:end], NextToken: next}, nil
}

func (s *Sim) metricAlarm(a Alarm, st alarmState) cwtypes.MetricAlarm {
	var dims []cwtypes.Dimension
	for _, k := range []string{"AvailabilityZone", "LoadBalancer", "TargetGroup"} {
		if v := a.Dimensions[k]; v != "" {
			dims = append(dims, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
		}
	}
	m := cwtypes.MetricAlarm{
		AlarmName:             aws.String(a.Name),
		AlarmArn:              aws.String(fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", s.w.Region, s.w.AccountID, a.Name)),
		Namespace:             aws.String(ALBNamespace),
		MetricName:            aws.String(a.MetricName),
		Dimensions:            dims,
		Period:                aws.Int32(int32(a.Period.D() / time.Second)),
		EvaluationPeriods:     aws.Int32(a.EvaluationPeriods),
		Threshold:             aws.Float64(a.Threshold),
		ComparisonOperator:    cwtypes.ComparisonOperator(a.ComparisonOperator),
		StateValue:            cwtypes.StateValue(st.value),
		StateReason:           aws.String(st.reason),
		StateUpdatedTimestamp: aws.Time(st.since.UTC()),
	}
	if a.DatapointsToAlarm > 0 {
		m.DatapointsToAlarm = aws.Int32(a.DatapointsToAlarm)
	}
	if a.TreatMissingData != "" {
		m.TreatMissingData = aws.String(a.TreatMissingData)
	}
	if pStatRe.MatchString(a.Statistic) {
		m.ExtendedStatistic = aws.String(a.Statistic)
	} else {
		m.Statistic = cwtypes.Statistic(a.Statistic)
	}
	return m
}

// cwPage checks MaxRecords (1-100) and pages n alarms by NextToken.
func cwPage(n int, maxRecords *int32, token *string) (start, end int, next *string, err error) {
	var size int32
	if maxRecords != nil {
		size = *maxRecords
		if size < 1 || size > 100 {
			return 0, 0, nil, apiErr("InvalidParameterValue", "The parameter MaxRecords must be between 1 and 100.")
		}
	}
	start, end, tok, ok := page(n, size, aws.ToString(token))
	if !ok {
		return 0, 0, nil, apiErr("InvalidNextToken", "The service returned an invalid NextToken.")
	}
	if tok != "" {
		next = aws.String(tok)
	}
	return start, end, next, nil
}
