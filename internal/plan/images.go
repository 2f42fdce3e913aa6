package plan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
)

// image returns where the fleet's launches get their image: the step that bakes it, or the
// ID of an image that exists (baked earlier, perhaps still pending, or named by ID).
func (b *builder) image(fp *fleetPlan) (step, id string) {
	if fp.imageDone {
		return fp.imageStep, fp.imageID
	}
	fp.imageDone = true
	f, src, tg := fp.f, fp.src, fp.tg
	if f.Image.ID != "" {
		im, ok := b.imageByID(f.Image.ID)
		switch {
		case !ok:
			b.errorf(f.Image.NameRange, "Image not found", "fleet %q: image %s does not exist (or this account cannot see it), so every launch would fail with InvalidAMIID.NotFound", f.Label, f.Image.ID)
		case im.State != "available":
			b.errorf(f.Image.NameRange, "Image not available", "fleet %q: image %s (%s) is %s; launches need an available image", f.Label, im.ID, im.Name, im.State)
		}
		fp.imageID = f.Image.ID
		return "", fp.imageID
	}
	if im, ok := b.world.ImageByName(f.Image.Name); ok {
		fp.imageID = im.ID
		return "", im.ID
	}
	s := &Step{
		ID:       "create_image." + f.Label,
		Kind:     CreateImage,
		Resource: "image " + f.Image.Name,
		Reason: fmt.Sprintf("new instances must boot what %s runs now, not its original AMI %s (\"launch more like this\" copies settings, not the disk)",
			src.ID, src.ImageID),
		Image: &ImageParams{
			SourceInstanceID: src.ID,
			Name:             f.Image.Name,
			NoReboot:         f.Image.NoReboot,
			Tags: map[string]string{
				cloud.TagStack:        tg.Name,
				cloud.TagFleet:        f.Label,
				cloud.TagImageVersion: f.Image.Version,
				"Name":                f.Image.Name,
			},
		},
	}
	switch {
	case src.State == "stopped":
		s.Reason += "; the source is stopped, so EC2 does not reboot it"
	case !f.Image.NoReboot && b.onlyHealthyTarget(tg, src.ID):
		s.Warning = fmt.Sprintf("OUTAGE: CreateImage reboots %s (no_reboot = false), and it is the only healthy target of %s: requests fail until it passes its health checks again. Set no_reboot = true, or accept the outage.", src.ID, tg.Name)
		b.warnings = append(b.warnings, s.Warning)
	case !f.Image.NoReboot:
		if t, ok := b.idx.registered(tg, src.ID); ok && t.State == "healthy" {
			s.Reason += fmt.Sprintf("; CreateImage reboots %s (no_reboot = false): its share of requests fails until %s takes it out of service", src.ID, tg.Name)
		}
	}
	b.add(s)
	fp.imageStep = s.ID
	return s.ID, ""
}

func (b *builder) imageByID(id string) (*cloud.Image, bool) {
	for i := range b.world.Images {
		if b.world.Images[i].ID == id {
			return &b.world.Images[i], true
		}
	}
	return nil, false
}

func (b *builder) onlyHealthyTarget(tg *cloud.TargetGroup, id string) bool {
	healthy := 0
	self := false
	for _, t := range tg.Targets {
		if t.State == "healthy" {
			healthy++
			self = self || t.ID == id
		}
	}
	return self && healthy == 1
}

