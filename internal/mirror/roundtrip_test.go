package mirror_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/simulator"
)

func project(t *testing.T, w *simulator.World) *mirror.Behaviour {
	t.Helper()
	b, err := mirror.Project(w, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSnapshotRoundTripThroughTheSimulator: the simulator is an endpoint too, so a copy of a
// simulated account must behave as the world itself, for every generated world: groups and
// their rules both ways, each subnet's ACL, free addresses, target health (unhealthy with a
// code, timing out, draining), attributes, images with snapshots.
func TestSnapshotRoundTripThroughTheSimulator(t *testing.T) {
	t.Parallel()
	for _, rt := range mirror.RoundTripWorlds() {
		t.Run(rt.Name, func(t *testing.T) {
			want := project(t, rt.World)
			got := project(t, snapshot(t, simulator.New(rt.World)))
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("snapshot of the world behaves otherwise (-world +snapshot):\n%s", d)
			}
		})
	}
}

// TestNotCarriedIsDocumented: docs/simulator.md renders mirror.NotCarried, row by row.
func TestNotCarriedIsDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/simulator.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range mirror.NotCarried {
		row := "| " + n.Field + " | " + n.Lost + " | " + n.Why + " |"
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/simulator.md lacks the row\n%s", row)
		}
	}
	if !slices.IsSortedFunc(mirror.NotCarried, func(a, b struct{ Field, Lost, Why string }) int { return strings.Compare(a.Lost, b.Lost) }) {
		t.Error("NotCarried: keep the rows grouped by what loses them")
	}
}
