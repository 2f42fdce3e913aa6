package integration

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// TestMotoBlog is the seed scenario through the real SDK clients: seeded into moto, the blog
// spec plans the same steps as on the simulator, an apply converges, and a second plan is
// empty.
func TestMotoBlog(t *testing.T) {
	m := newMoto(t)
	m.seed(t, simulator.SeedWorld())
	stack := loadStack(t, repoPath("examples/blog"))

	sim := simulator.New(simulator.SeedWorld())
	simPlan := build(t, stack, observe(t, cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, stack))
	motoPlan := build(t, stack, observe(t, m.api(), stack))
	if got, want := testkit.Steps(motoPlan), testkit.Steps(simPlan); got != want {
		t.Fatalf("the plan against moto differs from the plan against the simulator\nmoto:\n%s\nsimulator:\n%s", got, want)
	}
	if motoPlan.Empty() {
		t.Fatal("the seed scenario plans no steps against moto")
	}

	start := time.Now()
	res, err := engine.Apply(context.Background(), motoPlan, m.api(), engine.Options{Clock: motoClock()})
	if err != nil {
		t.Fatalf("apply against moto: %v\ndone: %v\nnot done: %v", err, res.Done, res.NotDone)
	}
	t.Logf("apply against moto: %d steps in %s (wall clock)", len(res.Done), time.Since(start).Round(time.Millisecond))
	if len(res.Done) != len(motoPlan.Steps) {
		t.Errorf("done %d of %d steps: %v", len(res.Done), len(motoPlan.Steps), res.Done)
	}
	if again := build(t, stack, observe(t, m.api(), stack)); !again.Empty() {
		t.Fatalf("after apply, the plan against moto still has steps:\n%s", testkit.Steps(again))
	}
}

// TestMotoObserveCallsDoNotGrow counts the Describe calls one Observe makes against moto
// with 2 and with 50 instances in the fleet: members are found by tag filter, targets by
// target group, so the count must not grow with the fleet.
func TestMotoObserveCallsDoNotGrow(t *testing.T) {
	m := newMoto(t)
	m.seed(t, simulator.SeedWorld())
	wall := motoClock()

	countObserve := func(dir string, want int) int {
		t.Helper()
		stack := loadStack(t, dir)
		testkit.Converge(t, "moto", m.api(), wall, stack)
		c := &counting{calls: map[string]int{}}
		w := observe(t, c.wrap(m.api()), stack)
		live := 0
		for _, in := range w.Instances {
			if in.State == "running" {
				live++
			}
		}
		if live != want {
			t.Fatalf("%d running instances, want %d", live, want)
		}
		total, byOp := c.describes()
		t.Logf("one Observe with %d instances: %d Describe calls %v", live, total, byOp)
		if total != sum(c.calls) {
			t.Errorf("Observe made calls other than Describe: %v", c.calls)
		}
		return total
	}
	two := countObserve(repoPath("examples/blog"), 2)
	fifty := countObserve(blogWithZones(t, "ap-northeast-1a=25", "ap-northeast-1d=25"), 50)
	if two != fifty {
		t.Errorf("Observe made %d Describe calls with 2 instances and %d with 50: the count grows with the fleet", two, fifty)
	}
	// 10 before the network was read, then four more: the groups, the VPC's ACLs, the
	// load balancer's attributes and listeners.
	if two > 16 {
		t.Errorf("Observe made %d Describe calls for one target group, one load balancer and one fleet; expected a handful", two)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, k := range slices.Sorted(maps.Keys(m)) {
		n += m[k]
	}
	return n
}
