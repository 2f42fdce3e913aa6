package simulator

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

func TestThrottle(t *testing.T) {
	s := seedSim(t, WithFaults(Faults{Throttle: map[string]int{"DescribeInstances": 2, "DescribeTargetHealth": 1}}))
	for i := range 2 {
		_, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
		wantCode(t, err, "RequestLimitExceeded")
		wantMessage(t, err, "Request limit exceeded.")
		if i == 0 && s.World().Faults.Throttle["DescribeInstances"] != 1 {
			t.Fatalf("consumed throttle not taken off the world: %v", s.World().Faults.Throttle)
		}
	}
	if _, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatalf("third call: %v", err)
	}
	_, err := s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(SeedTargetGroup)})
	wantCode(t, err, "Throttling")
	wantMessage(t, err, "Rate exceeded")
	if got := healthOf(t, s, SeedInstance); got != "healthy" {
		t.Fatal(got)
	}
	if f := s.World().Faults; f.Throttle != nil {
		t.Fatalf("throttles left: %v", f.Throttle)
	}
	calls := s.Calls()
	if calls["DescribeInstances"] != 3 || calls["DescribeTargetHealth"] != 2 {
		t.Fatalf("calls %v: failed calls must count", calls)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 {
		t.Fatal("ResetCalls")
	}
}

func TestThrottleFromWorldFile(t *testing.T) {
	b, _ := SeedWorld().Marshal()
	b = bytes.Replace(b, []byte(`  "target_groups"`), []byte(`  "faults": {"throttle": {"RunInstances": 1}},
  "target_groups"`), 1)
	w, err := ParseWorld(b)
	if err != nil {
		t.Fatal(err)
	}
	s := New(w)
	_, err = s.EC2().RunInstances(ctx, runInput(SeedSubnet1a))
	wantCode(t, err, "RequestLimitExceeded")
	if _, err := s.EC2().RunInstances(ctx, runInput(SeedSubnet1a)); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(b, []byte(`"RunInstances": 1`), []byte(`"RunInstance": 1`), 1)
	if _, err := ParseWorld(bad); err == nil || !strings.Contains(err.Error(), "RunInstance") {
		t.Fatalf("unknown operation in faults: %v", err)
	}
}

func TestInstanceVisibilityDelay(t *testing.T) {
	const delay = 2 * time.Minute
	s := seedSim(t, WithFaults(Faults{InstanceVisibilityDelay: Duration(delay)}))
	id := launch(t, s, SeedSubnet1d)
	_, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	all, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("instance-id", id)}})
	if err != nil || len(all.Reservations) != 0 {
		t.Fatalf("filtered describe shows the new instance: %v %v", all, err)
	}
	_, err = s.EC2().CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []ec2types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	advance(s, time.Minute) // running now, still invisible
	_, err = s.EC2().AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(id),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("web-app")}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	_, err = s.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targetsOfIDs(id)})
	wantCode(t, err, "InvalidTarget")
	_, err = s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	advance(s, time.Minute)
	if got := instanceState(t, s, id); got != "running" {
		t.Fatal(got)
	}
	register(t, s, id)
}

func TestProfilePropagationDelay(t *testing.T) {
	const delay = 10 * time.Second
	s := seedSim(t, WithFaults(Faults{ProfilePropagationDelay: Duration(delay)}))
	arn := s.CreateInstanceProfile("web-worker")
	if arn != "arn:aws:iam::123456789012:instance-profile/web-worker" {
		t.Fatalf("arn %s", arn)
	}
	in := runInput(SeedSubnet1a)
	in.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Name: aws.String("web-worker")}
	_, err := s.EC2().RunInstances(ctx, in)
	wantCode(t, err, "InvalidParameterValue")
	wantMessage(t, err, "Value (web-worker) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
	// The seed's old profile is known.
	old := runInput(SeedSubnet1a)
	old.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Arn: aws.String(SeedProfileARN)}
	if _, err := s.EC2().RunInstances(ctx, old); err != nil {
		t.Fatal(err)
	}
	advance(s, delay-time.Second)
	_, err = s.EC2().RunInstances(ctx, in)
	wantCode(t, err, "InvalidParameterValue")
	advance(s, time.Second)
	out, err := s.EC2().RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Instances[0].IamInstanceProfile; p == nil || aws.ToString(p.Arn) != arn {
		t.Fatalf("profile %+v", p)
	}
	// AssociateIamInstanceProfile waits for propagation too.
	s2 := seedSim(t, WithFaults(Faults{ProfilePropagationDelay: Duration(delay)}))
	id := running(t, s2, SeedSubnet1c)
	s2.CreateInstanceProfile("web-worker")
	_, err = s2.EC2().AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(id),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("web-worker")}})
	wantCode(t, err, "InvalidParameterValue")
	advance(s2, delay)
	_, err = s2.EC2().AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(id),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("web-worker")}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCallsCounted(t *testing.T) {
	s := seedSim(t)
	s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"bad"}})
	s.EC2().DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	s.ELBV2().SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String("nope")})
	s.CreateInstanceProfile("x")
	got := s.Calls()
	if len(got) != 3 || got["DescribeInstances"] != 1 || got["DescribeSubnets"] != 1 || got["SetSubnets"] != 1 {
		t.Fatalf("calls %v", got)
	}
}
