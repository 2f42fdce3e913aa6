package simulator

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/clock"
)

const badImage = "ami-0a1b2c3d4e5f60bad"

// metricsWorld is the reachable seed world with a second image whose app answers 500 to a
// quarter of requests and is slow, while passing its health checks.
func metricsWorld() *World {
	w := reachableSeed()
	im := w.Images[0]
	im.ID, im.Name = badImage, "web-bad"
	im.App = &App{ErrorRate: 0.25, Latency: Latency{P50: clock.Duration(200 * time.Millisecond), P95: clock.Duration(800 * time.Millisecond)}}
	w.Images = append(w.Images, im)
	w.normalize()
	return w
}

// addTarget launches one instance of image in 1d and registers it in the seed target group.
func addTarget(t *testing.T, s *Sim, image string) string {
	t.Helper()
	out, err := s.EC2().RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(image), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: aws.String(SeedSubnet1d), InstanceType: "t3.small", SecurityGroupIds: []string{SeedWebSG},
	})
	if err != nil {
		t.Fatal(err)
	}
	advance(s, time.Minute)
	id := aws.ToString(out.Instances[0].InstanceId)
	if _, err := s.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: []elbtypes.TargetDescription{{Id: aws.String(id)}}}); err != nil {
		t.Fatal(err)
	}
	return id
}

func albMetric(name, az string) *cwtypes.Metric {
	dims := []cwtypes.Dimension{
		{Name: aws.String("LoadBalancer"), Value: aws.String(lbDimension(SeedALB))},
		{Name: aws.String("TargetGroup"), Value: aws.String(tgDimension(SeedTargetGroup))},
	}
	if az != "" {
		dims = append(dims, cwtypes.Dimension{Name: aws.String("AvailabilityZone"), Value: aws.String(az)})
	}
	return &cwtypes.Metric{Namespace: aws.String(ALBNamespace), MetricName: aws.String(name), Dimensions: dims}
}

