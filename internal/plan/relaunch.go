package plan

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// A rollout with gates that does not keep its old members (keep_old unset) terminates each
// one as it is replaced, like any rollout; a rollback then launches each terminated old
// member anew from the image it ran, registers it, and waits for it to be healthy before the
// new members leave (docs/plans.md, "Gates, checkpoints and rollback").

// keepsOld reports whether the fleet's rollout keeps its old members until it is done, so a
// rollback registers them again rather than relaunching them.
func keepsOld(f *specs.Fleet) bool {
	return f.Rollout.Gates.KeepOld == specs.KeepOldUntilDone
}

// undoOld adds an old member taken out of service (registered on port) to what a gate's
// rollback undoes: registered again when it still runs at the rollback (kept until the
// last gate, or not albctl's and so never terminated), relaunched otherwise.
func (b *builder) undoOld(fp *fleetPlan, in *cloud.Instance, port int32, undo *GateRollback) {
	if keepsOld(fp.f) || in.Tags[cloud.TagFleet] == "" {
		undo.Restore = append(undo.Restore, TargetParams{TargetGroupARN: fp.tg.ARN, InstanceID: in.ID, Port: port, AZ: in.AZ, Name: nameOf(in)})
		return
	}
	if rl, ok := b.relaunchOf(fp, in, port); ok {
		undo.Relaunch = append(undo.Relaunch, rl)
	}
}

// relaunchOf is the launch that puts old member in back: the image it runs (which must
// still exist: the plan refuses otherwise, naming the rollout block), its subnet, type,
// key, groups, profile and tags. The ClientToken covers the old member and the version
// rolled out, so every gate of this rollout relaunches it with the same token and a retried
// rollback finds the instance it launched.
func (b *builder) relaunchOf(fp *fleetPlan, in *cloud.Instance, port int32) (RelaunchParams, bool) {
	f := fp.f
	im, ok := b.imageByID(in.ImageID)
	if !ok || (im.State != "available" && im.State != "") {
		state := "not found in the account"
		if ok {
			state = "in state " + im.State
		}
		if b.noRelaunch[f.Label+"\x00"+in.ImageID] {
			return RelaunchParams{}, false
		}
		b.noRelaunch[f.Label+"\x00"+in.ImageID] = true
		b.errorf(f.Rollout.DeclRange, "Gates need the previous image",
			"fleet %q has gates without keep_old = \"until_done\": a rollback relaunches the old members from the image they run, and %s (image of %s) is %s. Restore the image, or add keep_old = \"until_done\" so that a rollback registers the old members again instead.", f.Label, in.ImageID, displayName(in), state)
		return RelaunchParams{}, false
	}
	tags := map[string]string{}
	for k, v := range in.Tags {
		if !strings.HasPrefix(k, "aws:") {
			tags[k] = v
		}
	}
	slot, _ := slotNumber(in, in.AZ)
	ref := "relaunch\x00" + in.ID + "\x00" + cmp.Or(f.Image.Name, f.Image.ID) + "\x00" + f.Image.Version
	return RelaunchParams{
		TargetGroupARN: fp.tg.ARN, Port: port, Name: nameOf(in),
		Launch: LaunchParams{
			ImageID: in.ImageID, ImageName: im.Name, AZ: in.AZ, SubnetID: in.SubnetID,
			InstanceType: in.InstanceType, KeyName: in.KeyName, SecurityGroupIDs: append([]string(nil), in.SecurityGroupIDs...),
			IAMProfile: in.IAMProfileARN, ClientToken: clientToken(fp.tg.Name, f.Label, in.AZ, slot, ref),
			Tags: tags, Replaces: in.ID,
		},
	}, true
}

// relaunchImages are the images some gate's rollback would relaunch from: image clean-up
// keeps them (cleanImages), whatever image.keep says, until a plan without that rollout.
func (b *builder) relaunchImages() map[string]bool {
	out := map[string]bool{}
	for _, s := range b.steps {
		if s.Gate == nil {
			continue
		}
		for _, r := range s.Gate.Rollback.Relaunch {
			out[r.Launch.ImageID] = true
		}
	}
	return out
}

// undoNote is what a gate's reason says it puts back on a breach.
func undoNote(rb GateRollback) string {
	restore := fmt.Sprintf("the %d old member(s) out of service are registered again", len(rb.Restore))
	if len(rb.Relaunch) == 0 {
		return restore
	}
	var names []string
	for _, r := range rb.Relaunch {
		names = append(names, cmp.Or(r.Name, r.Launch.Replaces))
	}
	relaunch := fmt.Sprintf("the %d old member(s) the rollout terminated (%s) are relaunched from the image they ran", len(rb.Relaunch), strings.Join(names, ", "))
	if len(rb.Restore) == 0 {
		return relaunch
	}
	return restore + ", " + relaunch
}
