package scenarios

import (
	"testing"
	"time"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
)

// The seed world's instances admit HTTP only from the 1a and 1d load balancer subnets: the
// 1c node's third of the requests gets 504 until the plan's trim_zones removes 1c, and none
// after. What the clients saw is read from the simulator's client model.
func TestSeedFails504UntilTheTrim(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
	s := spec(t, "2023-05-14", 1, 1, "")
	p := planFor(t, sim, s)
	if count(p, plan.TrimZones) != 1 {
		t.Fatalf("plan without trim_zones: %v", kinds(p))
	}
	clients := sim.StartClients(simulator.ClientOptions{Bucket: 10 * time.Second})
	sim.Clock().Advance(time.Minute)
	var trimmedAt time.Time
	res, err := apply(sim, p, engine.Options{AfterPoll: func() {
		if trimmedAt.IsZero() && len(sim.World().LoadBalancers[0].Subnets) == 2 {
			trimmedAt = sim.Clock().Now()
		}
	}})
	if err != nil {
		t.Fatalf("apply: %v (%v)", err, res)
	}
	if trimmedAt.IsZero() {
		t.Fatal("the load balancer was never trimmed")
	}
	sim.Clock().Advance(2 * time.Minute)
	r := clients.Report()
	var before, after simulator.Counts
	for _, iv := range r.Listeners[0].Intervals {
		switch {
		case !iv.End.After(trimmedAt):
			before.Requests += iv.Requests
			before.Status504 += iv.Status504
			before.Served += iv.Served
		case !iv.Start.Before(trimmedAt):
			after.Requests += iv.Requests
			after.Status504 += iv.Status504
			after.Served += iv.Served
		}
	}
	if share := before.Share(before.Status504); share < 0.30 || share > 0.37 {
		t.Errorf("504 share before the trim %.3f, want about 1/3: %+v", share, before)
	}
	if after.Requests == 0 || after.Status504 != 0 || after.Served != after.Requests {
		t.Errorf("after the trim: %+v, want every request served", after)
	}
}
