package conformance

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/simulator"
)

// Well-formed IDs that no endpoint holds.
const (
	unknownInstance = "i-0123456789abcdef0"
	unknownImage    = "ami-0123456789abcdef0"
	unknownSnapshot = "snap-0123456789abcdef0"
	unknownSubnet   = "subnet-0123456789abcdef0"
	unknownGroup    = "sg-0123456789abcdef0"
)

// The waits a case lets pass: longer than AWS's usual time for the change (and the
// simulator's bounds, docs/aws-semantics.md), so a faithful endpoint is done by then.
const (
	bootWait  = 2 * time.Minute  // pending → running: the simulator takes 30–45 s
	imageWait = 10 * time.Minute // CreateImage pending → available: 4–5 min
	healthy   = 2 * time.Minute  // a new target's first passed check: 40 s with the defaults
)

// runInput launches n instances of the seed image into the world subnet sub.
func runInput(t testing.TB, e *Env, sub string, n int32) *ec2.RunInstancesInput {
	return &ec2.RunInstancesInput{
		ImageId:          aws.String(e.id(t, simulator.SeedImage)),
		MinCount:         aws.Int32(n),
		MaxCount:         aws.Int32(n),
		SubnetId:         aws.String(e.id(t, sub)),
		InstanceType:     ec2types.InstanceTypeT3Small,
		SecurityGroupIds: []string{e.id(t, simulator.SeedWebSG)},
	}
}

// launch runs n instances in the world subnet sub and returns their IDs.
func launch(t testing.TB, e *Env, sub string, n int32) []string {
	t.Helper()
	out, err := e.EC2.RunInstances(ctx, runInput(t, e, sub, n))
	must(t, err, "RunInstances")
	var ids []string
	for _, in := range out.Instances {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	return ids
}

// instance describes one instance by ID.
func instance(t testing.TB, e *Env, id string) ec2types.Instance {
	t.Helper()
	out, err := e.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	must(t, err, "DescribeInstances "+id)
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			if aws.ToString(in.InstanceId) == id {
				return in
			}
		}
	}
	t.Fatalf("DescribeInstances %s: not in the answer", id)
	return ec2types.Instance{}
}

func stateOf(in ec2types.Instance) ec2types.InstanceStateName {
	if in.State == nil {
		return ""
	}
	return in.State.Name
}

// wantState fails unless the instance is in state want.
func wantState(t testing.TB, e *Env, id string, want ec2types.InstanceStateName) {
	t.Helper()
	if got := stateOf(instance(t, e, id)); got != want {
		t.Fatalf("instance %s is %q, want %q", id, got, want)
	}
}

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

