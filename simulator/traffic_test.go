package simulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// withSecondTarget returns the seed world with a second running instance in 1d registered
// and healthy in web-tg.
func withSecondTarget(t *testing.T) *Sim {
	t.Helper()
	sim := New(SeedWorld())
	ctx := context.Background()
	out, err := sim.EC2().RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(SeedWorld().Images[0].ID), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: aws.String(subnetIn(t, sim, "ap-northeast-1d")), InstanceType: "t3.small",
	})
	if err != nil {
		t.Fatal(err)
	}
	sim.Clock().Advance(time.Minute)
	id := aws.ToString(out.Instances[0].InstanceId)
	tg := sim.World().TargetGroups[0].ARN
	if _, err := sim.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String(id)}}}); err != nil {
		t.Fatal(err)
	}
	sim.Clock().Advance(5 * time.Minute)
	return sim
}

func subnetIn(t *testing.T, sim *Sim, az string) string {
	for _, s := range sim.World().Subnets {
		if s.AZ == az {
			return s.ID
		}
	}
	t.Fatalf("no subnet in %s", az)
	return ""
}

func setAttr(t *testing.T, sim *Sim, k, v string) {
	t.Helper()
	_, err := sim.ELBV2().ModifyTargetGroupAttributes(context.Background(), &elbv2.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(sim.World().TargetGroups[0].ARN),
		Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String(k), Value: aws.String(v)}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func only(t *testing.T, sim *Sim) Traffic {
	t.Helper()
	tr := sim.Traffic()
	if len(tr) != 1 {
		t.Fatalf("traffic = %+v, want one listener", tr)
	}
	return tr[0]
}

func TestTraffic(t *testing.T) {
	t.Run("one healthy target serves everything", func(t *testing.T) {
		tr := only(t, New(SeedWorld()))
		if tr.Served != 1 || tr.Failed != 0 || tr.SwitchServer != 0 {
			t.Errorf("%+v", tr)
		}
	})
	t.Run("two targets without stickiness switch servers half the time", func(t *testing.T) {
		tr := only(t, withSecondTarget(t))
		if tr.Served != 1 || tr.SwitchServer != 0.5 {
			t.Errorf("%+v", tr)
		}
	})
	t.Run("stickiness keeps clients on their server", func(t *testing.T) {
		sim := withSecondTarget(t)
		setAttr(t, sim, "stickiness.enabled", "true")
		if tr := only(t, sim); tr.SwitchServer != 0 {
			t.Errorf("%+v", tr)
		}
	})
	t.Run("cross-zone off: an enabled zone without a healthy target fails its share", func(t *testing.T) {
		sim := withSecondTarget(t) // targets in 1a and 1d; the ALB is also in 1c
		setAttr(t, sim, "load_balancing.cross_zone.enabled", "false")
		tr := only(t, sim)
		if tr.Failed < 0.33 || tr.Failed > 0.34 || tr.Why == "" {
			t.Errorf("%+v, want a third failed (1c's node)", tr)
		}
	})
	t.Run("the only target rebooting for an image is an outage, until it is up", func(t *testing.T) {
		sim := New(SeedWorld())
		w := sim.World()
		if _, err := sim.EC2().CreateImage(context.Background(), &ec2.CreateImageInput{InstanceId: aws.String(w.Instances[0].ID), Name: aws.String("web-new")}); err != nil {
			t.Fatal(err)
		}
		if tr := only(t, sim); tr.Failed != 1 {
			t.Errorf("during the reboot: %+v", tr)
		}
		sim.Clock().Advance(Reboot)
		// Still not healthy (initial checks), but the ALB fails open to it and it answers.
		if tr := only(t, sim); tr.Served != 1 {
			t.Errorf("after the reboot: %+v", tr)
		}
	})
}
