package plan

import (
	"fmt"
	"slices"

	"github.com/albctl/albctl/internal/clock"
)

// rollout plans the replacement of members that run an older image version, surge-first and
// in batches, as EC2 Auto Scaling's instance refresh does (docs/design.md, "Rollouts"):
//
//   - the fleet's desired count N (the zone counts, the source included) and the rollout's
//     min_healthy_percent give the members that must serve at every moment,
//     ceil(N × percent / 100); N minus that is the slack;
//   - a batch replaces max_surge + slack members: for the first `slack` of them the old member
//     leaves service as the batch starts; for the others the new member is launched first and
//     the old one is deregistered only once its replacement is healthy;
//   - a batch starts once the previous batch's new members are healthy, its old members are
//     deregistered, and bake_time has passed;
//   - an old member is terminated after its draining (the deregistration delay), which overlaps
//     the next batch.
//
// A new member's wait for health is bounded by health_timeout; with auto_rollback, the engine
// then deregisters and terminates it and the apply stops with the old members serving.
func (b *builder) rollout(fp *fleetPlan) {
	gated := b.checkGates(fp.f) && fp.f.Rollout.Gates.Any()
	if len(fp.replacements) == 0 && (!gated || len(fp.resumed) == 0) {
		return
	}
	b.image(fp)
	b.warnRolledBack(fp)
	f := fp.f
	r := f.Rollout
	desired := 0
	for _, z := range f.Zones {
		desired += z.Count
	}
	minHealthy := (desired*r.MinHealthyPercent + 99) / 100
	slack := desired - minHealthy
	size := max(1, r.MaxSurge+slack)
	rollback := &RollbackParams{HealthTimeout: clock.Duration(r.HealthTimeout), Auto: r.AutoRollback}
	firstRemoval := len(b.removals)
	var undo GateRollback // what a gate's rollback undoes: everything replaced so far
	if gated {
		undo = b.resumedUndo(fp)
	}
	lastGate := ""

	var start []string // what the current batch waits for
	for first, batch := 0, 1; first < len(fp.replacements); first, batch = first+size, batch+1 {
		done := min(first+size, len(fp.replacements))
		group := fp.replacements[first:done]
		var registers, deregisters []string
		for k := range group {
			rp := &group[k]
			reason := fmt.Sprintf("rollout batch %d: %s", batch, fp.staleBecause(rp.stale[0]))
			if lastGate != "" {
				reason += "; starts once " + lastGate + " passes"
			}
			launch := b.launch(fp, rp.az, rp.n, reason, rp.stale[0])
			if launch == "" {
				continue
			}
			b.steps[launch].dependOn(start...)
			reg := b.registerNew(fp, launch, rollback)
			rp.launch, rp.register = launch, reg
			registers = append(registers, reg)
			undo.Remove = append(undo.Remove, *b.steps[reg].Target)
			deregisters = append(deregisters, b.retireStale(fp, rp, batch, k < slack, start, &undo)...)
			if gated {
				b.steps[reg].Target.Rollback = fleetRollback(fp, rollback, batch, undo)
			}
		}
		start = append(registers, deregisters...)
		resumed := len(fp.resumed)
		if cp := checkpointAt(r.Gates.Checkpoints, resumed+first, resumed+done, resumed+len(fp.replacements)); gated && cp > 0 {
			lastGate = b.gate(fp, batch, cp, resumed+done, start, cloneUndo(undo))
			start = append(start, lastGate)
		} else if r.BakeTime > 0 && done < len(fp.replacements) {
			id := fmt.Sprintf("wait.%s.batch-%d", f.Label, batch)
			b.add(&Step{
				ID:        id,
				Kind:      Wait,
				Resource:  fmt.Sprintf("fleet %s", f.Label),
				Reason:    fmt.Sprintf("bake_time: batch %d must stay healthy for %s before batch %d starts", batch, humanDuration(r.BakeTime), batch+1),
				DependsOn: registers,
				Wait:      &WaitParams{Duration: clock.Duration(r.BakeTime)},
			})
			start = append(start, id)
		}
	}
	if gated {
		b.keepOldUntilDone(fp, lastGate, firstRemoval, undo)
	}
	if fp.src != nil {
		b.warnf("fleet %q: rollout replaces %d member(s) in batches of %d; the source %s is not replaced (it is the image's origin)", f.Label, len(fp.replacements), size, fp.src.ID)
	}
	// bake_time waits between batches: with one batch it has nothing to wait between, and
	// saying nothing would let a reviewer believe the new members are watched (docs/plans.md).
	if r.BakeTime > 0 && len(fp.replacements) > 0 && len(fp.replacements) <= size {
		b.warnf("fleet %q: bake_time = %s is not used: the rollout is one batch of %d, and bake_time waits between batches", f.Label, humanDuration(r.BakeTime), len(fp.replacements))
	}
}

