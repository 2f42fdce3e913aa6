package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// TestGenerateConverged: the generated spec asks for exactly the generated world, which the
// simulator accepts as valid, and no target group exceeds AWS's 1,000 targets.
func TestGenerateConverged(t *testing.T) {
	for _, n := range []int{1, 2, 10, 100, 1000} {
		w, stack := Generate(n, 7)
		data, err := w.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := simulator.ParseWorld(data); err != nil {
			t.Fatalf("n=%d: the simulator rejects the world: %v", n, err)
		}
		if len(w.Instances) != n {
			t.Errorf("n=%d: %d instances", n, len(w.Instances))
		}
		zones := map[string]bool{}
		for _, in := range w.Instances {
			zones[in.AZ] = true
		}
		if n >= 3 && len(zones) != 3 {
			t.Errorf("n=%d: instances in %d zones, want 3", n, len(zones))
		}
		for _, tg := range w.TargetGroups {
			if len(tg.Targets) > FleetCapacity {
				t.Errorf("n=%d: %s has %d targets", n, tg.Name, len(tg.Targets))
			}
		}
		lay := LayoutOf(n)
		if len(stack.Fleets) != lay.Fleets || len(w.TargetGroups) != lay.Fleets || len(w.LoadBalancers) != lay.LoadBalancers {
			t.Errorf("n=%d: %d fleets, %d target groups, %d load balancers; want %+v", n, len(stack.Fleets), len(w.TargetGroups), len(w.LoadBalancers), lay)
		}
		sim := simulator.New(w)
		p := planOf(t, sim, stack)
		if !p.Empty() {
			t.Errorf("n=%d: plan has %d steps, first %s: %s", n, len(p.Steps), p.Steps[0].ID, p.Steps[0].Reason)
		}
		if len(p.Warnings) > 0 {
			t.Errorf("n=%d: warnings %q", n, p.Warnings)
		}
	}
}

// planOf observes the simulator and plans stack against it.
func planOf(t *testing.T, sim *simulator.Sim, stack *specs.Stack) *plan.Plan {
	t.Helper()
	w, err := cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(stack))
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	p, err := plan.Build(stack, w)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return p
}

func TestGenerateDeterministic(t *testing.T) {
	marshal := func(seed uint64) []byte {
		w, _ := Generate(500, seed)
		b, err := w.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(marshal(3), marshal(3)) {
		t.Error("same seed, different worlds")
	}
	if bytes.Equal(marshal(3), marshal(4)) {
		t.Error("different seeds, same world")
	}
}

// TestObserveCalls counts (never times) the API calls of one plan: they grow with target
// groups and result pages, not with instances.
func TestObserveCalls(t *testing.T) {
	w, stack := Generate(1000, Seed)
	sim := simulator.New(w)
	if _, err := cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(stack)); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range sim.Calls() {
		total += c
	}
	// 15 before the network was read; the network adds a load balancer's attributes and
	// listeners (two per load balancer) and the security groups and network ACLs (one each).
	if total > 21 {
		t.Errorf("Observe of N=1000 made %d API calls, want at most 21: %v", total, sim.Calls())
	}
}

func TestMore(t *testing.T) {
	w, stack := Generate(100, Seed)
	sim := simulator.New(w)
	more := More(stack, 5)
	if got := stack.Fleets[0].Zones; got[0].Count+got[1].Count+got[2].Count != 50 {
		t.Fatalf("More changed the original stack: %+v", got)
	}
	kinds := map[plan.Kind]int{}
	for _, s := range planOf(t, sim, more).Steps {
		kinds[s.Kind]++
	}
	if kinds[plan.LaunchInstance] != 5 || kinds[plan.RegisterTarget] != 5 || len(kinds) != 2 {
		t.Errorf("More(5) plans %v, want 5 launches and 5 registrations", kinds)
	}
}