// metric returns the one value of stat of name over [from, from+d), one period of d.
func metric(t *testing.T, s *Sim, name, stat string, from time.Time, d time.Duration) float64 {
	t.Helper()
	out, err := s.CloudWatch().GetMetricData(ctx, &cw.GetMetricDataInput{
		StartTime: aws.Time(from), EndTime: aws.Time(from.Add(d)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{Metric: albMetric(name, ""), Period: aws.Int32(int32(d / time.Second)), Stat: aws.String(stat)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.MetricDataResults[0]
	if len(r.Values) != 1 {
		t.Fatalf("%s %s from %s: %d datapoints, want 1", name, stat, from, len(r.Values))
	}
	return r.Values[0]
}

// datapoints counts the datapoints of a metric's Sum over [from, from+d), one period of d.
func datapoints(t *testing.T, s *Sim, name string, from time.Time, d time.Duration) int {
	t.Helper()
	out, err := s.CloudWatch().GetMetricData(ctx, &cw.GetMetricDataInput{
		StartTime: aws.Time(from), EndTime: aws.Time(from.Add(d)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{Metric: albMetric(name, ""), Period: aws.Int32(int32(d / time.Second)), Stat: aws.String("Sum")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.MetricDataResults[0].Values)
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v (±%v)", what, got, want, tol)
	}
}

func TestMetricsFollowTheRequestModel(t *testing.T) {
	t.Parallel()
	s := New(metricsWorld(), checkRoundTrips(t))
	start := s.Clock().Now().Truncate(time.Minute)
	advance(s, 10*time.Minute)
	// The steady state before the simulator began, and the minutes since: 40 requests a second.
	for _, from := range []time.Time{start.Add(-10 * time.Minute), start.Add(2 * time.Minute)} {
		near(t, "RequestCount", metric(t, s, "RequestCount", "Sum", from, 5*time.Minute), 5*60*DefaultRequestRate, 1e-6)
		if n := datapoints(t, s, "HTTPCode_Target_5XX_Count", from, 5*time.Minute); n != 0 {
			t.Errorf("a count of zero is not published; got %d datapoints", n)
		}
		near(t, "p95", metric(t, s, "TargetResponseTime", "p95", from, 5*time.Minute), 0.060, 1e-4)
		near(t, "p50", metric(t, s, "TargetResponseTime", "p50", from, 5*time.Minute), 0.020, 1e-4)
		near(t, "HealthyHostCount", metric(t, s, "HealthyHostCount", "Average", from, 5*time.Minute), 1, 1e-9)
	}
	// A second target on the broken image: healthy, but a quarter of its half answers 500.
	addTarget(t, s, badImage)
	advance(s, 5*time.Minute)
	from := s.Clock().Now().Truncate(time.Minute)
	advance(s, 5*time.Minute)
	req := metric(t, s, "RequestCount", "Sum", from, 5*time.Minute)
	errs := metric(t, s, "HTTPCode_Target_5XX_Count", "Sum", from, 5*time.Minute)
	near(t, "5xx share", errs/req, 0.125, 1e-6)
	near(t, "HealthyHostCount", metric(t, s, "HealthyHostCount", "Minimum", from, 5*time.Minute), 2, 1e-9)
	near(t, "Average of a count", metric(t, s, "RequestCount", "Average", from, 5*time.Minute), 1, 0)
	// The load balancer's own 5xx are published by load balancer, never by target group.
	if n := datapoints(t, s, "HTTPCode_ELB_5XX_Count", from.Add(-20*time.Minute), 30*time.Minute); n != 0 {
		t.Errorf("HTTPCode_ELB_5XX_Count by target group: %d datapoints", n)
	}
	if p95 := metric(t, s, "TargetResponseTime", "p95", from, 5*time.Minute); p95 < 0.5 || p95 > 0.8 {
		t.Errorf("p95 of an even mix of a 60ms and an 800ms app = %v s, want between 0.5 and 0.8", p95)
	}
	// The client model sees the same app errors.
	c := s.StartClients(ClientOptions{})
	advance(s, 10*time.Minute)
	tot := c.Report().Listeners[0].Total
	near(t, "clients' target errors", tot.Share(tot.TargetErrors), 0.125, 0.02)
	if tr := s.Traffic()[0]; math.Abs(tr.TargetErrors-0.125) > 1e-6 {
		t.Errorf("Traffic target errors %v, want 0.125", tr.TargetErrors)
	}
}

func TestGetMetricDataRefusesWhatCloudWatchRefuses(t *testing.T) {
	t.Parallel()
	s := New(metricsWorld())
	now := s.Clock().Now()
	q := func(id string, period int32) []cwtypes.MetricDataQuery {
		return []cwtypes.MetricDataQuery{{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Metric: albMetric("RequestCount", ""), Period: aws.Int32(period), Stat: aws.String("Sum")}}}
	}
	for _, tc := range []struct {
		name string
		in   cw.GetMetricDataInput
		code string
	}{
		{"end before start", cw.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Minute)), MetricDataQueries: q("m", 60)}, "InvalidParameterValue"},
		{"period not a minute multiple", cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), MetricDataQueries: q("m", 30)}, "InvalidParameterValue"},
		{"id not lowercase", cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), MetricDataQueries: q("M1", 60)}, "ValidationError"},
		{"no queries", cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now)}, "InvalidParameterValue"},
		{"no times", cw.GetMetricDataInput{MetricDataQueries: q("m", 60)}, "MissingParameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CloudWatch().GetMetricData(ctx, &tc.in)
			wantCode(t, err, tc.code)
		})
	}
	// Another namespace: no datapoints, no error.
	out, err := s.CloudWatch().GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: aws.String("AWS/EC2"), MetricName: aws.String("CPUUtilization")}, Period: aws.Int32(60), Stat: aws.String("Average")}}}})
	if err != nil || len(out.MetricDataResults[0].Values) != 0 {
		t.Fatalf("AWS/EC2: %v, %v", out, err)
	}
}

func describeAlarm(t *testing.T, s *Sim, name string) cwtypes.MetricAlarm {
	t.Helper()
	out, err := s.CloudWatch().DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("alarm %s: %d listed", name, len(out.MetricAlarms))
	}
	return out.MetricAlarms[0]
}