// retireStale plans the removal of a replaced slot's old members and returns the IDs of
// their deregistrations; dropFirst lets them leave service as the batch starts (the
// min_healthy_percent slack). Each one taken out of service is added to undo (undoOld).
func (b *builder) retireStale(fp *fleetPlan, rp *replacement, batch int, dropFirst bool, start []string, undo *GateRollback) []string {
	f := fp.f
	newName := b.steps[rp.launch].Launch.Tags["Name"]
	var deregisters []string
	for _, in := range rp.stale {
		after := []string{rp.register}
		why := fmt.Sprintf("%s: replaced by the new %s (rollout batch %d); deregistered once the replacement is healthy", fp.staleBecause(in), newName, batch)
		if dropFirst {
			after = append([]string{}, start...)
			if fp.imageStep != "" {
				after = append(after, fp.imageStep)
			}
			why = fmt.Sprintf("%s: replaced by the new %s (rollout batch %d); min_healthy_percent = %d lets it leave service as the batch starts", fp.staleBecause(in), newName, batch, f.Rollout.MinHealthyPercent)
		}
		b.removals = append(b.removals, removal{fleet: f.Label, tg: fp.tg, instance: in, after: after, rollout: true, reason: why})
		if t, ok := b.idx.registered(fp.tg, in.ID); ok {
			deregisters = append(deregisters, b.deregisterID(f.Label, in.ID))
			b.undoOld(fp, in, t.Port, undo)
		}
	}
	return deregisters
}

func cloneUndo(u GateRollback) GateRollback {
	// Restore and Remove are always lists in the plan's JSON (docs/plan-json.md), empty ones
	// included.
	out := GateRollback{Restore: append([]TargetParams{}, u.Restore...), Relaunch: slices.Clone(u.Relaunch), Remove: append([]TargetParams{}, u.Remove...)}
	for i := range out.Remove {
		out.Remove[i].Rollback = nil
	}
	return out
}

// deregisterID is the ID retire gives the deregistration of instance id of fleet.
func (b *builder) deregisterID(fleet, id string) string {
	return fmt.Sprintf("deregister_target.%s.%s", fleet, id)
}

// keepOldUntilDone makes every old member of a rollout with gates (those of this plan's
// batches, from b.removals[first:], and those an interrupted run replaced) wait for the last
// gate before it is terminated, when the rollout keeps them (keep_old = "until_done"); when
// the interruption came after the last batch, it plans that last gate again, kept or not.
func (b *builder) keepOldUntilDone(fp *fleetPlan, lastGate string, first int, undo GateRollback) {
	if lastGate == "" {
		lastGate = b.gate(fp, 1, 100, len(fp.resumed), nil, cloneUndo(undo))
	}
	if !keepsOld(fp.f) {
		return // terminated as replaced: a rollback relaunches them (relaunch.go)
	}
	for i := first; i < len(b.removals); i++ {
		b.removals[i].terminateAfter = []string{lastGate}
	}
	for _, rs := range fp.resumed {
		b.removals[rs.removal].terminateAfter = []string{lastGate}
	}
}
