package simulator

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/clock"
)

func TestThrottle(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	b, _ := SeedWorld().Marshal()
	b = bytes.Replace(b, []byte(`  "target_groups"`), []byte(`  "faults": {"throttle": {"RunInstances": 1}},
  "target_groups"`), 1)
	w, err := ParseWorld(b)
	if err != nil {
		t.Fatal(err)
	}
	s := New(w, checkRoundTrips(t))
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
	t.Parallel()
	const delay = 2 * time.Minute
	s := seedSim(t, WithFaults(Faults{InstanceVisibilityDelay: clock.Duration(delay)}))
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
	t.Parallel()
	const delay = 10 * time.Second
	s := seedSim(t, WithFaults(Faults{ProfilePropagationDelay: clock.Duration(delay)}))
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
	s2 := seedSim(t, WithFaults(Faults{ProfilePropagationDelay: clock.Duration(delay)}))
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
	t.Parallel()
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

func TestThrottleRate(t *testing.T) {
	t.Parallel()
	run := func() (throttled []int) {
		s := seedSim(t, WithFaults(Faults{ThrottleRates: []ThrottleRate{{Operation: "*", Rate: 0.3, Window: Window{Until: clock.Duration(2 * time.Minute)}}}}))
		for i := range 200 {
			if _, err := s.EC2().DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
				wantCode(t, err, "RequestLimitExceeded")
				throttled = append(throttled, i)
			}
		}
		_, err := s.ELBV2().DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
		for err != nil {
			wantCode(t, err, "Throttling")
			_, err = s.ELBV2().DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
		}
		advance(s, 2*time.Minute) // the window closes
		for range 50 {
			if _, err := s.EC2().DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
				t.Fatalf("throttled after the window: %v", err)
			}
		}
		return throttled
	}
	a := run()
	if len(a) < 40 || len(a) > 80 {
		t.Fatalf("%d of 200 throttled, want about 60", len(a))
	}
	if b := run(); !slices.Equal(a, b) {
		t.Fatal("the same calls are throttled differently")
	}
	// A rate for one operation leaves the others alone; from delays the start.
	s := seedSim(t, WithFaults(Faults{ThrottleRates: []ThrottleRate{{Operation: "RunInstances", Rate: 1, Window: Window{From: clock.Duration(time.Minute)}}}}))
	launch(t, s, SeedSubnet1a)
	advance(s, time.Minute)
	_, err := s.EC2().RunInstances(ctx, runInput(SeedSubnet1a))
	wantCode(t, err, "RequestLimitExceeded")
	if _, err := s.EC2().DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestCapacityFaultWindow(t *testing.T) {
	t.Parallel()
	s := seedSim(t, WithFaults(Faults{Capacity: []CapacityFault{{AZ: "ap-northeast-1d", InstanceTypes: []string{"t3.small"}, Window: Window{Until: clock.Duration(10 * time.Minute)}}}}))
	_, err := s.EC2().RunInstances(ctx, runInput(SeedSubnet1d))
	wantCode(t, err, "InsufficientInstanceCapacity")
	launch(t, s, SeedSubnet1a) // another zone has capacity
	advance(s, 10*time.Minute)
	launch(t, s, SeedSubnet1d)
}

func TestImageFailureFault(t *testing.T) {
	t.Parallel()
	s := seedSim(t, WithFaults(Faults{ImageFailures: []ImageFault{{NameGlob: "web-*", Window: Window{Until: clock.Duration(time.Hour)}}}}))
	out, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-2"), NoReboot: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("api-2"), NoReboot: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	advance(s, 10*time.Minute)
	im, _ := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(out.ImageId)}})
	if got := im.Images[0]; got.State != "failed" || aws.ToString(got.StateReason.Code) != "Server.InternalError" {
		t.Fatalf("%s %+v", got.State, got.StateReason)
	}
	if got := imageState(t, s, aws.ToString(other.ImageId)); got != "available" {
		t.Fatalf("an image the glob does not match: %s", got)
	}
}

func TestSlowHealthFault(t *testing.T) {
	t.Parallel()
	s := seedSim(t, WithFaults(Faults{SlowHealth: []SlowHealth{{BootTime: clock.Duration(3 * time.Minute), Window: Window{Until: clock.Duration(time.Minute)}}}}))
	slow := launch(t, s, SeedSubnet1a)
	advance(s, time.Minute)
	fast := launch(t, s, SeedSubnet1a) // after the window
	advance(s, time.Minute)
	register(t, s, slow)
	register(t, s, fast)
	advance(s, 50*time.Second)
	if got := healthOf(t, s, fast); got != "healthy" {
		t.Fatalf("fast: %s", got)
	}
	if got := healthOf(t, s, slow); got != "initial/Elb.InitialHealthChecking" {
		t.Fatalf("slow: %s", got)
	}
	advance(s, 30*time.Second)
	if got := healthOf(t, s, slow); got != "unhealthy/Target.Timeout" {
		t.Fatalf("slow after two checks: %s", got)
	}
}

func TestLoadFaults(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "faults.json")
	os.WriteFile(path, []byte(`{
  "throttle": {"DescribeSubnets": 1},
  "throttle_rates": [{"operation": "DescribeVpcs", "rate": 1, "until": "1m"}],
  "capacity": [{"az": "ap-northeast-1d", "from": "0s", "until": "5m"}],
  "instance_visibility_delay": "5s"
}`), 0o644)
	f, err := LoadFaults(path)
	if err != nil {
		t.Fatal(err)
	}
	s := seedSim(t, WithFaults(f))
	_, err = s.EC2().DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	wantCode(t, err, "RequestLimitExceeded")
	_, err = s.EC2().DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "RequestLimitExceeded")
	_, err = s.EC2().RunInstances(ctx, runInput(SeedSubnet1d))
	wantCode(t, err, "InsufficientInstanceCapacity")
	if since := s.World().Faults.Since; !since.Equal(SeedWorld().Now) {
		t.Fatalf("windows anchored at %v, want the world's clock", since)
	}
	advance(s, 5*time.Minute)
	launch(t, s, SeedSubnet1d)

	for _, bad := range []struct{ data, want string }{
		{`{"throttle_rates": [{"operation": "Nope", "rate": 0.5}]}`, `unknown operation "Nope"`},
		{`{"throttle_rates": [{"rate": 1.5}]}`, "rate 1.5 is not between 0 and 1"},
		{`{"capacity": [{"az": "x", "from": "5m", "until": "1m"}]}`, "until 1m0s is not after from 5m0s"},
		{`{"slow_health": [{"boot_time": "0s"}]}`, "boot_time must be positive"},
		{"{\n  \"throttel\": {}\n}", "unknown field"},
		{"{\n  \"capacity\": 3\n}", "line 2, column"},
	} {
		os.WriteFile(path, []byte(bad.data), 0o644)
		if _, err := LoadFaults(path); err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want %q and the path", bad.data, err, bad.want)
		}
	}
}