// validateLaunches plans a RunInstances DryRun for each subnet the fleet launches into when
// baking the image reboots a serving source: parameters that would make a launch fail
// (profile, type, subnet, groups) then fail before the reboot, not after it.
func (b *builder) validateLaunches(fp *fleetPlan) {
	img, ok := b.steps[fp.imageStep]
	if !ok || img.Image.NoReboot || fp.src.State != "running" {
		return
	}
	if _, serving := b.idx.registered(fp.tg, fp.src.ID); !serving {
		return
	}
	seen := map[string]bool{}
	for _, l := range fp.launches {
		ls := b.steps[l].Launch
		if seen[ls.SubnetID] {
			continue
		}
		seen[ls.SubnetID] = true
		// Named by zone, not subnet ID, so that the same plan has the same step IDs in every
		// account (the simulator, moto, AWS); a fleet launches into one subnet per zone.
		p := *ls
		p.ImageID, p.ImageStep = fp.src.ImageID, "" // the image to bake does not exist yet
		p.SecurityGroupIDs = slices.Clone(ls.SecurityGroupIDs)
		p.Tags = maps.Clone(ls.Tags) // tag specifications are validated too
		p.Replaces = ""
		id := fmt.Sprintf("validate_launch.%s.%s", fp.f.Label, ls.AZ)
		b.add(&Step{
			ID:       id,
			Kind:     ValidateLaunch,
			Resource: "launch parameters in " + ls.SubnetID,
			Reason:   fmt.Sprintf("RunInstances with DryRun proves the launch parameters (profile, %s, subnet, security groups) before CreateImage reboots %s", p.InstanceType, fp.src.ID),
			Launch:   &p,
		})
		img.dependOn(id)
	}
}

// cleanImages deregisters the images albctl baked for a fleet beyond image.keep (the newest
// are kept, the one the spec names first), once no instance uses them: those that only
// members terminated by this plan use go after those terminations.
func (b *builder) cleanImages() {
	relaunch := b.relaunchImages() // a gate's rollback may still need them (relaunch.go)
	for i := range b.stack.Fleets {
		f := &b.stack.Fleets[i]
		tg, ok := b.fleetTG[f.Label]
		if !ok {
			continue
		}
		var baked []*cloud.Image
		for j := range b.world.Images {
			im := &b.world.Images[j]
			// A deregistered image is still listed for a while; it is gone already.
			if im.Tags[cloud.TagFleet] == f.Label && im.Tags[cloud.TagStack] == tg.Name && im.State != "deregistered" {
				baked = append(baked, im)
			}
		}
		slices.SortFunc(baked, func(x, y *cloud.Image) int {
			if c := y.Created.Compare(x.Created); c != 0 {
				return c
			}
			return strings.Compare(y.ID, x.ID)
		})
		kept := 1 // the spec's image, baked or to be baked
		for _, im := range baked {
			b.tagSnapshots(im)
			if im.Name == f.Image.Name || im.ID == f.Image.ID {
				continue
			}
			if relaunch[im.ID] {
				continue
			}
			if kept < f.Image.Keep || im.State == "pending" {
				kept++
				continue
			}
			b.cleanImage(f.Label, f.Image.Keep, im)
		}
	}
}

func (b *builder) cleanImage(fleet string, keep int, im *cloud.Image) {
	var after []string
	for _, user := range b.idx.imageUsers[im.ID] {
		id := b.terminateID(fleet, user.ID)
		if _, ok := b.steps[id]; !ok {
			return // still in use by an instance that stays: kept until it goes
		}
		after = append(after, id)
	}
	s := &Step{
		ID:        "deregister_image." + im.ID,
		Kind:      DeregisterImage,
		Resource:  fmt.Sprintf("image %s (%s)", cmp.Or(im.Name, im.ID), im.ID),
		Reason:    fmt.Sprintf("fleet %q keeps its %d newest images (image.keep); %s is older and unused once its members are gone, so it goes with its snapshots", fleet, keep, cmp.Or(im.Name, im.ID)),
		DependsOn: after,
		Cleanup:   &CleanupParams{ImageID: im.ID, ImageName: im.Name},
	}
	s.Cleanup.SnapshotIDs, s.Warning = b.snapshotsToDelete(im)
	if s.Warning != "" {
		b.warnings = append(b.warnings, s.Warning)
	}
	if _, ok := b.steps[tagStepID(im)]; ok {
		s.dependOn(tagStepID(im)) // deleted once tagged: DeleteSnapshot needs the tag
	}
	b.add(s)
}

