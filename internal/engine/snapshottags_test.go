package engine_test

import (
	"context"
	"github.com/albctl/albctl/internal/testkit"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
)

// deniedTags is an EC2 whose CreateTags AWS refuses (a policy without the snapshot
// statement): the apply stops after the image is baked and before its snapshots are tagged.
type deniedTags struct{ cloud.EC2 }

func (deniedTags) CreateTags(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}
}

// bakedSnapshotTags returns, for each snapshot of an image albctl baked, whether it carries
// every tag of its image (docs/security.md, "Snapshots").
func bakedSnapshotTags(t *testing.T, sim *simulator.Sim) map[string]bool {
	t.Helper()
	w := sim.World()
	out := map[string]bool{}
	for _, im := range w.Images {
		if im.Tags[cloud.TagStack] == "" {
			continue
		}
		for _, id := range im.Snapshots {
			for _, sn := range w.Snapshots {
				if sn.ID != id {
					continue
				}
				got := map[string]string{}
				for k := range im.Tags {
					if v, ok := sn.Tags[k]; ok {
						got[k] = v
					}
				}
				out[id] = maps.Equal(got, im.Tags)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the apply baked no image with a snapshot: the test checks nothing")
	}
	return out
}

// The engine tags the snapshots of each image it bakes with the image's tags, the tag that
// DeleteSnapshot is conditioned on; an apply stopped before tagging converges when the same
// plan is applied again, without baking twice.
func TestBakedSnapshotsCarryTheImageTags(t *testing.T) {
	t.Run("apply", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		if _, err := apply(t, sim, planFor(t, sim, blogStack(t)), engine.Options{}); err != nil {
			t.Fatal(err)
		}
		for id, ok := range bakedSnapshotTags(t, sim) {
			if !ok {
				t.Errorf("snapshot %s lacks its image's tags", id)
			}
		}
		// A plan reads them back: the world it plans from knows them tagged for the stack.
		w, err := cloud.Observe(context.Background(), testkit.API(sim), plan.QueryOf(blogStack(t)))
		if err != nil {
			t.Fatal(err)
		}
		for id := range bakedSnapshotTags(t, sim) {
			if !w.SnapshotTagged(id, "web-tg") {
				t.Errorf("the observed world does not have snapshot %s tagged for web-tg: %+v", id, w.Snapshots)
			}
		}
	})
	t.Run("stopped before tagging, then resumed", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		p := planFor(t, sim, blogStack(t))
		api := testkit.API(sim)
		api.EC2 = deniedTags{api.EC2}
		if _, err := engine.Apply(context.Background(), p, api, engine.Options{Clock: sim.Clock()}); err == nil {
			t.Fatal("apply with CreateTags denied succeeded")
		}
		for id, ok := range bakedSnapshotTags(t, sim) {
			if ok {
				t.Fatalf("snapshot %s tagged although CreateTags was denied: the case tests nothing", id)
			}
		}
		sim.ResetCalls()
		if _, err := apply(t, sim, p, engine.Options{}); err != nil {
			t.Fatalf("resume: %v", err)
		}
		if c := sim.Calls()["CreateImage"]; c != 0 {
			t.Errorf("CreateImage called %d times on resume", c)
		}
		for id, ok := range bakedSnapshotTags(t, sim) {
			if !ok {
				t.Errorf("snapshot %s still lacks its image's tags after the resume", id)
			}
		}
	})
	t.Run("stopped before tagging, then re-planned", func(t *testing.T) {
		sim := testkit.NewSim(t, simulator.SeedWorld())
		s := blogStack(t)
		api := testkit.API(sim)
		api.EC2 = deniedTags{api.EC2}
		if _, err := engine.Apply(context.Background(), planFor(t, sim, s), api, engine.Options{Clock: sim.Clock()}); err == nil {
			t.Fatal("apply with CreateTags denied succeeded")
		}
		p := planFor(t, sim, s)
		if !slices.ContainsFunc(p.Steps, func(st plan.Step) bool { return st.Kind == plan.TagSnapshots }) {
			t.Fatalf("the re-plan does not tag the snapshots: %v", p.Steps)
		}
		testkit.ConvergeSim(t, sim, s)
		for id, ok := range bakedSnapshotTags(t, sim) {
			if !ok {
				t.Errorf("snapshot %s still lacks its image's tags after the re-plan's apply", id)
			}
		}
	})
}

// A tag_snapshots step tags only what the cloud says backs the image, and only while the
// image carries the stack's tag: a plan edited to name another snapshot (a backup) cannot
// make it deletable.
func TestTagSnapshotsTrustsTheCloudNotThePlan(t *testing.T) {
	sim := testkit.NewSim(t, simulator.SeedWorld())
	if _, err := apply(t, sim, planFor(t, sim, blogStack(t)), engine.Options{}); err != nil {
		t.Fatal(err)
	}
	var baked simulator.Image
	for _, im := range sim.World().Images {
		if im.Tags[cloud.TagStack] == "web-tg" {
			baked = im
		}
	}
	other, otherSnaps := bakeUnused(t, sim, "backup-1") // untagged: not albctl's
	tags := map[string]string{cloud.TagStack: "web-tg", cloud.TagFleet: "web"}
	cases := []struct {
		name  string
		image string
		snaps []string
		want  string
	}{
		{"a snapshot of another image", baked.ID, otherSnaps, "does not back image"},
		{"an image without the stack's tag", other, otherSnaps, "not albctl's to tag"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &plan.Plan{Steps: []plan.Step{{ID: "tag_snapshots." + tc.image, Kind: plan.TagSnapshots, Resource: "snapshots",
				Snapshots: &plan.SnapshotTagParams{ImageID: tc.image, SnapshotIDs: tc.snaps, Tags: tags}}}}
			sim.ResetCalls()
			_, err := apply(t, sim, p, engine.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("apply = %v, want a refusal saying %q", err, tc.want)
			}
			if c := sim.Calls()["CreateTags"]; c != 0 {
				t.Errorf("CreateTags called %d times", c)
			}
		})
	}
}
