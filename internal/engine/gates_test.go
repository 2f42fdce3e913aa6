package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// Gates due together share one DescribeAlarms per pass, as waiters on instances share one
// DescribeInstances: two fleets' gates baking at once cost one call per poll, not two; a
// gate naming an alarm the account lacks trips, naming it. Gates with alarms only read no
// metrics.
func TestGatesShareOneDescribeAlarms(t *testing.T) {
	t.Parallel()
	const (
		tg = simulator.SeedTargetGroup
		lb = simulator.SeedALB
	)
	world := func() *simulator.World {
		w := simulator.SeedWorld()
		dims := map[string]string{"LoadBalancer": "app/web-alb/0a1b2c3d4e5f6002", "TargetGroup": "targetgroup/web-tg/0a1b2c3d4e5f6001"}
		w.Alarms = []simulator.Alarm{
			{Name: "web-5xx", MetricName: "HTTPCode_Target_5XX_Count", Statistic: "Sum", Period: clock.Duration(time.Minute), Dimensions: dims,
				EvaluationPeriods: 1, Threshold: 10, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching"},
			{Name: "web-p95", MetricName: "TargetResponseTime", Statistic: "p95", Period: clock.Duration(time.Minute), Dimensions: dims,
				EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanThreshold"},
		}
		return w
	}
	gateStep := func(id string, alarms ...string) plan.Step {
		return plan.Step{ID: id, Kind: plan.Gate, Resource: "fleet " + id, Reason: "r", DependsOn: []string{}, Gate: &plan.GateParams{
			Fleet: id, Batch: 1, Checkpoint: 100, Replaced: 1, Total: 1, TargetGroupARN: tg, LoadBalancerARNs: []string{lb},
			Zones: []string{"ap-northeast-1d"}, Bake: clock.Duration(3 * time.Minute), Alarms: alarms, ImageID: simulator.SeedImage,
		}}
	}
	for _, tc := range []struct {
		name  string
		steps []plan.Step
		calls int
		fails string
	}{
		// Both start at once and poll at +0, +1m, +2m and at the end (+3m): four passes.
		{"two gates", []plan.Step{gateStep("a", "web-5xx"), gateStep("b", "web-p95")}, 4, ""},
		{"an alarm the account lacks", []plan.Step{gateStep("a", "web-5xx", "nope")}, 1, "alarm nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := testkit.NewSim(t, world())
			var mu sync.Mutex
			calls := 0
			api := cloud.Intercept(testkit.API(sim), func(ctx context.Context, op string, call func(context.Context) error) error {
				switch op {
				case "DescribeAlarms":
					mu.Lock()
					calls++
					mu.Unlock()
				case "GetMetricData": // gates with alarms only have no metrics to read
					t.Errorf("%s by a gate with no max_5xx_percent nor max_p95_latency", op)
				}
				return call(ctx)
			})
			_, err := engine.Apply(context.Background(), &plan.Plan{Steps: tc.steps}, api, engine.Options{Clock: sim.Clock()})
			switch {
			case tc.fails == "" && err != nil:
				t.Fatalf("apply: %v", err)
			case tc.fails != "" && (err == nil || !strings.Contains(err.Error(), tc.fails) || !strings.Contains(err.Error(), "the account has no such alarm")):
				t.Fatalf("apply: %v, want a gate tripped on %s", err, tc.fails)
			}
			if calls != tc.calls {
				t.Errorf("%d DescribeAlarms calls, want %d", calls, tc.calls)
			}
		})
	}
}

// countingImages records when DescribeImages is called by image ID.
type countingImages struct {
	cloud.EC2
	clock interface{ Now() time.Time }
	at    map[time.Time]int
}

func (c *countingImages) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	for _, f := range in.Filters {
		if aws.ToString(f.Name) == "image-id" {
			c.at[c.clock.Now()]++
		}
	}
	return c.EC2.DescribeImages(ctx, in, optFns...)
}

