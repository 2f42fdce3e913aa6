package plan

import (
	"fmt"
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
	if len(fp.replacements) == 0 {
		return
	}
	f := fp.f
	r := f.Rollout
	desired := 0
	for _, z := range f.Zones {
		desired += z.Count
	}
	minHealthy := (desired*r.MinHealthyPercent + 99) / 100
	slack := desired - minHealthy
	size := max(1, r.MaxSurge+slack)
	rollback := &RollbackParams{HealthTimeout: Duration(r.HealthTimeout), Auto: r.AutoRollback}

	var start []string // what the current batch waits for
	for first, batch := 0, 1; first < len(fp.replacements); first, batch = first+size, batch+1 {
		group := fp.replacements[first:min(first+size, len(fp.replacements))]
		var registers, deregisters []string
		for k := range group {
			rp := &group[k]
			old := rp.stale[0]
			reason := fmt.Sprintf("rollout batch %d: %s", batch, fp.staleBecause(old))
			launch := b.launch(fp, rp.az, rp.n, reason, old)
			if launch == "" {
				continue
			}
			b.steps[launch].dependOn(start...)
			reg := b.registerNew(fp, launch, rollback)
			rp.launch, rp.register = launch, reg
			registers = append(registers, reg)
			dropFirst := k < slack
			for _, in := range rp.stale {
				after := []string{reg}
				why := fmt.Sprintf("%s: replaced by the new %s (rollout batch %d); deregistered once the replacement is healthy", fp.staleBecause(in), b.steps[launch].Launch.Tags["Name"], batch)
				if dropFirst {
					after = append([]string{}, start...)
					if fp.imageStep != "" {
						after = append(after, fp.imageStep)
					}
					why = fmt.Sprintf("%s: replaced by the new %s (rollout batch %d); min_healthy_percent = %d lets it leave service as the batch starts", fp.staleBecause(in), b.steps[launch].Launch.Tags["Name"], batch, r.MinHealthyPercent)
				}
				b.removals = append(b.removals, removal{fleet: f.Label, tg: fp.tg, instance: in, after: after, rollout: true, reason: why})
				if _, ok := b.idx.registered(fp.tg, in.ID); ok {
					deregisters = append(deregisters, b.deregisterID(f.Label, in.ID))
				}
			}
		}
		start = append(registers, deregisters...)
		if r.BakeTime > 0 && first+size < len(fp.replacements) {
			id := fmt.Sprintf("wait.%s.batch-%d", f.Label, batch)
			b.add(&Step{
				ID:        id,
				Kind:      Wait,
				Resource:  fmt.Sprintf("fleet %s", f.Label),
				Reason:    fmt.Sprintf("bake_time: batch %d must stay healthy for %s before batch %d starts", batch, humanDuration(r.BakeTime), batch+1),
				DependsOn: registers,
				Wait:      &WaitParams{Duration: Duration(r.BakeTime)},
			})
			start = append(start, id)
		}
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

// deregisterID is the ID retire gives the deregistration of instance id of fleet.
func (b *builder) deregisterID(fleet, id string) string {
	return fmt.Sprintf("deregister_target.%s.%s", fleet, id)
}
