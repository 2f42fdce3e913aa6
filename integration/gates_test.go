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

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// virtualClock moves only when the engine sleeps: moto has no time (instances run, images
// are available and targets leave at once), and a bake, a deregistration delay or a poll
// schedule of minutes would otherwise be waited on the wall clock. Every apply against moto
// runs on one, so no test sleeps for real (docs/testing.md).
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// nextBakeSecond waits for the wall clock's next second before a test bakes another image:
// moto stamps an image's CreationDate to the second, and image.keep keeps the newest images by
// it, so two bakes in one second (which the virtual clock allows and AWS, whose bakes take
// minutes, does not) would tie, and the tie would retire an arbitrary one of them.
func nextBakeSecond() {
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
}

// motoClock is a virtual clock that starts at the wall clock's now.
func motoClock() *virtualClock { return &virtualClock{now: time.Now().UTC()} }

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

// setAlarm puts moto's alarm web-5xx in state (SetAlarmState): moto evaluates no alarm, so
// the test decides when it goes off, as the metric would on AWS.
func setAlarm(t *testing.T, c *cw.Client, state cwtypes.StateValue, reason string) {
	t.Helper()
	_, err := c.SetAlarmState(context.Background(), &cw.SetAlarmStateInput{AlarmName: aws.String("web-5xx"), StateValue: state, StateReason: aws.String(reason)})
	if err != nil {
		t.Errorf("SetAlarmState %s: %v", state, err)
	}
}

