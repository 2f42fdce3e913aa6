package integration

import (
	"context"
	"github.com/albctl/albctl/internal/testkit"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// TestMotoSnapshotTagsAndCleanup: through the real SDK clients, the snapshot of every image
// apply bakes carries the image's tags (CreateTags after CreateImage, docs/security.md,
// "Snapshots"), image clean-up deletes a tagged snapshot with its image, and an untagged one
// (an image of an older albctl) is tagged by the plan's tag_snapshots step, then deleted.
func TestMotoSnapshotTagsAndCleanup(t *testing.T) {
	m := newMoto(t)
	m.seed(t, simulator.SeedWorld())
	api, wall := m.api(), motoClock()
	dir := blogWithZones(t, "ap-northeast-1a=1", "ap-northeast-1d=1")
	at := func(version string) *specs.Stack {
		s, _, diags := specs.Load(dir, specs.Options{Vars: []string{"app_version=" + version}})
		if diags.HasErrors() {
			t.Fatalf("load: %v", diags)
		}
		return s
	}
	versions := []string{"2023-05-14", "2024-01-01", "2024-02-01"}
	snaps := map[string][]string{} // image version -> its snapshots
	var imageTags []ec2types.Tag
	for _, v := range versions[:2] {
		nextBakeSecond()
		testkit.Converge(t, "moto", api, wall, at(v))
		im := bakedImage(t, api, "web-"+v)
		snaps[v], imageTags = imageSnapshots(im), im.Tags
		if len(snaps[v]) == 0 {
			t.Fatalf("image web-%s lists no snapshot", v)
		}
		for _, sn := range describeSnapshots(t, api, snaps[v]) {
			for _, tag := range im.Tags {
				if got := cloud.TagMap(sn.Tags)[aws.ToString(tag.Key)]; got != aws.ToString(tag.Value) {
					t.Errorf("snapshot %s of web-%s: tag %s = %q, want the image's %q", aws.ToString(sn.SnapshotId), v, aws.ToString(tag.Key), got, aws.ToString(tag.Value))
				}
			}
		}
	}

	// The first image's snapshot as an older albctl left it: untagged.
	old := snaps[versions[0]]
	var keys []ec2types.Tag
	for _, tag := range imageTags {
		keys = append(keys, ec2types.Tag{Key: tag.Key})
	}
	if _, err := m.ec2.DeleteTags(context.Background(), &ec2.DeleteTagsInput{Resources: old, Tags: keys}); err != nil {
		t.Fatal(err)
	}
	for _, sn := range describeSnapshots(t, api, old) {
		if len(sn.Tags) != 0 {
			t.Fatalf("snapshot %s still has tags %v: the case tests nothing", aws.ToString(sn.SnapshotId), cloud.TagMap(sn.Tags))
		}
	}
	// keep = 2 retires web-2023-05-14 at the next bump: the plan tags its snapshot first
	// (tag on the next run, docs/security.md "Snapshots"), then deletes it with the image.
	nextBakeSecond()
	plans := testkit.Converge(t, "moto", api, wall, at(versions[2]))
	tag, cleanup := stepOf(plans[0], plan.TagSnapshots), stepOf(plans[0], plan.DeregisterImage)
	switch {
	case tag == nil || cleanup == nil:
		t.Fatalf("the bump to %s does not tag and retire web-%s:\n%s", versions[2], versions[0], testkit.Steps(plans[0]))
	case !slices.Equal(tag.Snapshots.SnapshotIDs, old) || !slices.Equal(cleanup.Cleanup.SnapshotIDs, old):
		t.Errorf("tag %v then delete %v, want %v both", tag.Snapshots.SnapshotIDs, cleanup.Cleanup.SnapshotIDs, old)
	case !slices.Contains(cleanup.DependsOn, tag.ID):
		t.Errorf("%s does not wait for %s", cleanup.ID, tag.ID)
	}
	if left := describeSnapshots(t, api, old); len(left) != 0 {
		t.Errorf("the snapshots of the retired web-%s are left: %v", versions[0], left)
	}

	// The bump after retires web-2024-01-01, whose snapshot albctl tagged: it goes with it.
	nextBakeSecond()
	testkit.Converge(t, "moto", api, wall, at("2024-03-01"))
	if left := describeSnapshots(t, api, snaps[versions[1]]); len(left) != 0 {
		t.Errorf("the tagged snapshots of web-%s outlived their image: %v", versions[1], left)
	}
}

// stepOf is the first step of kind k, or nil.
func stepOf(p *plan.Plan, k plan.Kind) *plan.Step {
	for i := range p.Steps {
		if p.Steps[i].Kind == k {
			return &p.Steps[i]
		}
	}
	return nil
}

// bakedImage is the available image named name.
func bakedImage(t *testing.T, api cloud.API, name string) ec2types.Image {
	t.Helper()
	out, err := api.EC2.DescribeImages(context.Background(), &ec2.DescribeImagesInput{
		Owners: []string{"self"}, Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range out.Images {
		if im.State == ec2types.ImageStateAvailable {
			return im
		}
	}
	t.Fatalf("no available image %s", name)
	return ec2types.Image{}
}

func imageSnapshots(im ec2types.Image) []string {
	var ids []string
	for _, b := range im.BlockDeviceMappings {
		if b.Ebs != nil && aws.ToString(b.Ebs.SnapshotId) != "" {
			ids = append(ids, aws.ToString(b.Ebs.SnapshotId))
		}
	}
	return ids
}

// describeSnapshots lists those of ids that exist (by filter: a deleted one is not an error).
func describeSnapshots(t *testing.T, api cloud.API, ids []string) []ec2types.Snapshot {
	t.Helper()
	out, err := api.EC2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{
		Filters: []ec2types.Filter{{Name: aws.String("snapshot-id"), Values: ids}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Snapshots
}
