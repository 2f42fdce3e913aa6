package scenarios

import (
	"testing"
	"time"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// The seed world's instances admit HTTP only from the 1a and 1d load balancer subnets: the
// third of the clients DNS sends to the 1c node get 504 until the plan's trim_zones removes
// 1c. Each 504 comes after the ALB's 10 s connect timeout, so those clients send half as
// often as the others (a request every 5 s): 504s are about a fifth of the requests. After
// the trim, the clients still holding the 1c node's address from DNS get connection errors
// until their answer's TTL ends, and nothing fails after that (docs/simulator.md,
// "Traffic"). What the clients saw is read from the simulator's client model.
func TestSeedFails504UntilTheTrimThenConnectionErrorsForATTL(t *testing.T) {
	t.Parallel()
	sim := testkit.NewSim(t, simulator.SeedWorld())
	s := spec(t, "2023-05-14", 1, 1, "")
	p := planFor(t, sim, s)
	if count(p, plan.TrimZones) != 1 {
		t.Fatalf("plan without trim_zones: %v", kinds(p))
	}
	clients := sim.StartClients(simulator.ClientOptions{Bucket: 5 * time.Second})
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
	sim.Clock().Advance(3 * time.Minute)
	r := clients.Report()
	ttlEnd := trimmedAt.Add(simulator.DNSTTL)
	var before, during, after simulator.Counts
	for _, iv := range r.Listeners[0].Intervals {
		var into *simulator.Counts
		switch {
		case !iv.End.After(trimmedAt):
			into = &before
		case !iv.Start.Before(trimmedAt) && !iv.End.After(ttlEnd):
			into = &during
		case !iv.Start.Before(ttlEnd):
			into = &after
		default:
			continue
		}
		into.Requests += iv.Requests
		into.Served += iv.Served
		into.Status504 += iv.Status504
		into.ConnectionErrors += iv.ConnectionErrors
	}
	if share := before.Share(before.Status504); share < 0.17 || share > 0.24 || before.ConnectionErrors != 0 {
		t.Errorf("504 share before the trim %.3f, want about 1/5: %+v", share, before)
	}
	// A third of the clients, each for a uniform part of the TTL: about a sixth.
	if share := during.Share(during.ConnectionErrors); share < 0.1 || share > 0.2 || during.Status504 != 0 {
		t.Errorf("connection error share during the TTL after the trim %.3f, want about 1/6: %+v", share, during)
	}
	if after.Requests == 0 || after.Served != after.Requests {
		t.Errorf("a TTL after the trim: %+v, want every request served", after)
	}
}
