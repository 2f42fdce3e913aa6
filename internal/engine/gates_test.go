package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
)

// Gates due together share one DescribeAlarms per pass, as waiters on instances share one
// DescribeInstances: two fleets' gates baking at once cost one call per poll, not two; a
// gate naming an alarm the account lacks trips, naming it.
func TestGatesShareOneDescribeAlarms(t *testing.T) {
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
			sim := newSim(t, world())
			var mu sync.Mutex
			calls := 0
			api := cloud.Intercept(apiOf(sim), func(ctx context.Context, op string, call func(context.Context) error) error {
				if op == "DescribeAlarms" {
					mu.Lock()
					calls++
					mu.Unlock()
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
	sim := newSim(t, simulator.SeedWorld())
	bake := func(name string) plan.Step {
		return plan.Step{ID: "create_image." + name, Kind: plan.CreateImage, Resource: "image " + name, Reason: "r", DependsOn: []string{},
			Image: &plan.ImageParams{SourceInstanceID: simulator.SeedInstance, Name: name, NoReboot: true, Tags: map[string]string{"Name": name}}}
	}
	api := apiOf(sim)
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
