package simulator

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/cloud"
)

// CloudWatch is the simulated CloudWatch client: GetMetricData over the metrics the request
// model records (metrics.go) and DescribeAlarms over the world's alarms, evaluated in virtual
// time (docs/simulator.md, "Metrics and alarms").
type CloudWatch struct{ s *Sim }

// CloudWatch returns the simulated CloudWatch client.
func (s *Sim) CloudWatch() *CloudWatch { return &CloudWatch{s: s} }

var cwOps = []string{"GetMetricData", "DescribeAlarms"}

func init() {
	for _, op := range cwOps {
		knownOps[op] = true
	}
}

func cwThrottle() *smithy.GenericAPIError {
	return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
}

// ALBNamespace is the namespace of Application Load Balancer metrics.
const ALBNamespace = "AWS/ApplicationELB"

var (
	queryIDRe = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	pStatRe   = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100)$`)
)

// GetMetricData answers MetricStat queries on the AWS/ApplicationELB metrics; metric math
// (Expression) is refused, which AWS would evaluate.
func (c *CloudWatch) GetMetricData(ctx context.Context, in *cw.GetMetricDataInput, _ ...func(*cw.Options)) (*cw.GetMetricDataOutput, error) {
	unlock, err := c.s.begin(ctx, "GetMetricData", cwThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in.StartTime == nil || in.EndTime == nil {
		return nil, apiErr("MissingParameter", "The parameters StartTime and EndTime are required.")
	}
	if !in.StartTime.Before(*in.EndTime) {
		return nil, apiErr("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
	}
	if n := len(in.MetricDataQueries); n == 0 || n > 500 {
		return nil, apiErr("InvalidParameterValue", "The collection MetricDataQueries must not be empty and must not have more than 500 elements.")
	}
	out := &cw.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		res, err := c.s.query(q, *in.StartTime, *in.EndTime, in.ScanBy)
		if err != nil {
			return nil, err
		}
		if q.ReturnData == nil || *q.ReturnData {
			out.MetricDataResults = append(out.MetricDataResults, res)
		}
	}
	return out, nil
}

// query answers one MetricStat query: one datapoint per period with data.
func (s *Sim) query(q cwtypes.MetricDataQuery, start, end time.Time, scan cwtypes.ScanBy) (cwtypes.MetricDataResult, error) {
	id := aws.ToString(q.Id)
	if !queryIDRe.MatchString(id) {
		return cwtypes.MetricDataResult{}, apiErr("ValidationError", "The value %s for parameter MetricDataQueries.member.Id is not valid: it must begin with a lowercase letter and contain only letters, numbers and underscores.", id)
	}
	if q.Expression != nil {
		return cwtypes.MetricDataResult{}, apiErr("InvalidParameterValue", "The simulator does not evaluate metric math expressions (query %s)", id)
	}
	ms := q.MetricStat
	if ms == nil || ms.Metric == nil || ms.Period == nil || ms.Stat == nil {
		return cwtypes.MetricDataResult{}, apiErr("MissingParameter", "Query %s needs a MetricStat with Metric, Period and Stat.", id)
	}
	period := time.Duration(*ms.Period) * time.Second
	if period <= 0 || period%time.Minute != 0 {
		return cwtypes.MetricDataResult{}, apiErr("InvalidParameterValue", "The parameter MetricDataQueries.member.MetricStat.Period must be a multiple of 60 for ALB metrics, which are published every 60 seconds (query %s).", id)
	}
	series, ok := s.series(ms.Metric)
	res := cwtypes.MetricDataResult{Id: aws.String(id), Label: ms.Metric.MetricName, StatusCode: cwtypes.StatusCodeComplete}
	if q.Label != nil {
		res.Label = q.Label
	}
	if !ok {
		return res, nil // CloudWatch answers no datapoints for a metric it does not have
	}
	// CloudWatch rounds a recent StartTime down to the minute; periods run from there.
	for t := start.Truncate(time.Minute); t.Before(end); t = t.Add(period) {
		v, ok, err := s.statistic(series, aws.ToString(ms.Metric.MetricName), *ms.Stat, t, period)
		if err != nil {
			return res, err
		}
		if ok {
			res.Timestamps = append(res.Timestamps, t.UTC())
			res.Values = append(res.Values, v)
		}
	}
	if scan != cwtypes.ScanByTimestampAscending {
		slices.Reverse(res.Timestamps)
		slices.Reverse(res.Values)
	}
	return res, nil
}

// series finds the series a metric names: namespace AWS/ApplicationELB, dimension
// LoadBalancer, and optionally TargetGroup and AvailabilityZone.
func (s *Sim) series(m *cwtypes.Metric) (seriesKey, bool) {
	if aws.ToString(m.Namespace) != ALBNamespace {
		return seriesKey{}, false
	}
	var k seriesKey
	for _, d := range m.Dimensions {
		switch v := aws.ToString(d.Value); aws.ToString(d.Name) {
		case "LoadBalancer":
			k.lb = v
		case "TargetGroup":
			k.tg = v
		case "AvailabilityZone":
			k.az = v
		default:
			return seriesKey{}, false
		}
	}
	return k, k.lb != ""
}

// periodsOf returns the recorded minutes of [t, t+period): the steady state for minutes
// before the metrics began.
func (s *Sim) periodsOf(k seriesKey, t time.Time, period time.Duration) []*minute {
	m := s.metrics
	var out []*minute
	for at := t; at.Before(t.Add(period)); at = at.Add(time.Minute) {
		if at.Add(time.Minute).After(s.w.Now) {
			break // a period not over yet is not published
		}
		if at.Before(m.start.Truncate(time.Minute)) {
			if at.After(m.start.Add(-MetricRetention)) && m.steady[k] != nil {
				out = append(out, m.steady[k])
			}
			continue
		}
		if p := m.data[k][at.Unix()]; p != nil {
			out = append(out, p)
		}
	}
	return out
}

// statistic computes stat of metric over the period starting at t; ok is false when the
// period has no datapoint. The metrics publish as the ALB's do
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
// the counts only when nonzero, HTTPCode_ELB_5XX_Count only by load balancer (and zone), the
// host counts only by target group.
func (s *Sim) statistic(k seriesKey, metric, name string, t time.Time, period time.Duration) (float64, bool, error) {
	ps := s.periodsOf(k, t, period)
	if len(ps) == 0 {
		return 0, false, nil
	}
	switch metric {
	case "TargetResponseTime":
		return latencyStatistic(ps, name)
	case "RequestCount", "HTTPCode_Target_5XX_Count":
		return countStatistic(ps, metric, name)
	case "HTTPCode_ELB_5XX_Count":
		if k.tg != "" {
			return 0, false, nil // the load balancer's own answers have no TargetGroup dimension
		}
		return countStatistic(ps, metric, name)
	case "HealthyHostCount", "UnHealthyHostCount":
		if k.tg == "" {
			return 0, false, nil
		}
		return hostStatistic(ps, metric, name)
	}
	return 0, false, nil
}

// countStatistic is a statistic of a count: Sum (and SampleCount) the requests counted;
// Minimum, Maximum and Average 1, as each request is a datapoint of 1; no datapoint when
// the count is zero.
func countStatistic(ps []*minute, metric, name string) (float64, bool, error) {
	sum := 0.0
	for _, p := range ps {
		switch metric {
		case "RequestCount":
			sum += p.requests
		case "HTTPCode_Target_5XX_Count":
			sum += p.target5xx
		default:
			sum += p.elb5xx
		}
	}
	if sum <= 0 {
		return 0, false, nil
	}
	switch name {
	case "Sum", "SampleCount":
		return sum, true, nil
	case "Average", "Minimum", "Maximum":
		return 1, true, nil
	}
	return 0, false, apiErr("InvalidParameterValue", "The statistic %s is not supported for %s in the simulator (Sum, Average, Minimum, Maximum, SampleCount)", name, metric)
}

// hostStatistic is a statistic of the healthy or unhealthy host count, sampled every
// MetricStep.
func hostStatistic(ps []*minute, metric, name string) (float64, bool, error) {
	var sum, lo, hi float64
	n := 0
	for i, p := range ps {
		st := p.healthy
		if metric == "UnHealthyHostCount" {
			st = p.unhealthy
		}
		sum += st.sum
		n += max(p.samples, 1)
		if i == 0 || st.min < lo {
			lo = st.min
		}
		if i == 0 || st.max > hi {
			hi = st.max
		}
	}
	switch name {
	case "Average":
		return sum / float64(n), true, nil
	case "Minimum":
		return lo, true, nil
	case "Maximum":
		return hi, true, nil
	case "SampleCount":
		return float64(n), true, nil
	case "Sum":
		return sum, true, nil
	}
	return 0, false, apiErr("InvalidParameterValue", "The statistic %s is not supported for %s in the simulator (Sum, Average, Minimum, Maximum, SampleCount)", name, metric)
}

// latencyStatistic is a statistic of TargetResponseTime, in seconds.
func latencyStatistic(ps []*minute, stat string) (float64, bool, error) {
	mix := map[lognormal]float64{}
	for _, p := range ps {
		for _, c := range components(p.latency) {
			mix[c.d] += c.w
		}
	}
	sum, count := mean(mix)
	if count <= 0 {
		return 0, false, nil
	}
	switch stat {
	case "Average":
		return sum / count, true, nil
	case "Sum":
		return sum, true, nil
	case "SampleCount":
		return count, true, nil
	case "Minimum":
		return percentile(mix, 0.001), true, nil // a log-normal has no least value
	case "Maximum":
		return percentile(mix, 0.999), true, nil
	}
	if m := pStatRe.FindStringSubmatch(stat); m != nil {
		q, _ := strconv.ParseFloat(strings.TrimPrefix(stat, "p"), 64)
		if q <= 0 || q >= 100 {
			return 0, false, apiErr("InvalidParameterValue", "The percentile statistic %s must be between p0 and p100, exclusive, in the simulator", stat)
		}
		return percentile(mix, q/100), true, nil
	}
	return 0, false, apiErr("InvalidParameterValue", "The statistic %s is not valid", stat)
}

var _ cloud.CloudWatch = (*CloudWatch)(nil)