func TestAlarmsAreEvaluatedInVirtualTime(t *testing.T) {
	t.Parallel()
	w := metricsWorld()
	dims := map[string]string{"LoadBalancer": lbDimension(SeedALB), "TargetGroup": tgDimension(SeedTargetGroup)}
	w.Alarms = []Alarm{
		{Name: "web-5xx", MetricName: "HTTPCode_Target_5XX_Count", Dimensions: dims, Statistic: "Sum", Period: clock.Duration(time.Minute), EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 10, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching"},
		// The same without a missing-data treatment: no 5xx, no datapoint, no data.
		{Name: "web-5xx-missing", MetricName: "HTTPCode_Target_5XX_Count", Dimensions: dims, Statistic: "Sum", Period: clock.Duration(time.Minute), EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 10, ComparisonOperator: "GreaterThanThreshold"},
		{Name: "web-slow", MetricName: "TargetResponseTime", Dimensions: dims, Statistic: "p95", Period: clock.Duration(time.Minute), EvaluationPeriods: 1, Threshold: 0.5, ComparisonOperator: "GreaterThanThreshold"},
		{Name: "web-other-az", MetricName: "RequestCount", Dimensions: map[string]string{"LoadBalancer": "app/none/1", "TargetGroup": "targetgroup/none/1"}, Statistic: "Sum", Period: clock.Duration(time.Minute), EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "breaching"},
	}
	s := New(w, checkRoundTrips(t))
	advance(s, 3*time.Minute)
	if a := describeAlarm(t, s, "web-5xx"); a.StateValue != "OK" {
		t.Fatalf("healthy fleet: web-5xx is %s (%s)", a.StateValue, aws.ToString(a.StateReason))
	}
	if a := describeAlarm(t, s, "web-5xx-missing"); a.StateValue != "INSUFFICIENT_DATA" {
		t.Fatalf("no 5xx and missing data: web-5xx-missing is %s", a.StateValue)
	}
	if a := describeAlarm(t, s, "web-other-az"); a.StateValue != "ALARM" {
		t.Fatalf("missing data treated as breaching: %s", a.StateValue)
	}
	addTarget(t, s, badImage)
	healthyAt := s.Clock().Now()
	if a := describeAlarm(t, s, "web-5xx"); a.StateValue != "OK" {
		t.Fatalf("before two breaching minutes: %s", a.StateValue)
	}
	advance(s, 5*time.Minute)
	a := describeAlarm(t, s, "web-5xx")
	if a.StateValue != "ALARM" || !strings.Contains(aws.ToString(a.StateReason), "minimum 2 datapoints") {
		t.Fatalf("after minutes of 5xx: %s (%s)", a.StateValue, aws.ToString(a.StateReason))
	}
	if ts := aws.ToTime(a.StateUpdatedTimestamp); ts.Before(healthyAt) || ts.After(s.Clock().Now()) {
		t.Fatalf("state updated at %s, outside [%s, %s]", ts, healthyAt, s.Clock().Now())
	}
	if a := describeAlarm(t, s, "web-slow"); a.StateValue != "ALARM" || aws.ToString(a.ExtendedStatistic) != "p95" {
		t.Fatalf("web-slow: %s", a.StateValue)
	}
	out, err := s.CloudWatch().DescribeAlarms(ctx, &cw.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm, MaxRecords: aws.Int32(2)})
	if err != nil || len(out.MetricAlarms) != 2 || out.NextToken == nil {
		t.Fatalf("in ALARM, 2 a page: %v %v", out, err)
	}
	_, err = s.CloudWatch().DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"x"}, AlarmNamePrefix: aws.String("w")})
	wantCode(t, err, "InvalidParameterCombination")
	_, err = s.CloudWatch().DescribeAlarms(ctx, &cw.DescribeAlarmsInput{MaxRecords: aws.Int32(101)})
	wantCode(t, err, "InvalidParameterValue")
}

func TestWorldChecksAppsAndAlarms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(w *World)
		want string
	}{
		{"error rate above 1", func(w *World) { w.Images[0].App = &App{ErrorRate: 1.5} }, "error_rate 1.5"},
		{"p95 below p50", func(w *World) {
			w.Images[0].App = &App{Latency: Latency{P50: clock.Duration(time.Second), P95: clock.Duration(time.Millisecond)}}
		}, "p95 (1ms) at least p50"},
		{"alarm period", func(w *World) {
			w.Alarms = []Alarm{{Name: "a", Period: clock.Duration(30 * time.Second), EvaluationPeriods: 1, ComparisonOperator: "GreaterThanThreshold"}}
		}, "multiple of 60s"},
		{"alarm operator", func(w *World) {
			w.Alarms = []Alarm{{Name: "a", Statistic: "Sum", Period: clock.Duration(time.Minute), EvaluationPeriods: 1, ComparisonOperator: "Above", Dimensions: map[string]string{"LoadBalancer": "x", "TargetGroup": "y"}}}
		}, `comparison_operator "Above"`},
		{"negative rate", func(w *World) { w.RequestRate = -1 }, "request_rate -1"},
		{"alarm statistic", func(w *World) {
			w.Alarms = []Alarm{{Name: "a", Statistic: "Median", Period: clock.Duration(time.Minute), EvaluationPeriods: 1, ComparisonOperator: "GreaterThanThreshold", Dimensions: map[string]string{"LoadBalancer": "x"}}}
		}, `statistic "Median"`},
		{"alarm dimension", func(w *World) {
			w.Alarms = []Alarm{{Name: "a", Statistic: "Sum", Period: clock.Duration(time.Minute), EvaluationPeriods: 1, ComparisonOperator: "GreaterThanThreshold", Dimensions: map[string]string{"LoadBalancer": "x", "InstanceId": "i-1"}}}
		}, `dimension "InstanceId"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := SeedWorld()
			tc.edit(w)
			data, err := w.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseWorld(data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
