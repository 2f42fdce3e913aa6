package bench

import (
	"context"
	"reflect"
	"testing"
)

// TestRolloutOfTenMembers: rolling ten members one at a time takes, in simulated time, at most
// the inherent chain plus one deregistration delay (issue 12), and less than the instance
// refresh estimate, which pays a drain per batch. Simulated time is the virtual clock's:
// the same on every run, so this is a figure of the model, not a timing.
func TestRolloutOfTenMembers(t *testing.T) {
	rs, err := Rollouts(context.Background(), []int{10})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.Batches != 10 || r.DrainSeconds != 300 || r.CheckSeconds != 40 || r.BakeSeconds <= 0 {
		t.Fatalf("rollout = %+v", r)
	}
	if !r.WithinTarget || r.SimSeconds > r.InherentSeconds+r.DrainSeconds {
		t.Errorf("rolling 10 members took %.0fs simulated; inherent chain %.0fs + one deregistration delay %.0fs", r.SimSeconds, r.InherentSeconds, r.DrainSeconds)
	}
	if r.SimSeconds < r.InherentSeconds {
		t.Errorf("%.0fs simulated is below the inherent chain %.0fs: the chain is mis-computed", r.SimSeconds, r.InherentSeconds)
	}
	if r.ASGSeconds <= r.SimSeconds {
		t.Errorf("instance refresh estimate %.0fs, albctl %.0fs", r.ASGSeconds, r.SimSeconds)
	}
	again, err := Rollouts(context.Background(), []int{10})
	if err != nil || !reflect.DeepEqual(again, rs) {
		t.Errorf("a second run differs: %+v vs %+v (%v)", again, rs, err)
	}
}
