package scenarios

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// TestFiveVersionsOnAWorldFile rolls a fleet of four through five image versions, keeping one
// image and then two, with the world in a file as the CLI keeps it: every apply runs one step
// (a crash after each), and the world is saved to the file and loaded back before the next
// plan. Every world written loads, and after each version the fleet's older images are
// deregistered and their snapshots deleted, the newest image.keep kept with theirs
// (docs/simulator.md, "What a world file holds").
func TestFiveVersionsOnAWorldFile(t *testing.T) {
	t.Parallel()
	for _, keep := range []int{1, 2} {
		t.Run(fmt.Sprintf("keep %d", keep), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "world.json")
			if err := simulator.SeedWorld().Save(path); err != nil {
				t.Fatal(err)
			}
			for v := 1; v <= 5; v++ {
				s := specWith(t, strconv.Itoa(v), 2, 2, "", fmt.Sprintf("    keep = %d", keep))
				steps := convergeOnFile(t, path, s)
				w, err := simulator.LoadWorld(path)
				if err != nil {
					t.Fatalf("version %d: %v", v, err)
				}
				checkImages(t, w, v, keep)
				sim := testkit.NewSim(t, w)
				got, _ := census(t, sim)
				for id, version := range got {
					if version != strconv.Itoa(v) && version != "" { // "" is the source
						t.Errorf("version %d: %s runs version %q", v, id, version)
					}
				}
				if len(got) != 4 {
					t.Errorf("version %d: %d instances, want 4", v, len(got))
				}
				t.Logf("version %d: %d steps", v, steps)
			}
		})
	}
}

// convergeOnFile plans and applies s one step at a time against the world in path, saving
// the world after each step and loading it before the next, until the plan is empty. It
// returns the number of steps.
func convergeOnFile(t *testing.T, path string, s *specs.Stack) int {
	t.Helper()
	for steps := 0; steps < 200; steps++ {
		w, err := simulator.LoadWorld(path)
		if err != nil {
			t.Fatalf("after %d steps: %v", steps, err)
		}
		sim := testkit.NewSim(t, w)
		p := planFor(t, sim, s)
		if p.Empty() {
			return steps
		}
		if _, err := apply(sim, p, engine.Options{StopAfter: 1}); err != nil && !errors.Is(err, engine.ErrStopped) {
			t.Fatalf("step %d (%s): %v", steps+1, p.Steps[0].ID, err)
		}
		if err := sim.World().Save(path); err != nil {
			t.Fatalf("step %d: %v", steps+1, err)
		}
	}
	t.Fatal("no convergence after 200 steps")
	return 0
}

// checkImages checks the fleet's images in a world after version v with image.keep = keep:
// the newest keep are registered with their snapshots, the older ones deregistered with
// their snapshots deleted, and the seed's own image untouched.
func checkImages(t *testing.T, w *simulator.World, v, keep int) {
	t.Helper()
	snapshots := map[string]bool{}
	for _, sn := range w.Snapshots {
		snapshots[sn.ID] = true
	}
	var registered, deregistered []string
	baked := 0
	for _, im := range w.Images {
		if im.Tags[cloud.TagFleet] != "web" {
			if im.State != "available" {
				t.Errorf("version %d: image %s (%s) not baked by albctl is %s", v, im.ID, im.Name, im.State)
			}
			continue
		}
		baked++
		if len(im.Snapshots) != 1 {
			t.Errorf("version %d: image %s (%s) names snapshots %v, want its root snapshot", v, im.ID, im.Name, im.Snapshots)
		}
		for _, sn := range im.Snapshots {
			if snapshots[sn] != (im.State != "deregistered") {
				t.Errorf("version %d: image %s (%s) is %s, and its snapshot %s exists: %v", v, im.ID, im.Name, im.State, sn, snapshots[sn])
			}
		}
		if im.State == "deregistered" {
			deregistered = append(deregistered, im.Name)
		} else {
			registered = append(registered, im.Name)
		}
	}
	var want []string
	for i := max(1, v-keep+1); i <= v; i++ {
		want = append(want, "web-"+strconv.Itoa(i))
	}
	slices.Sort(registered)
	if !slices.Equal(registered, want) {
		t.Errorf("version %d: registered images %v, want %v", v, registered, want)
	}
	if baked != v || len(deregistered) != v-len(want) {
		t.Errorf("version %d: %d images baked, %d deregistered (%v); want %d and %d", v, baked, len(deregistered), deregistered, v, v-len(want))
	}
	if len(w.Snapshots) != len(want) {
		t.Errorf("version %d: %d snapshots, want the %d of the kept images", v, len(w.Snapshots), len(want))
	}
}
