package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// sourceID is the blog seed world's source instance.
const sourceID = "i-0a1b2c3d4e5f60001"

// A plan that says to terminate the source (an edited saved plan, or a planner bug) is
// refused by the engine, which checks albctl's tags just before the call.
func TestTerminateRefusesInstancesAlbctlDidNotLaunch(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	p := &plan.Plan{Steps: []plan.Step{{
		ID: "terminate-source", Kind: plan.TerminateInstance, Resource: "instance " + sourceID,
		Terminate: &plan.TerminateParams{InstanceID: sourceID},
	}}}
	res, err := apply(t, sim, p, engine.Options{})
	if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), "albctl did not launch it") {
		t.Fatalf("err = %v, want a refusal naming the missing tags", err)
	}
	if len(res.Done) != 0 {
		t.Errorf("done = %v", res.Done)
	}
	if st := instanceState(t, sim, sourceID); st != "running" {
		t.Errorf("source is %s, want running", st)
	}
}

// A member albctl launched (tagged) is terminated as planned.
func TestTerminateAcceptsAlbctlMembers(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	s := blogStack(t)
	testkit.ConvergeSim(t, sim, s)
	w := planFor(t, sim, s)
	if !w.Empty() {
		t.Fatal("not converged")
	}
	out, err := sim.EC2().DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var member string
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			if aws.ToString(in.InstanceId) != sourceID {
				member = aws.ToString(in.InstanceId)
			}
		}
	}
	p := &plan.Plan{Steps: []plan.Step{{
		ID: "terminate-member", Kind: plan.TerminateInstance,
		Terminate: &plan.TerminateParams{InstanceID: member},
	}}}
	if _, err := apply(t, sim, p, engine.Options{}); err != nil {
		t.Fatal(err)
	}
	if st := instanceState(t, sim, member); st != "terminated" {
		t.Errorf("member is %s, want terminated", st)
	}
}

// A malformed graph is refused before the first call: nothing happens in the world.
func TestApplyValidatesBeforeTheFirstCall(t *testing.T) {
	t.Parallel()
	s := blogStack(t)
	sim := testkit.NewSim(t, simulator.SeedWorld())
	p := planFor(t, sim, s)
	last := &p.Steps[len(p.Steps)-1]
	p.Steps[0].DependsOn = append(p.Steps[0].DependsOn, last.ID)
	before, _ := census(t, sim)
	_, err := apply(t, sim, p, engine.Options{})
	if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("err = %v, want a refused cycle", err)
	}
	if after, _ := census(t, sim); after != before {
		t.Errorf("instances %d -> %d: the engine acted on a refused plan", before, after)
	}
	if n := len(sim.World().Images); n != len(simulator.SeedWorld().Images) {
		t.Errorf("images: %d, the engine acted on a refused plan", n)
	}
}
