package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// virtualClock moves only when the engine sleeps: moto has no time, and a bake of minutes
// would otherwise be waited on the wall clock.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

// alarmSwitch is the CloudWatch of this test: moto serves CloudWatch's Query and JSON
// protocols but not the RPC v2 CBOR protocol aws-sdk-go-v2/service/cloudwatch speaks
// (https://github.com/getmoto/moto/issues/9195), so the alarm's state comes from here while
// EC2 and ELBv2 are moto's. DescribeAlarms answers the alarm in ALARM once tripped is set.
type alarmSwitch struct {
	mu      sync.Mutex
	tripped bool
	calls   int
}

func (a *alarmSwitch) DescribeAlarms(_ context.Context, in *cw.DescribeAlarmsInput, _ ...func(*cw.Options)) (*cw.DescribeAlarmsOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	state, reason := cwtypes.StateValueOk, "Threshold Crossed: no datapoint above 10"
	if a.tripped {
		state, reason = cwtypes.StateValueAlarm, "Threshold Crossed: 2 out of the last 2 datapoints were greater than the threshold (10)"
	}
	var out []cwtypes.MetricAlarm
	for _, n := range in.AlarmNames {
		if n == "web-5xx" {
			out = append(out, cwtypes.MetricAlarm{AlarmName: aws.String(n), StateValue: state, StateReason: aws.String(reason), StateUpdatedTimestamp: aws.Time(time.Unix(0, 0))})
		}
	}
	return &cw.DescribeAlarmsOutput{MetricAlarms: out}, nil
}

func (a *alarmSwitch) GetMetricData(context.Context, *cw.GetMetricDataInput, ...func(*cw.Options)) (*cw.GetMetricDataOutput, error) {
	return nil, errors.New("this test's gates read no metrics")
}

// TestMotoGateRollsBackMidRollout rolls a four-member fleet onto a new version against moto's
// EC2 and ELBv2, with a gate on the alarm web-5xx at every checkpoint. When the first gate
// starts baking, the alarm goes to ALARM: the old member goes back in service through moto's
// RegisterTargets, the new one is deregistered and terminated, the image is tagged rolled back
// (CreateTags), apply fails naming the alarm, and a re-plan warns. This checks the rollback's
// requests against moto; metrics, alarm evaluation and timing are checked on the simulator
// (scenarios/).
func TestMotoGateRollsBackMidRollout(t *testing.T) {
	m := newMoto(t)
	m.seed(t, simulator.SeedWorld())
	alarms := &alarmSwitch{}
	api := m.api()
	api.CW = alarms
	dir := gatedBlog(t)
	at := func(version string) *specs.Stack {
		s, _, diags := specs.Load(dir, specs.Options{Vars: []string{"app_version=" + version}})
		if diags.HasErrors() {
			t.Fatalf("load: %v", diags)
		}
		return s
	}
	testkit.Converge(t, "moto", api, clock.Wall{}, at("2023-05-14"))
	before := liveByVersion(t, api)
	ctx := context.Background()

	v2 := at("2024-01-01")
	p := build(t, v2, observe(t, api, v2))
	if n := countKind(p, plan.Gate); n != 3 {
		t.Fatalf("%d gates, want 3:\n%s", n, testkit.Steps(p))
	}
	clock := &virtualClock{now: time.Now().UTC()}
	res, err := engine.Apply(ctx, p, api, engine.Options{Clock: clock, Events: func(e engine.Event) {
		if e.Type == engine.EventStarted && e.Step == "gate.web.batch-1" {
			alarms.mu.Lock()
			alarms.tripped = true
			alarms.mu.Unlock()
		}
	}})
	if !errors.Is(err, engine.ErrGateTripped) || !strings.Contains(err.Error(), "alarm web-5xx") || !strings.Contains(err.Error(), "checkpoint 25%") {
		t.Fatalf("apply: %v, want the gate on web-5xx to trip at 25%% (done %v)", err, res.Done)
	}
	after := liveByVersion(t, api)
	if len(after["2024-01-01"]) != 0 || len(after["2023-05-14"]) != len(before["2023-05-14"]) {
		t.Errorf("live instances by version after the rollback: %v, want the old fleet %v", after, before)
	}
	// The old members serve again: all registered in web-tg, and nothing else.
	tgs, err := api.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"web-tg"}})
	if err != nil {
		t.Fatal(err)
	}
	th, err := api.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tgs.TargetGroups[0].TargetGroupArn})
	if err != nil {
		t.Fatal(err)
	}
	var registered []string
	for _, d := range th.TargetHealthDescriptions {
		if d.TargetHealth == nil || d.TargetHealth.State != "draining" {
			registered = append(registered, aws.ToString(d.Target.Id))
		}
	}
	want := append(append([]string{}, before["2023-05-14"]...), before[""]...)
	slices.Sort(registered)
	slices.Sort(want)
	if !slices.Equal(registered, want) {
		t.Errorf("registered in web-tg after the rollback: %v, want the old fleet %v", registered, want)
	}
	images, err := api.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	tagged := false
	for _, im := range images.Images {
		if aws.ToString(im.Name) == "web-2024-01-01" {
			tagged = strings.Contains(cloud.TagMap(im.Tags)[cloud.TagRolledBack], "alarm web-5xx")
		}
	}
	if !tagged {
		t.Errorf("image web-2024-01-01 does not carry %s naming the alarm", cloud.TagRolledBack)
	}
	if w := strings.Join(build(t, v2, observe(t, api, v2)).Warnings, "\n"); !strings.Contains(w, "was rolled back by a gate") {
		t.Errorf("re-plan does not warn of the rollback:\n%s", w)
	}
}

// gatedBlog is the blog example with four members and a rollout gated on web-5xx.
func gatedBlog(t *testing.T) string {
	t.Helper()
	dir := blogWithZones(t, "ap-northeast-1a=2", "ap-northeast-1d=2")
	path := filepath.Join(dir, "alb.hcl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	end := strings.LastIndex(src, "\n}")
	src = src[:end] + `
  rollout {
    bake_time   = "1m"
    checkpoints = [25, 50, 100]
    keep_old    = "until_done"
    alarms      = ["web-5xx"]
  }
}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
