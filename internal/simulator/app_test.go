package simulator

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/clock"
)

// bake makes an image of the seed instance without a reboot and waits until it is done.
func bake(t *testing.T, s *Sim, name string) string {
	t.Helper()
	out, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String(name), NoReboot: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	advance(s, ImagePending+ImageJitter)
	return aws.ToString(out.ImageId)
}

// launchFrom launches an instance of image in 1d, waits until it runs and registers it.
func launchFrom(t *testing.T, s *Sim, image string) string {
	t.Helper()
	in := runInput(SeedSubnet1d)
	in.ImageId = aws.String(image)
	out, err := s.EC2().RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	advance(s, InstancePending+InstanceJitter)
	id := aws.ToString(out.Instances[0].InstanceId)
	register(t, s, id)
	return id
}

func TestBrokenImageNeverTurnsHealthy(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.ImageBehaviours = []ImageBehaviour{{NameGlob: "web-2023-06-*", App: &App{Health: "fails"}}}
	s := New(w, checkRoundTrips(t))
	bad := launchFrom(t, s, bake(t, s, "web-2023-06-01"))
	// Two failed checks (+40s, +70s) make a new target unhealthy, with AWS's reason.
	expectHealth(t, s, bad, []step{
		{RegistrationInProgress, "initial/Elb.InitialHealthChecking"},
		{59 * time.Second, "initial/Elb.InitialHealthChecking"},
		{time.Second, "unhealthy/Target.ResponseCodeMismatch"},
		{time.Hour, "unhealthy/Target.ResponseCodeMismatch"},
	})
	out, err := s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targetsOfIDs(bad)})
	if err != nil {
		t.Fatal(err)
	}
	if d := aws.ToString(out.TargetHealthDescriptions[0].TargetHealth.Description); d != "Health checks failed with these codes: [500]" {
		t.Fatalf("description %q", d)
	}
	// An image whose name no rule matches inherits the app of the instance it was made from.
	good := launchFrom(t, s, bake(t, s, "web-2023-07-01"))
	expectHealth(t, s, good, []step{{40 * time.Second, "healthy"}})
}

func TestImageInheritsTheSourceInstancesApp(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.Instances[0].App = &App{Health: "timeout"}
	w.TargetGroups[0].Targets = nil
	s := New(w, checkRoundTrips(t))
	id := launchFrom(t, s, bake(t, s, "web-copy"))
	expectHealth(t, s, id, []step{{69 * time.Second, "initial/Elb.InitialHealthChecking"}, {time.Second, "unhealthy/Target.Timeout"}})
}

func TestAppBootTime(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.ImageBehaviours = []ImageBehaviour{{NameGlob: "slow-*", App: &App{BootTime: clock.Duration(90 * time.Second)}}}
	s := New(w, checkRoundTrips(t))
	id := launchFrom(t, s, bake(t, s, "slow-boot"))
	// Checks at +40s and +70s find the app still booting; from +100s they pass, and five
	// passes (+220s) bring the target back from unhealthy.
	expectHealth(t, s, id, []step{
		{70 * time.Second, "unhealthy/Target.Timeout"},
		{149 * time.Second, "unhealthy/Target.Timeout"},
		{time.Second, "healthy"},
	})
}

func TestWrongHealthCheckPath(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.Instances[0].App = &App{HealthPath: "/health"}
	s := New(w, checkRoundTrips(t))
	if got := healthOf(t, s, SeedInstance); got != "healthy" {
		t.Fatalf("on its own path: %s", got)
	}
	_, err := s.ELBV2().ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{TargetGroupArn: aws.String(SeedTargetGroup), HealthCheckPath: aws.String("/healthz")})
	if err != nil {
		t.Fatal(err)
	}
	// The change does not rewrite history: the target fails its next two checks (09:00:10
	// and 09:00:40) first.
	expectHealth(t, s, SeedInstance, []step{{0, "healthy"}, {39 * time.Second, "healthy"}, {time.Second, "unhealthy/Target.ResponseCodeMismatch"}})
	// The only target is unhealthy: the ALB fails open to it, and clients are served, but
	// for the third of the 1c node, which cannot reach it (504).
	if tr := only(t, s); tr.Served != 0.666667 || tr.Status504 != 0.333333 {
		t.Fatalf("%+v", tr)
	}
}

func TestRebootOfOneOfTwoTargetsFailsItsShare(t *testing.T) {
	t.Parallel()
	s := withSecondTarget(t)
	if _, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-new")}); err != nil {
		t.Fatal(err)
	}
	// Healthy but down until its second failed check: half the requests fail.
	tr := only(t, s)
	if tr.Failed != 0.5 || !strings.Contains(tr.Why, SeedInstance) {
		t.Fatalf("during the failed-check window: %+v", tr)
	}
	var at time.Duration
	for ; healthOf(t, s, SeedInstance) == "healthy"; at += time.Second {
		advance(s, time.Second)
	}
	if at == 0 || at > 2*30*time.Second {
		t.Fatalf("out of service after %v, want within two intervals", at)
	}
	if tr := only(t, s); tr.Failed != 0 {
		t.Fatalf("once out of service: %+v", tr)
	}
}

func TestFailedImage(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.ImageBehaviours = []ImageBehaviour{{NameGlob: "doomed-*", Fail: &StateReason{Code: "Server.InternalError", Message: "Server.InternalError: Internal error"}}}
	s := New(w, checkRoundTrips(t))
	id := bake(t, s, "doomed-1")
	out, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	im := out.Images[0]
	if im.State != "failed" || aws.ToString(im.StateReason.Code) != "Server.InternalError" {
		t.Fatalf("image %s %v", im.State, aws.ToString(im.StateReason.Code))
	}
	in := runInput(SeedSubnet1d)
	in.ImageId = aws.String(id)
	_, err = s.EC2().RunInstances(ctx, in)
	wantCode(t, err, "InvalidAMIID.Unavailable")
}

func TestTerminatedTargetsAreDeregistered(t *testing.T) {
	t.Parallel()
	s := withSecondTarget(t)
	id := s.World().TargetGroups[0].Targets[1].ID
	if id == SeedInstance {
		id = s.World().TargetGroups[0].Targets[0].ID
	}
	if _, err := s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	out, err := s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(SeedTargetGroup)})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]elbtypes.TargetHealthStateEnum{}
	for _, d := range out.TargetHealthDescriptions {
		states[aws.ToString(d.Target.Id)] = d.TargetHealth.State
	}
	if states[id] != "draining" || states[SeedInstance] != "healthy" {
		t.Fatalf("%v", states)
	}
	advance(s, 5*time.Minute)
	if n := len(s.World().TargetGroups[0].Targets); n != 1 {
		t.Fatalf("%d targets after draining, want 1", n)
	}
}