// putAlarm creates the alarm web-5xx in moto's CloudWatch, in state OK.
func putAlarm(t *testing.T, c *cw.Client) {
	t.Helper()
	_, err := c.PutMetricAlarm(context.Background(), &cw.PutMetricAlarmInput{
		AlarmName: aws.String("web-5xx"), Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("HTTPCode_Target_5XX_Count"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(2), Threshold: aws.Float64(10),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	})
	if err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	setAlarm(t, c, cwtypes.StateValueOk, "no 5xx")
}

// TestMotoGateRollsBackMidRollout rolls a four-member fleet onto a new version against moto's
// EC2, ELBv2 and CloudWatch, with a gate on the alarm web-5xx at every checkpoint. When the
// first gate starts baking, the alarm goes to ALARM (SetAlarmState): the old member goes
// back in service through moto's RegisterTargets, the new one is deregistered and
// terminated, the image is tagged rolled back (CreateTags), apply fails naming the alarm, and
// a re-plan warns. Once the alarm is OK again, applying the re-plan resumes the rollout and
// completes it. Metrics, alarm evaluation and timing are checked on the simulator
// (scenarios/).
func TestMotoGateRollsBackMidRollout(t *testing.T) {
	t.Run("keep_old", func(t *testing.T) { motoGateRollsBack(t, true) })
	// Without keep_old the old member is terminated once drained; the rollback relaunches it
	// from its image (RunInstances with the plan's ClientToken) or, still draining, registers
	// it again (docs/plans.md, "Rollback without keep_old").
	t.Run("relaunch", func(t *testing.T) { motoGateRollsBack(t, false) })
}

func motoGateRollsBack(t *testing.T, keepOld bool) {
	m := newMoto(t)
	m.seed(t, simulator.SeedWorld())
	api := m.api()
	alarms := m.cw
	api.CW = alarms
	putAlarm(t, alarms)
	dir := gatedBlog(t, keepOld)
	at := func(version string) *specs.Stack {
		s, _, diags := specs.Load(dir, specs.Options{Vars: []string{"app_version=" + version}})
		if diags.HasErrors() {
			t.Fatalf("load: %v", diags)
		}
		return s
	}
	testkit.Converge(t, "moto", api, motoClock(), at("2023-05-14"))
	before := liveByVersion(t, api)
	ctx := context.Background()

	nextBakeSecond()
	v2 := at("2024-01-01")
	p := build(t, v2, observe(t, api, v2))
	if n := countKind(p, plan.Gate); n != 3 {
		t.Fatalf("%d gates, want 3:\n%s", n, testkit.Steps(p))
	}
	clock := motoClock()
	// With keep_old the alarm goes off at the first checkpoint; without, at the last, when
	// the first two old members have drained and been terminated (relaunched) and the third
	// still drains (registered again).
	tripAt, checkpoint, want := "gate.web.batch-1", "checkpoint 25%", "rolled back to the previous image: registered"
	if !keepOld {
		tripAt, checkpoint, want = "gate.web.batch-3", "checkpoint 100%", "again and relaunched i-"
	}
	res, err := engine.Apply(ctx, p, api, engine.Options{Clock: clock, Events: func(e engine.Event) {
		if e.Type == engine.EventStarted && e.Step == tripAt {
			setAlarm(t, alarms, cwtypes.StateValueAlarm, "Threshold Crossed: 2 out of the last 2 datapoints were greater than the threshold (10)")
		}
	}})
	if !errors.Is(err, engine.ErrGateTripped) || !strings.Contains(err.Error(), "alarm web-5xx") || !strings.Contains(err.Error(), checkpoint) || !strings.Contains(err.Error(), want) {
		t.Fatalf("apply: %v, want the gate on web-5xx to trip at %s, %s (done %v)", err, checkpoint, want, res.Done)
	}
	after := liveByVersion(t, api)
	if len(after["2024-01-01"]) != 0 || len(after["2023-05-14"]) != len(before["2023-05-14"]) {
		t.Errorf("live instances by version after the rollback: %v, want the old fleet %v", after, before)
	}
	checkServesTheOldFleet(t, api, append(append([]string{}, after["2023-05-14"]...), before[""]...))
	checkTaggedRolledBack(t, api, "web-2024-01-01", "alarm web-5xx")
	again := build(t, v2, observe(t, api, v2))
	if w := strings.Join(again.Warnings, "\n"); !strings.Contains(w, "was rolled back by a gate") {
		t.Errorf("re-plan does not warn of the rollback:\n%s", w)
	}
	// The alarm clears: applying again resumes the rollout, through every gate.
	setAlarm(t, alarms, cwtypes.StateValueOk, "back to normal")
	if _, err := engine.Apply(ctx, again, api, engine.Options{Clock: clock}); err != nil {
		t.Fatalf("apply once the alarm is OK: %v", err)
	}
	done := liveByVersion(t, api)
	if len(done["2023-05-14"]) != 0 || len(done["2024-01-01"]) != len(before["2023-05-14"]) {
		t.Errorf("live instances by version after the second apply: %v, want every member on 2024-01-01", done)
	}
}

// checkServesTheOldFleet: after a rollback the old members serve again, all registered in
// web-tg (draining ones aside), and nothing else.
func checkServesTheOldFleet(t *testing.T, api cloud.API, old []string) {
	t.Helper()
	ctx := context.Background()
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
	slices.Sort(registered)
	slices.Sort(old)
	if !slices.Equal(registered, old) {
		t.Errorf("registered in web-tg after the rollback: %v, want the old fleet %v", registered, old)
	}
}

// checkTaggedRolledBack: the image rolled back carries the rolled-back tag naming the gate.
func checkTaggedRolledBack(t *testing.T, api cloud.API, name, gate string) {
	t.Helper()
	images, err := api.EC2.DescribeImages(context.Background(), &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	tagged := false
	for _, im := range images.Images {
		if aws.ToString(im.Name) == name {
			tagged = strings.Contains(cloud.TagMap(im.Tags)[cloud.TagRolledBack], gate)
		}
	}
	if !tagged {
		t.Errorf("image %s does not carry %s naming %s", name, cloud.TagRolledBack, gate)
	}
}

// gatedBlog is the blog example with four members and a rollout gated on web-5xx, keeping its
// old members until done or not.
func gatedBlog(t *testing.T, keepOld bool) string {
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
    keep_old    = "KEEP"
    alarms      = ["web-5xx"]
  }
}
`
	if keepOld {
		src = strings.Replace(src, "KEEP", "until_done", 1)
	} else {
		src = strings.Replace(src, "KEEP", "none", 1)
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
