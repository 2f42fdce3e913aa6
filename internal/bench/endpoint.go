package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/specs"
)

// EndpointRow is a plan made through the real SDK clients against an endpoint (moto): the
// SDK's serialization, HTTP and pagination are in the figures.
type EndpointRow struct {
	N           int    `json:"n"`
	SeedNs      int64  `json:"seed_ns"` // creating the world in the endpoint
	APICalls    int    `json:"api_calls"`
	PlanNs      int64  `json:"plan_ns"`  // median wall time of Observe + Build
	CallNs      int64  `json:"call_ns"`  // mean wall time of one call: SDK, HTTP and the endpoint's own work
	CallsNs     int64  `json:"calls_ns"` // the sum of every call's time in one plan
	OwnNs       int64  `json:"own_ns"`   // Observe against the recorded answers: albctl alone
	Depth       int    `json:"depth"`    // round trips on the critical path as made
	BuildErrors string `json:"build_error,omitempty"`
}

// MeasureEndpoint plans stack against api (SDK clients of an endpoint holding the world)
// three times and reports the median, what the calls cost, and albctl's own share.
func MeasureEndpoint(ctx context.Context, n int, api cloud.API, stack *specs.Stack) (EndpointRow, error) {
	row := EndpointRow{N: n}
	lat := NewLatency(0)
	wrapped := lat.Wrap(api)
	var walls []time.Duration
	for range 3 {
		lat.Reset()
		t0 := time.Now()
		w, err := cloud.Observe(ctx, wrapped, plan.QueryOf(stack))
		if err != nil {
			return row, fmt.Errorf("observe: %w", err)
		}
		if _, err := plan.Build(stack, w); err != nil {
			row.BuildErrors = err.Error()
		}
		walls = append(walls, time.Since(t0))
		row.APICalls, row.Depth = lat.Calls(), lat.Depth()
		row.CallsNs = int64(lat.total())
	}
	row.PlanNs = int64(median(walls))
	if row.APICalls > 0 {
		row.CallNs = row.CallsNs / int64(row.APICalls)
	}
	tp := &tape{}
	if _, err := cloud.Observe(ctx, recorder(api, tp), plan.QueryOf(stack)); err != nil {
		return row, err
	}
	var own []time.Duration
	for range 5 {
		p := player(tp)
		t0 := time.Now()
		if _, err := cloud.Observe(ctx, p, plan.QueryOf(stack)); err != nil {
			return row, fmt.Errorf("replay: %w", err)
		}
		own = append(own, time.Since(t0))
	}
	row.OwnNs = int64(median(own))
	return row, nil
}
