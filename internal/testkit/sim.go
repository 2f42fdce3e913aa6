package testkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// API is the simulator's clients as albctl's cloud.API, CloudWatch included.
func API(sim *simulator.Sim) cloud.API {
	return cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM(), CW: sim.CloudWatch()}
}

// NewSim is a simulator of w that fails t at every state, reached by any call or clock
// advance, that a world file could not hold: saved, loaded and saved again, the world must
// load and give the same bytes (docs/simulator.md, "What a world file holds").
func NewSim(t testing.TB, w *simulator.World, opts ...simulator.Option) *simulator.Sim {
	t.Helper()
	return simulator.New(w, append(opts, simulator.WithRoundTripCheck(func(op string, err error) {
		t.Errorf("world file: %v", err)
	}))...)
}

// Plan observes the world for stack through api and plans stack against it.
func Plan(t testing.TB, api cloud.API, stack *specs.Stack) *plan.Plan {
	t.Helper()
	w, err := cloud.Observe(context.Background(), api, plan.QueryOf(stack))
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	p, err := plan.Build(stack, w)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// day is longer than any apply of a test needs (the longest bounds are an hour or so).
const day = 24 * time.Hour

// Apply applies p through api on the clock clk. An apply still running after a simulated
// day never ends: it is cancelled and fails t at once, so a mutant that makes a wait endless
// is killed rather than timed out (docs/testing.md, "Timeouts").
func Apply(t testing.TB, api cloud.API, clk clock.Clock, p *plan.Plan, opts engine.Options) (*engine.Result, error) {
	t.Helper()
	opts.Clock = clk
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start, afterPoll := clk.Now(), opts.AfterPoll
	opts.AfterPoll = func() {
		if afterPoll != nil {
			afterPoll()
		}
		if clk.Now().Sub(start) > day {
			cancel()
		}
	}
	res, err := engine.Apply(ctx, p, api, opts)
	if errors.Is(err, context.Canceled) && clk.Now().Sub(start) > day {
		t.Fatalf("apply still running after a simulated day: %v", err)
	}
	return res, err
}

// Converge plans and applies stack through api (who names the endpoint in failures) until
// the plan is empty, at most three rounds, and returns the plans of every round, the last
// one empty; it fails t if the world does not converge.
func Converge(t testing.TB, who string, api cloud.API, clk clock.Clock, stack *specs.Stack) []*plan.Plan {
	t.Helper()
	var plans []*plan.Plan
	for round := range 3 {
		p := Plan(t, api, stack)
		plans = append(plans, p)
		if p.Empty() {
			return plans
		}
		if res, err := Apply(t, api, clk, p, engine.Options{}); err != nil {
			var done, notDone []string
			if res != nil {
				done, notDone = res.Done, res.NotDone
			}
			t.Fatalf("%s: apply (round %d): %v\ndone: %v\nnot done: %v", who, round+1, err, done, notDone)
		}
	}
	p := Plan(t, api, stack)
	if !p.Empty() {
		t.Fatalf("%s: no convergence after three applies, still:\n%s", who, Steps(p))
	}
	return append(plans, p)
}

// ConvergeSim converges stack on sim, on the simulator's clock.
func ConvergeSim(t testing.TB, sim *simulator.Sim, stack *specs.Stack) []*plan.Plan {
	t.Helper()
	return Converge(t, "simulator", API(sim), sim.Clock(), stack)
}

// Steps renders a plan's steps as "kind id <- deps" lines, which name no resource IDs.
func Steps(p *plan.Plan) string {
	var b strings.Builder
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "%s %s <- %v\n", s.Kind, s.ID, s.DependsOn)
	}
	return b.String()
}