// Steps waiting on images share one DescribeImages per pass: two images baked at once are
// polled together (after the instant they are made, when each asks as it is created).
func TestImageWaitersShareOneDescribeImages(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	bake := func(name string) plan.Step {
		return plan.Step{ID: "create_image." + name, Kind: plan.CreateImage, Resource: "image " + name, Reason: "r", DependsOn: []string{},
			Image: &plan.ImageParams{SourceInstanceID: simulator.SeedInstance, Name: name, NoReboot: true, Tags: map[string]string{"Name": name}}}
	}
	api := testkit.API(sim)
	counter := &countingImages{EC2: api.EC2, clock: sim.Clock(), at: map[time.Time]int{}}
	api.EC2 = counter
	if _, err := engine.Apply(context.Background(), &plan.Plan{Steps: []plan.Step{bake("web-a"), bake("web-b")}}, api, engine.Options{Clock: sim.Clock()}); err != nil {
		t.Fatal(err)
	}
	if len(counter.at) < 2 {
		t.Fatalf("the images were polled at %d instants; want several", len(counter.at))
	}
	start := sim.Clock().Now()
	for at := range counter.at {
		if at.Before(start) {
			start = at
		}
	}
	for at, n := range counter.at {
		if at.After(start) && n != 1 {
			t.Errorf("%d DescribeImages by image ID at %s, want one for both images", n, at)
		}
	}
}

// A tripped gate rolls back and says so: the error is ErrGateTripped (a checkpoint's gate,
// not a new member's health timeout), names the gate and the old members registered again,
// and the image it rolled out carries albctl:rolled-back naming the gate (the tag call
// succeeded, so no note that it did not). Each guard trips on its own: a 5xx-only gate and a
// p95-only gate are judged: a member of a bad build (a quarter 5xx, slow) joins the fleet
// just before the apply, so the baseline (the fleet as loaded) is good and the bake is not.
func TestGateTripRollsBackAndTagsTheImage(t *testing.T) {
	t.Parallel()
	pct := 1.0
	for _, tc := range []struct {
		name   string
		alarms []string
		max5xx *float64
		maxP95 time.Duration
		want   string
	}{
		{"alarm", []string{"always"}, nil, 0, "alarm always"},
		{"5xx only", nil, &pct, 0, "max_5xx_percent = 1"},
		{"p95 only", nil, nil, 500 * time.Millisecond, "max_p95_latency = 500ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := everyNodeReaches()
			im := w.Images[0]
			im.ID, im.Name = badImage, "web-bad"
			im.App = &simulator.App{ErrorRate: 0.25, Latency: simulator.Latency{P50: clock.Duration(200 * time.Millisecond), P95: clock.Duration(800 * time.Millisecond)}}
			w.Images = append(w.Images, im)
			w.Alarms = []simulator.Alarm{{Name: "always", MetricName: "HTTPCode_ELB_4XX_Count", Statistic: "Sum", Period: clock.Duration(time.Minute),
				Dimensions: map[string]string{"LoadBalancer": "app/web-alb/0a1b2c3d4e5f6002"}, EvaluationPeriods: 1, Threshold: 1000,
				ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "breaching"}}
			sim := testkit.NewSim(t, w)
			serveBadBuild(t, sim)
			step := plan.Step{ID: "gate.web.batch-1", Kind: plan.Gate, Resource: "fleet web", Reason: "r", DependsOn: []string{}, Gate: &plan.GateParams{
				Fleet: "web", Batch: 1, Checkpoint: 100, Replaced: 1, Total: 1, TargetGroupARN: simulator.SeedTargetGroup,
				LoadBalancerARNs: []string{simulator.SeedALB}, Zones: []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"},
				Bake: clock.Duration(10 * time.Minute), Alarms: tc.alarms, Max5xxPercent: tc.max5xx, MaxP95Latency: clock.Duration(tc.maxP95),
				Version: "1", ImageID: simulator.SeedImage,
				Rollback: plan.GateRollback{Restore: []plan.TargetParams{{TargetGroupARN: simulator.SeedTargetGroup, InstanceID: simulator.SeedInstance, Port: 80, AZ: "ap-northeast-1a", Name: "web"}}},
			}}
			_, err := apply(t, sim, &plan.Plan{Steps: []plan.Step{step}}, engine.Options{})
			if !errors.Is(err, engine.ErrGateTripped) || errors.Is(err, engine.ErrRolledBack) {
				t.Fatalf("apply: %v, want a tripped gate", err)
			}
			msg := err.Error()
			for _, want := range []string{tc.want, "checkpoint 100%", "registered " + simulator.SeedInstance + " (web) again (healthy), then deregistered and terminated none"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error does not say %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, "was not tagged") {
				t.Errorf("the tag was made, yet the error says it was not:\n%s", msg)
			}
			tag := ""
			for _, im := range sim.World().Images {
				if im.ID == simulator.SeedImage {
					tag = im.Tags[cloud.TagRolledBack]
				}
			}
			if !strings.Contains(tag, tc.want) {
				t.Errorf("image %s tag %s = %q, want the gate %q", simulator.SeedImage, cloud.TagRolledBack, tag, tc.want)
			}
		})
	}
}

