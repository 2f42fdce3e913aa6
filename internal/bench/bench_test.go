package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// The sizes of the Go benchmarks (go test -bench . ./bench/); compare commits with benchstat.
var benchSizes = []int{10, 100, 1000, 10000}

const benchSeed = 1

func benchSim(n int) (*simulator.Sim, cloud.API, *specs.Stack) {
	w, stack := Generate(n, benchSeed)
	sim := simulator.New(w)
	return sim, cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, stack
}

func eachSize(b *testing.B, f func(b *testing.B, n int)) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			f(b, n)
		})
	}
}

// BenchmarkBuild is plan.Build alone, over a world observed once.
func BenchmarkBuild(b *testing.B) {
	eachSize(b, func(b *testing.B, n int) {
		_, api, stack := benchSim(n)
		world, err := cloud.Observe(context.Background(), api, plan.QueryOf(stack))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := plan.Build(stack, world); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkObserve is cloud.Observe of the whole stack against the simulator: the API side of
// a plan, the simulator's work included.
func BenchmarkObserve(b *testing.B) {
	eachSize(b, func(b *testing.B, n int) {
		_, api, stack := benchSim(n)
		for b.Loop() {
			if _, err := cloud.Observe(context.Background(), api, plan.QueryOf(stack)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSimDescribeInstances is the first page (1,000) of the members of every fleet, by
// tag filter, as Observe asks for them.
func BenchmarkSimDescribeInstances(b *testing.B) {
	eachSize(b, func(b *testing.B, n int) {
		sim, _, stack := benchSim(n)
		var fleets []string
		for _, f := range stack.Fleets {
			fleets = append(fleets, f.Label)
		}
		in := &ec2.DescribeInstancesInput{
			Filters: []ec2types.Filter{
				{Name: aws.String("tag:" + cloud.TagFleet), Values: fleets},
				{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
			},
			MaxResults: aws.Int32(1000),
		}
		for b.Loop() {
			if _, err := sim.EC2().DescribeInstances(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSimDescribeInstancesByID is one instance by ID, as the engine polls a launch.
func BenchmarkSimDescribeInstancesByID(b *testing.B) {
	eachSize(b, func(b *testing.B, n int) {
		sim, _, stack := benchSim(n)
		in := &ec2.DescribeInstancesInput{InstanceIds: []string{stack.Fleets[0].Source}}
		for b.Loop() {
			if _, err := sim.EC2().DescribeInstances(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSimDescribeTargetHealth is every target of one target group (up to
// FleetCapacity), as Observe asks for it.
func BenchmarkSimDescribeTargetHealth(b *testing.B) {
	eachSize(b, func(b *testing.B, n int) {
		sim, _, _ := benchSim(n)
		in := &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(sim.World().TargetGroups[0].ARN)}
		for b.Loop() {
			if _, err := sim.ELBV2().DescribeTargetHealth(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSimDescribeTargetHealthOne is one target, as the engine polls a registration.
func BenchmarkSimDescribeTargetHealthOne(b *testing.B) {
	eachSize(b, func(b *testing.B, n int) {
		sim, _, _ := benchSim(n)
		tg := sim.World().TargetGroups[0]
		in := &elbv2.DescribeTargetHealthInput{
			TargetGroupArn: aws.String(tg.ARN),
			Targets:        []elbtypes.TargetDescription{{Id: aws.String(tg.Targets[0].ID), Port: aws.Int32(80)}},
		}
		for b.Loop() {
			if _, err := sim.ELBV2().DescribeTargetHealth(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkObserveClient is cloud.Observe against the simulator's recorded answers: albctl's
// own work, without the simulator's.
func BenchmarkObserveClient(b *testing.B) {
	eachSize(b, func(b *testing.B, n int) {
		_, api, stack := benchSim(n)
		tp := &tape{}
		if _, err := cloud.Observe(context.Background(), recorder(api, tp), plan.QueryOf(stack)); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := cloud.Observe(context.Background(), player(tp), plan.QueryOf(stack)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
