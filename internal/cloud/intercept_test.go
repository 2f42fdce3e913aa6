package cloud_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// TestInterceptSeesEveryCallByItsName: a plan and an apply of the blog stack through
// Intercept reach the simulator exactly as they would without it, and the interceptor sees
// each call under the name of the operation the simulator counts.
func TestInterceptSeesEveryCallByItsName(t *testing.T) {
	t.Parallel()
	s, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sim := simulator.New(simulator.SeedWorld())
	var mu sync.Mutex
	seen := map[string]int{}
	api := cloud.Intercept(cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()},
		func(ctx context.Context, op string, call func(context.Context) error) error {
			mu.Lock()
			seen[op]++
			mu.Unlock()
			return call(ctx)
		})
	w, err := cloud.Observe(context.Background(), api, plan.QueryOf(s))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(s, w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Apply(context.Background(), p, api, engine.Options{Clock: sim.Clock()}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sim.Calls(), seen); diff != "" {
		t.Errorf("calls (-the simulator answered +the interceptor saw):\n%s", diff)
	}
}

// TestInterceptCoversEveryMethod: the intercepted clients implement exactly the interfaces'
// methods (a method added to an interface and not to intercept.go does not compile; this
// checks that a nil client stays nil and a set one is wrapped).
func TestInterceptCoversEveryMethod(t *testing.T) {
	t.Parallel()
	sim := simulator.New(simulator.SeedWorld())
	api := cloud.Intercept(cloud.API{EC2: sim.EC2()}, func(ctx context.Context, _ string, call func(context.Context) error) error { return call(ctx) })
	if api.ELBV2 != nil || api.IAM != nil {
		t.Errorf("nil clients must stay nil: %+v", api)
	}
	if reflect.TypeOf(api.EC2) == reflect.TypeOf(sim.EC2()) {
		t.Errorf("the EC2 client is not wrapped")
	}
}