// instanceCases: DescribeInstances and TerminateInstances.
func instanceCases() []Case {
	return []Case{
		{Op: "DescribeInstances", Name: "an unknown ID is InvalidInstanceID.NotFound", Rule: "instance-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{unknownInstance}})
				wantCode(t, err, "InvalidInstanceID.NotFound")
			}},
		{Op: "DescribeInstances", Name: "filters by Name tag and state", Rule: "describe-instances-filters",
			Run: func(t testing.TB, e *Env) {
				launch(t, e, simulator.SeedSubnet1a, 1) // untagged: must not match
				out, err := e.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
					filter("tag:Name", "web"), filter("instance-state-name", "running", "pending"),
				}})
				must(t, err, "DescribeInstances")
				if got, want := instanceIDs(out), []string{e.id(t, simulator.SeedInstance)}; !slices.Equal(got, want) {
					t.Fatalf("instances %v, want %v", got, want)
				}
			}},
		{Op: "DescribeInstances", Name: "MaxResults and NextToken page through every instance once", Rule: "describe-instances-paging",
			Run: func(t testing.TB, e *Env) {
				// Six reservations of one instance each: whether an endpoint counts MaxResults in
				// instances (AWS) or in reservations, a page then holds at most five instances.
				for range 6 {
					launch(t, e, simulator.SeedSubnet1a, 1)
				}
				whole, err := e.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
				must(t, err, "DescribeInstances")
				want := instanceIDs(whole)
				if len(want) < 7 {
					t.Fatalf("%d instances listed, want at least the 7 launched and seeded", len(want))
				}
				var all []string
				in := &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)}
				for pages := 1; ; pages++ {
					out, err := e.EC2.DescribeInstances(ctx, in)
					must(t, err, "DescribeInstances")
					if n := len(instanceIDs(out)); n > 5 {
						t.Fatalf("page %d holds %d instances, MaxResults was 5", pages, n)
					}
					all = append(all, instanceIDs(out)...)
					if aws.ToString(out.NextToken) == "" {
						if pages < 2 {
							t.Fatalf("%d instances in %d page of at most 5", len(all), pages)
						}
						break
					}
					in.NextToken = out.NextToken
				}
				// Every instance once: the pages together are the unpaged answer.
				slices.Sort(all)
				if !slices.Equal(all, want) {
					t.Fatalf("the pages list %v, the whole answer %v", all, want)
				}
			}},
		{Op: "DescribeInstances", Name: "a bad NextToken is InvalidPaginationToken", Rule: "pagination-token",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5), NextToken: aws.String("not-a-token")})
				wantCode(t, err, "InvalidPaginationToken")
			}},
		{Op: "TerminateInstances", Name: "an unknown ID is InvalidInstanceID.NotFound", Rule: "instance-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{unknownInstance}})
				wantCode(t, err, "InvalidInstanceID.NotFound")
			}},
		{Op: "TerminateInstances", Name: "shutting-down, then terminated; terminating again succeeds", Rule: "terminate",
			Run: func(t testing.TB, e *Env) {
				id := launch(t, e, simulator.SeedSubnet1a, 1)[0]
				e.advance(bootWait)
				out, err := e.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
				must(t, err, "TerminateInstances")
				if len(out.TerminatingInstances) != 1 || out.TerminatingInstances[0].CurrentState.Name != ec2types.InstanceStateNameShuttingDown {
					t.Fatalf("TerminateInstances answered %+v, want %s shutting-down", out.TerminatingInstances, id)
				}
				e.advance(time.Minute)
				wantState(t, e, id, ec2types.InstanceStateNameTerminated)
				_, err = e.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
				must(t, err, "TerminateInstances of a terminated instance")
			}},
	}
}

func instanceIDs(out *ec2.DescribeInstancesOutput) []string {
	var ids []string
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			ids = append(ids, aws.ToString(in.InstanceId))
		}
	}
	slices.Sort(ids)
	return ids
}

