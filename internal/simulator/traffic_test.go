package simulator

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// reachableSeed is the seed world with web-sg admitting HTTP from all three load balancer
// subnets, so that no node is cut off.
func reachableSeed() *World {
	w := SeedWorld()
	for i := range w.SecurityGroups {
		if w.SecurityGroups[i].ID == SeedWebSG {
			(*w.SecurityGroups[i].Ingress)[0].CIDRs = append((*w.SecurityGroups[i].Ingress)[0].CIDRs, "10.0.2.0/24")
		}
	}
	w.normalize()
	return w
}

// withSecondTarget returns the (reachable) seed world with a second running instance in 1d,
// in web-sg, registered and healthy in web-tg.
func withSecondTarget(t *testing.T) *Sim {
	t.Helper()
	return secondTarget(t, New(reachableSeed()))
}

func secondTarget(t *testing.T, sim *Sim) *Sim {
	t.Helper()
	ctx := context.Background()
	out, err := sim.EC2().RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(SeedWorld().Images[0].ID), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: aws.String(subnetIn(t, sim, "ap-northeast-1d")), InstanceType: "t3.small",
		SecurityGroupIds: []string{SeedWebSG},
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
	t.Parallel()
	t.Run("one healthy target serves everything", func(t *testing.T) {
		tr := only(t, New(reachableSeed()))
		if tr.Served != 1 || tr.Failed != 0 || tr.SwitchServer != 0 || tr.Sessions != "local" {
			t.Errorf("%+v", tr)
		}
	})
	t.Run("the seed: the 1c node cannot reach the target, 504 for its third", func(t *testing.T) {
		tr := only(t, New(SeedWorld()))
		if tr.Status504 != 0.333333 || tr.Failed != 0.333333 || tr.Served != 0.666667 ||
			!strings.Contains(tr.Why, "admits no TCP 80 from 10.0.2.0/24 (the load balancer node in ap-northeast-1c)") {
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
	t.Run("cross-zone off: a zone without a healthy target is out of DNS", func(t *testing.T) {
		sim := withSecondTarget(t) // targets in 1a and 1d; the ALB is also in 1c
		setAttr(t, sim, "load_balancing.cross_zone.enabled", "false")
		tr := only(t, sim)
		if tr.Failed != 0 || tr.Served != 1 || !strings.Contains(tr.Why, "ap-northeast-1c is out of DNS") {
			t.Errorf("%+v, want 1c out of DNS and everything served", tr)
		}
	})
	t.Run("the only target rebooting for an image is an outage, until it is up", func(t *testing.T) {
		sim := New(reachableSeed())
		w := sim.World()
		if _, err := sim.EC2().CreateImage(context.Background(), &ec2.CreateImageInput{InstanceId: aws.String(w.Instances[0].ID), Name: aws.String("web-new")}); err != nil {
			t.Fatal(err)
		}
		if tr := only(t, sim); tr.Failed != 1 || tr.Status504 != 1 {
			t.Errorf("during the reboot: %+v", tr)
		}
		sim.Clock().Advance(Reboot)
		// Still not healthy (initial checks), but the ALB fails open to it and it answers.
		if tr := only(t, sim); tr.Served != 1 {
			t.Errorf("after the reboot: %+v", tr)
		}
	})
}