const badImage = "ami-0a1b2c3d4e5f60bad"

// serveBadBuild launches a member of badImage in 1d and registers it in the seed target group.
func serveBadBuild(t *testing.T, sim *simulator.Sim) {
	t.Helper()
	ctx := context.Background()
	out, err := sim.EC2().RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(badImage), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: aws.String(simulator.SeedSubnet1d), InstanceType: "t3.small", SecurityGroupIds: []string{simulator.SeedWebSG},
	})
	if err != nil {
		t.Fatal(err)
	}
	sim.Clock().Advance(time.Minute)
	if _, err := sim.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(simulator.SeedTargetGroup),
		Targets: []elbtypes.TargetDescription{{Id: out.Instances[0].InstanceId}}}); err != nil {
		t.Fatal(err)
	}
}

// Without a CloudWatch client, a gate with guards only fails on the metrics it cannot read,
// not on alarms it does not have.
func TestGateWithoutCloudWatchNamesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	pct := 1.0
	step := plan.Step{ID: "gate.web.batch-1", Kind: plan.Gate, Resource: "fleet web", Reason: "r", DependsOn: []string{}, Gate: &plan.GateParams{
		Fleet: "web", Batch: 1, Checkpoint: 100, Replaced: 1, Total: 1, TargetGroupARN: simulator.SeedTargetGroup,
		LoadBalancerARNs: []string{simulator.SeedALB}, Zones: []string{"ap-northeast-1a"}, Bake: clock.Duration(3 * time.Minute),
		Max5xxPercent: &pct, Version: "1", ImageID: simulator.SeedImage,
	}}
	api := testkit.API(sim)
	api.CW = nil
	_, err := engine.Apply(context.Background(), &plan.Plan{Steps: []plan.Step{step}}, api, engine.Options{Clock: sim.Clock()})
	if err == nil || !strings.Contains(err.Error(), "no CloudWatch client to read the gate's metrics") {
		t.Fatalf("apply: %v, want the metrics it cannot read", err)
	}
}

// DescribeAlarms takes at most 100 names a call: a one-minute bake polls twice (at its start
// and its end), a gate watching 100 alarms asks them in one call a poll, and one more alarm
// makes a second call, never one with no names (which would list every alarm of the account).
func TestGateAsksAlarmsByHundreds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ alarms, calls int }{{100, 2}, {101, 4}} {
		w := simulator.SeedWorld()
		var names []string
		for i := range tc.alarms {
			n := fmt.Sprintf("web-%03d", i)
			names = append(names, n)
			w.Alarms = append(w.Alarms, simulator.Alarm{Name: n, MetricName: "HTTPCode_Target_5XX_Count", Statistic: "Sum", Period: clock.Duration(time.Minute),
				Dimensions: map[string]string{"LoadBalancer": "app/web-alb/0a1b2c3d4e5f6002"}, EvaluationPeriods: 1, Threshold: 1e9,
				ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching"})
		}
		sim := testkit.NewSim(t, w)
		calls := 0
		api := cloud.Intercept(testkit.API(sim), func(ctx context.Context, op string, call func(context.Context) error) error {
			if op == "DescribeAlarms" {
				calls++
			}
			return call(ctx)
		})
		step := plan.Step{ID: "gate.web.batch-1", Kind: plan.Gate, Resource: "fleet web", Reason: "r", DependsOn: []string{}, Gate: &plan.GateParams{
			Fleet: "web", Batch: 1, Checkpoint: 100, Replaced: 1, Total: 1, TargetGroupARN: simulator.SeedTargetGroup,
			LoadBalancerARNs: []string{simulator.SeedALB}, Zones: []string{"ap-northeast-1a"}, Bake: clock.Duration(time.Minute),
			Alarms: names, Version: "1", ImageID: simulator.SeedImage,
		}}
		if _, err := engine.Apply(context.Background(), &plan.Plan{Steps: []plan.Step{step}}, api, engine.Options{Clock: sim.Clock()}); err != nil {
			t.Fatalf("%d alarms: %v", tc.alarms, err)
		}
		if calls != tc.calls {
			t.Errorf("%d alarms: %d DescribeAlarms calls, want %d", tc.alarms, calls, tc.calls)
		}
	}
}