func tagStepID(im *cloud.Image) string { return "tag_snapshots." + im.ID }

// snapshotTagKeys are the image tags its snapshots get: the keys the apply policy lets
// albctl write on a snapshot (internal/iampolicy, docs/security.md).
var snapshotTagKeys = []string{"Name", cloud.TagFleet, cloud.TagImageVersion, cloud.TagStack}

// untaggedSnapshots are the snapshots of an image albctl baked that the world read without
// an albctl:stack tag.
func (b *builder) untaggedSnapshots(im *cloud.Image) []string {
	var out []string
	for _, id := range im.SnapshotIDs {
		i := slices.IndexFunc(b.world.Snapshots, func(sn cloud.Snapshot) bool { return sn.ID == id })
		if i < 0 {
			continue // gone, or another account's
		}
		if _, ok := b.world.Snapshots[i].Tags[cloud.TagStack]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// tagSnapshots plans tagging the untagged snapshots of an available image albctl baked for
// the stack (an apply stopped between the bake and the tagging, or an albctl that did not tag
// snapshots), so that they can be deleted with the image when it is retired
// (docs/security.md, "Snapshots"). A pending image's snapshots are tagged by the step that
// bakes it, or by a later plan; a failed image's are left (snapshotsToDelete warns).
func (b *builder) tagSnapshots(im *cloud.Image) {
	ids := b.untaggedSnapshots(im)
	if len(ids) == 0 || im.State != "available" {
		return
	}
	verb := "lack"
	if len(ids) == 1 {
		verb = "lacks"
	}
	tags := map[string]string{}
	for _, k := range snapshotTagKeys {
		if v, ok := im.Tags[k]; ok {
			tags[k] = v
		}
	}
	b.add(&Step{
		ID:       tagStepID(im),
		Kind:     TagSnapshots,
		Resource: fmt.Sprintf("snapshots of image %s (%s)", cmp.Or(im.Name, im.ID), im.ID),
		Reason: fmt.Sprintf("%s %s the %s tag the image carries (an apply stopped between baking the image and tagging its snapshots, or an albctl that did not tag snapshots); albctl deletes only snapshots it tagged when it retires an image",
			strings.Join(ids, ", "), verb, cloud.TagStack),
		Snapshots: &SnapshotTagParams{ImageID: im.ID, ImageName: im.Name, SnapshotIDs: ids, Tags: tags},
	})
}

// snapshotsToDelete are the snapshots of an image to clean up that carry albctl's tag for
// the stack, or will once its tag_snapshots step has run (DeleteSnapshot is granted on those
// only). Any other is left, with a warning: one tagged for another stack (albctl does not
// take over what another stack tagged), or an untagged one of an image that is not available
// (failed). A snapshot the world did not see is gone already (or another account's):
// nothing to delete.
func (b *builder) snapshotsToDelete(im *cloud.Image) (ids []string, warning string) {
	stack := im.Tags[cloud.TagStack]
	var untagged []string
	if _, ok := b.steps[tagStepID(im)]; ok {
		untagged = b.untaggedSnapshots(im)
	}
	var foreign []string
	for _, id := range im.SnapshotIDs {
		switch {
		case b.world.SnapshotTagged(id, stack), slices.Contains(untagged, id):
			ids = append(ids, id)
		case b.world.SnapshotSeen(id):
			foreign = append(foreign, id)
		}
	}
	if len(foreign) == 0 {
		return ids, ""
	}
	return ids, fmt.Sprintf("image %s: snapshot %s does not carry %s=%s (tagged for another stack, or of an image that never became available), so it is left in place: albctl deletes only the snapshots it tagged for %s. Delete it by hand once nothing needs it.",
		cmp.Or(im.Name, im.ID), strings.Join(foreign, ", "), cloud.TagStack, stack, stack)
}
