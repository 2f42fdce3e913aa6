package simulator

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/clock"
)

// step is "after advancing by, the target's health is want".
type step struct {
	by   time.Duration
	want string
}

func expectHealth(t *testing.T, s *Sim, id string, steps []step) {
	t.Helper()
	var at time.Duration
	for _, st := range steps {
		advance(s, st.by)
		at += st.by
		if got := healthOf(t, s, id); got != st.want {
			t.Fatalf("at +%v: %s, want %s", at, got, st.want)
		}
	}
}

// running launches an instance in subnet and waits until it runs.
func running(t *testing.T, s *Sim, subnet string) string {
	t.Helper()
	id := launch(t, s, subnet)
	advance(s, InstancePending+InstanceJitter)
	if st := instanceState(t, s, id); st != "running" {
		t.Fatalf("%s after 45s", st)
	}
	return id
}

func TestNewTargetBecomesHealthy(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	id := running(t, s, SeedSubnet1d)
	register(t, s, id)
	expectHealth(t, s, id, []step{
		{0, "initial/Elb.RegistrationInProgress"},
		{RegistrationInProgress - time.Second, "initial/Elb.RegistrationInProgress"},
		{time.Second, "initial/Elb.InitialHealthChecking"},
		{30*time.Second - time.Second, "initial/Elb.InitialHealthChecking"},
		{time.Second, "healthy"}, // one passing check, an interval after registration
	})
}

func TestHealthFollowsHealthCheckSettings(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.TargetGroups[0].HealthCheck.Interval = clock.Duration(10 * time.Second)
	w.TargetGroups[0].HealthCheck.HealthyThreshold = 3
	s := New(w, checkRoundTrips(t))
	id := running(t, s, SeedSubnet1d)
	register(t, s, id)
	expectHealth(t, s, id, []step{{19 * time.Second, "initial/Elb.InitialHealthChecking"}, {time.Second, "healthy"}})
}

func TestTargetInDisabledZone(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	id := running(t, s, SeedSubnet1c)
	_, err := s.ELBV2().SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(SeedALB), Subnets: []string{SeedSubnet1a, SeedSubnet1d}})
	if err != nil {
		t.Fatal(err)
	}
	register(t, s, id)
	expectHealth(t, s, id, []step{{0, "unused/Target.NotInUse"}, {time.Hour, "unused/Target.NotInUse"}})
	// Enabling the zone starts health checks from then.
	_, err = s.ELBV2().SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(SeedALB), Subnets: []string{SeedSubnet1a, SeedSubnet1c, SeedSubnet1d}})
	if err != nil {
		t.Fatal(err)
	}
	expectHealth(t, s, id, []step{
		{0, "initial/Elb.RegistrationInProgress"},
		{39 * time.Second, "initial/Elb.InitialHealthChecking"},
		{time.Second, "healthy"},
	})
	// Disabling it again leaves the target registered but unused.
	_, err = s.ELBV2().SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(SeedALB), Subnets: []string{SeedSubnet1a, SeedSubnet1d}})
	if err != nil {
		t.Fatal(err)
	}
	expectHealth(t, s, id, []step{{0, "unused/Target.NotInUse"}})
	// The seed target keeps its health: its zone stayed enabled.
	if got := healthOf(t, s, SeedInstance); got != "healthy" {
		t.Fatalf("seed target: %s", got)
	}
}

func TestTargetGroupWithoutListener(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.Listeners = nil
	s := New(w, checkRoundTrips(t))
	if got := healthOf(t, s, SeedInstance); got != "unused/Target.NotInUse" {
		t.Fatalf("%s", got)
	}
}

func TestTargetOfStoppedOrTerminatedInstance(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.Instances[0].State = "stopped"
	s := New(w, checkRoundTrips(t))
	if got := healthOf(t, s, SeedInstance); got != "unused/Target.InvalidState" {
		t.Fatalf("stopped: %s", got)
	}
	// AWS deregisters a terminated instance's targets: they drain, then are gone.
	s = seedSim(t)
	s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{SeedInstance}})
	expectHealth(t, s, SeedInstance, []step{
		{0, "draining/Target.DeregistrationInProgress"},
		{300*time.Second - time.Second, "draining/Target.DeregistrationInProgress"},
		{time.Second, "unused/Target.NotRegistered"},
	})
}

func TestCreateImageRebootIsAnOutage(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	_, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-2023-05-14")})
	if err != nil {
		t.Fatal(err)
	}
	// The seed target's checks fall at :10 and :40 past each minute; the reboot runs from
	// 09:00:00 to 09:01:00. It stays healthy until its second failed check (09:00:40), and
	// needs five passing checks after the reboot (09:01:10 ... 09:03:10) to return.
	expectHealth(t, s, SeedInstance, []step{
		{0, "healthy"},
		{39 * time.Second, "healthy"},
		{time.Second, "unhealthy/Target.Timeout"},
		{149 * time.Second, "unhealthy/Target.Timeout"},
		{time.Second, "healthy"},
	})
	// The instance stays "running" through the reboot, as on AWS.
	if got := instanceState(t, s, SeedInstance); got != "running" {
		t.Fatalf("%s", got)
	}
}

func TestCreateImageNoReboot(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	_, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-2023-05-14"), NoReboot: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	expectHealth(t, s, SeedInstance, []step{{0, "healthy"}, {30 * time.Second, "healthy"}})
}

func TestDescribeAllTargetsSorted(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	a := running(t, s, SeedSubnet1d)
	b := running(t, s, SeedSubnet1c)
	register(t, s, b)
	register(t, s, a)
	out, err := s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(SeedTargetGroup)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range out.TargetHealthDescriptions {
		ids = append(ids, aws.ToString(d.Target.Id))
		if aws.ToString(d.HealthCheckPort) != "80" {
			t.Errorf("health check port %q", aws.ToString(d.HealthCheckPort))
		}
	}
	if len(ids) != 3 || !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Fatalf("targets %v, want all three sorted", ids)
	}
	_, err = s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(SeedTargetGroup + "x")})
	wantCode(t, err, "TargetGroupNotFound")
}

func TestReregisterDrainingTarget(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	id := running(t, s, SeedSubnet1d)
	register(t, s, id)
	advance(s, 10*time.Minute)
	_, err := s.ELBV2().DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targetsOfIDs(id)})
	if err != nil {
		t.Fatal(err)
	}
	advance(s, time.Minute)
	register(t, s, id)
	expectHealth(t, s, id, []step{{0, "initial/Elb.RegistrationInProgress"}, {40 * time.Second, "healthy"}})
}

func TestSecondRebootKeepsTheFirstOnesHistory(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	img := func(name string) {
		if _, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	img("web-a")
	advance(s, 70*time.Second) // out of service since +40s, back up since +60s
	img("web-b")               // the new reboot replaces the first one on the instance
	expectHealth(t, s, SeedInstance, []step{{0, "unhealthy/Target.Timeout"}, {30 * time.Second, "unhealthy/Target.Timeout"}})
}
