package simulator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

var ctx = context.Background()

// seedSim is a simulator of the seed world that checks, after every call, that its world
// would load back from a world file.
func seedSim(t *testing.T, opts ...Option) *Sim {
	t.Helper()
	return New(SeedWorld(), append(opts, checkRoundTrips(t))...)
}

// checkRoundTrips fails t at every state of the simulator a world file could not hold.
func checkRoundTrips(t *testing.T) Option {
	return WithRoundTripCheck(func(op string, err error) { t.Errorf("%v", err) })
}

// code returns the AWS error code of err, "" for nil; it fails the test for a non-API error.
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not a smithy.APIError", err)
	}
	return ae.ErrorCode()
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(t, err); got != want {
		t.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}

func wantMessage(t *testing.T, err error, want string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not a smithy.APIError", err)
	}
	if ae.ErrorMessage() != want {
		t.Fatalf("message = %q, want %q", ae.ErrorMessage(), want)
	}
}

func runInput(subnet string) *ec2.RunInstancesInput {
	return &ec2.RunInstancesInput{
		ImageId:          aws.String(SeedImage),
		MinCount:         aws.Int32(1),
		MaxCount:         aws.Int32(1),
		SubnetId:         aws.String(subnet),
		InstanceType:     ec2types.InstanceTypeT3Small,
		SecurityGroupIds: []string{SeedWebSG},
	}
}

// launch runs one instance in subnet and returns its ID.
func launch(t *testing.T, s *Sim, subnet string) string {
	t.Helper()
	out, err := s.EC2().RunInstances(ctx, runInput(subnet))
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

func instanceState(t *testing.T, s *Sim, id string) string {
	t.Helper()
	out, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return string(out.Reservations[0].Instances[0].State.Name)
}

func imageState(t *testing.T, s *Sim, id string) string {
	t.Helper()
	out, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return string(out.Images[0].State)
}

// healthOf returns "state/reason" of one target of the seed target group.
func healthOf(t *testing.T, s *Sim, id string) string {
	t.Helper()
	out, err := s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{
		TargetGroupArn: aws.String(SeedTargetGroup),
		Targets:        []elbtypes.TargetDescription{{Id: aws.String(id), Port: aws.Int32(80)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TargetHealthDescriptions) != 1 {
		t.Fatalf("%d descriptions, want 1", len(out.TargetHealthDescriptions))
	}
	h := out.TargetHealthDescriptions[0].TargetHealth
	if h.Reason == "" {
		return string(h.State)
	}
	return string(h.State) + "/" + string(h.Reason)
}

func register(t *testing.T, s *Sim, id string) {
	t.Helper()
	_, err := s.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{
		TargetGroupArn: aws.String(SeedTargetGroup),
		Targets:        []elbtypes.TargetDescription{{Id: aws.String(id)}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func advance(s *Sim, d time.Duration) { s.Clock().Advance(d) }

func targetsOfIDs(ids ...string) []elbtypes.TargetDescription {
	var out []elbtypes.TargetDescription
	for _, id := range ids {
		out = append(out, elbtypes.TargetDescription{Id: aws.String(id)})
	}
	return out
}
