package engine_test

import (
	"context"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/simulator"
)

// The apply policy lets albctl delete only snapshots tagged albctl:stack
// (docs/security.md, "IAM permissions"): the image albctl bakes must hand its tags to its
// snapshot, or a later cleanup of that image is denied on AWS.
func TestCreateImageTagsItsSnapshot(t *testing.T) {
	sim := newSim(t, simulator.SeedWorld())
	p := planFor(t, sim, blogStack(t))
	if _, err := engine.Apply(context.Background(), p, apiOf(sim), engine.Options{Clock: sim.Clock()}); err != nil {
		t.Fatal(err)
	}
	w := sim.World()
	snapTags := map[string]map[string]string{}
	for _, s := range w.Snapshots {
		snapTags[s.ID] = s.Tags
	}
	baked := 0
	for _, im := range w.Images {
		stack := im.Tags[cloud.TagStack]
		if stack == "" {
			continue
		}
		baked++
		if len(im.Snapshots) == 0 {
			t.Errorf("image %s has no snapshot", im.ID)
		}
		for _, id := range im.Snapshots {
			if got := snapTags[id][cloud.TagStack]; got != stack {
				t.Errorf("snapshot %s of image %s: %s = %q, want %q", id, im.ID, cloud.TagStack, got, stack)
			}
		}
	}
	if baked == 0 {
		t.Fatal("the apply baked no image")
	}
}
