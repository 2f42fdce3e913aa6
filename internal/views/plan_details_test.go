package views

import (
	"testing"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/plan"
)

// Details names the exact API calls a step makes, with the parameters a reviewer checks
// (docs/plans.md): one case per kind, and the variants that change the sentence.
func TestDetails(t *testing.T) {
	path, matcher, interval, two, onePercent := "/health", "200-299", int32(10), int32(2), 1.0
	launch := &plan.LaunchParams{InstanceType: "t3.small", ImageID: "ami-1", SubnetID: "subnet-1", AZ: "az-a"}
	for _, tc := range []struct {
		name string
		step plan.Step
		want string
	}{
		{"image, reboot", plan.Step{Image: &plan.ImageParams{SourceInstanceID: "i-1", Name: "web-1"}},
			`CreateImage of i-1 named "web-1", rebooting the source`},
		{"image, no reboot", plan.Step{Image: &plan.ImageParams{SourceInstanceID: "i-1", Name: "web-1", NoReboot: true}},
			`CreateImage of i-1 named "web-1", without a reboot`},
		{"validate launch", plan.Step{Kind: plan.ValidateLaunch, Launch: launch},
			"RunInstances with DryRun: t3.small from ami-1 in subnet-1 (az-a), no IAM instance profile"},
		{"launch from an image step, replacing", plan.Step{Kind: plan.LaunchInstance, Launch: &plan.LaunchParams{InstanceType: "t3.small",
			ImageStep: "create_image.web", SubnetID: "subnet-1", AZ: "az-a", IAMProfile: "arn:p", Replaces: "i-old"}},
			"RunInstances t3.small from the image of create_image.web in subnet-1 (az-a), IAM instance profile arn:p, replacing i-old"},
		{"associate", plan.Step{Associate: &plan.AssociateParams{IAMProfile: "arn:p", InstanceID: "i-1"}},
			"AssociateIamInstanceProfile arn:p to i-1"},
		{"stickiness, keys sorted", plan.Step{Stickiness: &plan.StickinessParams{Attributes: map[string]string{"stickiness.type": "lb_cookie", "stickiness.enabled": "true"}}},
			"ModifyTargetGroupAttributes stickiness.enabled=true stickiness.type=lb_cookie"},
		{"zones", plan.Step{Zones: &plan.ZonesParams{SubnetIDs: []string{"subnet-a", "subnet-d"}, AZs: []string{"az-a", "az-d"}}},
			"SetSubnets subnet-a, subnet-d (az-a, az-d)"},
		{"zones removed", plan.Step{Zones: &plan.ZonesParams{SubnetIDs: []string{"subnet-a"}, AZs: []string{"az-a"}, Removed: []string{"az-c"}}},
			"SetSubnets subnet-a (az-a); removes az-c once every kept zone has a healthy target"},
		{"register", plan.Step{Kind: plan.RegisterTarget, Target: &plan.TargetParams{InstanceID: "i-1", Port: 80}},
			"RegisterTargets i-1 port 80, then wait until healthy"},
		{"register a launch, rollback", plan.Step{Kind: plan.RegisterTarget, Target: &plan.TargetParams{InstanceStep: "launch_instance.web.a.1", Port: 8080,
			Rollback: &plan.RollbackParams{HealthTimeout: clock.Duration(10 * time.Minute), Auto: true}}},
			"RegisterTargets the instance of launch_instance.web.a.1 port 8080, then wait until healthy (at most 10m0s; else deregister and terminate it, and stop)"},
		{"register, bounded", plan.Step{Kind: plan.RegisterTarget, Target: &plan.TargetParams{InstanceID: "i-1", Port: 80,
			Rollback: &plan.RollbackParams{HealthTimeout: clock.Duration(5 * time.Minute)}}},
			"RegisterTargets i-1 port 80, then wait until healthy (at most 5m0s; else stop)"},
		{"deregister", plan.Step{Kind: plan.DeregisterTarget, Target: &plan.TargetParams{InstanceID: "i-1", Port: 80}},
			"DeregisterTargets i-1 port 80 (it drains for the deregistration delay)"},
		{"terminate", plan.Step{Terminate: &plan.TerminateParams{InstanceID: "i-1"}}, "TerminateInstances i-1"},
		{"terminate drained", plan.Step{Terminate: &plan.TerminateParams{InstanceID: "i-1", DrainFrom: []plan.TargetRef{{Port: 80}}}},
			"TerminateInstances i-1 once it has drained"},
		{"health check", plan.Step{HealthCheck: &plan.HealthCheckParams{Path: &path, IntervalSeconds: &interval, TimeoutSeconds: &two,
			HealthyThreshold: &two, UnhealthyThreshold: &two, Matcher: &matcher}},
			"ModifyTargetGroup path=/health interval=10s timeout=2s healthy_threshold=2 unhealthy_threshold=2 matcher=200-299"},
		{"wait", plan.Step{Wait: &plan.WaitParams{Duration: clock.Duration(5 * time.Minute)}}, "wait 5m0s"},
		{"gate, alarms", plan.Step{Gate: &plan.GateParams{Bake: clock.Duration(5 * time.Minute), Alarms: []string{"web-5xx", "web-p95"},
			Rollback: plan.GateRollback{Restore: make([]plan.TargetParams, 2), Remove: make([]plan.TargetParams, 1)}}},
			"wait 5m0s while DescribeAlarms web-5xx, web-p95 stay out of ALARM; on a breach RegisterTargets the 2 old member(s) again, " +
				"wait until healthy, then deregister and terminate the 1 new one(s), tag the image rolled back, and stop"},
		{"gate, metrics", plan.Step{Gate: &plan.GateParams{Bake: clock.Duration(5 * time.Minute), Max5xxPercent: &onePercent}},
			"wait 5m0s, then GetMetricData over the bake and the same time before the apply (max_5xx_percent = 1, per zone and in all); " +
				"on a breach RegisterTargets the 0 old member(s) again, wait until healthy, then deregister and terminate the 0 new one(s), tag the image rolled back, and stop"},
		{"gate, relaunch", plan.Step{Gate: &plan.GateParams{Bake: clock.Duration(time.Minute), Alarms: []string{"web-5xx"},
			Rollback: plan.GateRollback{Restore: []plan.TargetParams{}, Relaunch: make([]plan.RelaunchParams, 2), Remove: make([]plan.TargetParams, 2)}}},
			"wait 1m0s while DescribeAlarms web-5xx stay out of ALARM; on a breach RunInstances the 2 terminated old member(s) anew from the image they ran " +
				"and RegisterTargets them, wait until healthy, then deregister and terminate the 2 new one(s), tag the image rolled back, and stop"},
		{"gate, both", plan.Step{Gate: &plan.GateParams{Bake: clock.Duration(time.Minute), Alarms: []string{"web-5xx"},
			Rollback: plan.GateRollback{Restore: make([]plan.TargetParams, 1), Relaunch: make([]plan.RelaunchParams, 1), Remove: make([]plan.TargetParams, 2)}}},
			"wait 1m0s while DescribeAlarms web-5xx stay out of ALARM; on a breach RegisterTargets the 1 old member(s) again, RunInstances the 1 terminated one(s) " +
				"anew from the image they ran and register them, wait until healthy, then deregister and terminate the 2 new one(s), tag the image rolled back, and stop"},
		{"clean-up", plan.Step{Cleanup: &plan.CleanupParams{ImageID: "ami-0old", SnapshotIDs: []string{"snap-1", "snap-2"}}},
			"DeregisterImage ami-0old, then DeleteSnapshot snap-1, snap-2"},
		{"clean-up, no snapshot", plan.Step{Cleanup: &plan.CleanupParams{ImageID: "ami-0old"}}, "DeregisterImage ami-0old"},
		{"no parameters", plan.Step{Kind: "future_kind"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Details(&tc.step); got != tc.want {
				t.Errorf("Details:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