// launchCases: RunInstances.
func launchCases() []Case {
	code := func(edit func(t testing.TB, e *Env, in *ec2.RunInstancesInput), want string) func(testing.TB, *Env) {
		return func(t testing.TB, e *Env) {
			in := runInput(t, e, simulator.SeedSubnet1a, 1)
			edit(t, e, in)
			_, err := e.EC2.RunInstances(ctx, in)
			wantCode(t, err, want)
		}
	}
	return []Case{
		{Op: "RunInstances", Name: "an unknown image is InvalidAMIID.NotFound", Rule: "run-image-not-found",
			Run: code(func(t testing.TB, e *Env, in *ec2.RunInstancesInput) { in.ImageId = aws.String(unknownImage) }, "InvalidAMIID.NotFound")},
		{Op: "RunInstances", Name: "an unknown subnet is InvalidSubnetID.NotFound", Rule: "run-checks",
			Run: code(func(t testing.TB, e *Env, in *ec2.RunInstancesInput) { in.SubnetId = aws.String(unknownSubnet) }, "InvalidSubnetID.NotFound")},
		{Op: "RunInstances", Name: "an unknown security group is InvalidGroup.NotFound", Rule: "run-checks",
			Run: code(func(t testing.TB, e *Env, in *ec2.RunInstancesInput) { in.SecurityGroupIds = []string{unknownGroup} }, "InvalidGroup.NotFound")},
		{Op: "RunInstances", Name: "an unknown instance profile is InvalidParameterValue", Rule: "run-profile",
			Run: code(func(t testing.TB, e *Env, in *ec2.RunInstancesInput) {
				in.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Name: aws.String("no-such-profile")}
			}, "InvalidParameterValue")},
		{Op: "RunInstances", Name: "a pending image is InvalidAMIID.Unavailable", Rule: "image-pending",
			Run: func(t testing.TB, e *Env) {
				img, err := e.EC2.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(e.id(t, simulator.SeedInstance)),
					Name: aws.String("web-conformance"), NoReboot: aws.Bool(true)})
				must(t, err, "CreateImage")
				in := runInput(t, e, simulator.SeedSubnet1a, 1)
				in.ImageId = img.ImageId
				_, err = e.EC2.RunInstances(ctx, in)
				wantCode(t, err, "InvalidAMIID.Unavailable")
			}},
		{Op: "RunInstances", Name: "a new instance is pending", Rule: "instance-pending",
			Run: func(t testing.TB, e *Env) {
				out, err := e.EC2.RunInstances(ctx, runInput(t, e, simulator.SeedSubnet1a, 1))
				must(t, err, "RunInstances")
				if got := stateOf(out.Instances[0]); got != ec2types.InstanceStateNamePending {
					t.Fatalf("RunInstances answered state %q, want pending", got)
				}
				wantState(t, e, aws.ToString(out.Instances[0].InstanceId), ec2types.InstanceStateNamePending)
			}},
		{Op: "RunInstances", Name: "running once the boot time has passed, with its tags and profile", Rule: "run",
			Run: func(t testing.TB, e *Env) {
				in := runInput(t, e, simulator.SeedSubnet1c, 1)
				in.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Arn: aws.String(e.id(t, simulator.SeedProfileARN))}
				in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
					Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}}}}
				out, err := e.EC2.RunInstances(ctx, in)
				must(t, err, "RunInstances")
				e.advance(bootWait)
				got := instance(t, e, aws.ToString(out.Instances[0].InstanceId))
				if stateOf(got) != ec2types.InstanceStateNameRunning || aws.ToString(got.SubnetId) != e.id(t, simulator.SeedSubnet1c) ||
					got.IamInstanceProfile == nil || aws.ToString(got.IamInstanceProfile.Arn) != e.id(t, simulator.SeedProfileARN) ||
					!slices.ContainsFunc(got.Tags, func(tg ec2types.Tag) bool { return aws.ToString(tg.Key) == "Name" && aws.ToString(tg.Value) == "web" }) {
					t.Fatalf("the launched instance is %q in %s with profile %+v and tags %+v; want running in %s with %s and Name=web",
						stateOf(got), aws.ToString(got.SubnetId), got.IamInstanceProfile, got.Tags, e.id(t, simulator.SeedSubnet1c), e.id(t, simulator.SeedProfileARN))
				}
			}},
		{Op: "RunInstances", Name: "a repeated ClientToken returns the first reservation and launches nothing", Rule: "client-token",
			Run: func(t testing.TB, e *Env) {
				in := runInput(t, e, simulator.SeedSubnet1a, 1)
				in.ClientToken = aws.String("conformance-token-1")
				first, err := e.EC2.RunInstances(ctx, in)
				must(t, err, "RunInstances")
				again, err := e.EC2.RunInstances(ctx, in)
				must(t, err, "RunInstances again")
				if aws.ToString(again.ReservationId) != aws.ToString(first.ReservationId) {
					t.Fatalf("the repeat answered reservation %s, want %s", aws.ToString(again.ReservationId), aws.ToString(first.ReservationId))
				}
				all, err := e.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
				must(t, err, "DescribeInstances")
				if n := len(instanceIDs(all)); n != 2 {
					t.Fatalf("%d instances after a launch and its repeat, want 2 (the seed and one)", n)
				}
			}},
		{Op: "RunInstances", Name: "the same ClientToken with other parameters is IdempotentParameterMismatch", Rule: "client-token",
			Run: func(t testing.TB, e *Env) {
				in := runInput(t, e, simulator.SeedSubnet1a, 1)
				in.ClientToken = aws.String("conformance-token-2")
				_, err := e.EC2.RunInstances(ctx, in)
				must(t, err, "RunInstances")
				in.InstanceType = ec2types.InstanceTypeT3Medium
				_, err = e.EC2.RunInstances(ctx, in)
				wantCode(t, err, "IdempotentParameterMismatch")
			}},
	}
}
