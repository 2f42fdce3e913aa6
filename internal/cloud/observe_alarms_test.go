package cloud_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// Observe reads the alarms the rollouts' gates name, by name, a hundred a call: the names
// CloudWatch lists go in World.Alarms, the others in Missing; without gates it asks nothing,
// and with gates but no CloudWatch client it says what it cannot read.
func TestObserveReadsTheAlarmsTheGatesName(t *testing.T) {
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	w := simulator.SeedWorld()
	for _, n := range []string{"web-5xx", "web-latency", "other"} {
		w.Alarms = append(w.Alarms, simulator.Alarm{Name: n, MetricName: "RequestCount", Statistic: "Sum", Period: clock.Duration(time.Minute),
			EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching"})
	}
	sim := simulator.New(w)
	api := cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM(), CW: sim.CloudWatch()}

	got, err := cloud.Observe(context.Background(), api, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	if got.AlarmsRead || got.Alarms != nil || sim.Calls()["DescribeAlarms"] != 0 {
		t.Fatalf("no gates: alarms read %v %v, %d DescribeAlarms", got.AlarmsRead, got.Alarms, sim.Calls()["DescribeAlarms"])
	}

	names := []string{"web-latency", "web-5xx", "nope"}
	for i := range 150 { // past one call's hundred names
		names = append(names, "absent-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	s.Fleets[0].Rollout.Gates.Alarms = names
	sim.ResetCalls()
	got, err = cloud.Observe(context.Background(), api, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	if !got.AlarmsRead || !slices.Equal(got.Alarms, []string{"web-5xx", "web-latency"}) {
		t.Errorf("alarms %v (read %v), want web-5xx and web-latency", got.Alarms, got.AlarmsRead)
	}
	if !slices.Contains(got.Missing, "alarm nope") || slices.Contains(got.Missing, "alarm web-5xx") {
		t.Errorf("missing %v, want alarm nope and not web-5xx", got.Missing)
	}
	if n := sim.Calls()["DescribeAlarms"]; n != 2 {
		t.Errorf("%d DescribeAlarms for %d names, want 2", n, len(names))
	}
	// The names survive a world file's round trip.
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back cloud.World
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Alarms, got.Alarms) || !back.AlarmsRead {
		t.Errorf("after JSON: %v %v", back.Alarms, back.AlarmsRead)
	}

	api.CW = nil
	if _, err := cloud.Observe(context.Background(), api, plan.QueryOf(s)); err == nil || !strings.Contains(err.Error(), "no CloudWatch client") {
		t.Errorf("observe without CloudWatch: %v", err)
	}
}
