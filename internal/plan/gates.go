package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// GateParams hold a rollout at a checkpoint: for Bake from the moment the batch serves, the
// alarms must stay out of ALARM, and at its end the target group's 5xx share and p95
// response time over the bake must not exceed the guards where they are also worse than
// over the same length of time before the apply began. When a gate trips, Rollback puts the
// old members back in service before the new ones leave (docs/plans.md, "Gates,
// checkpoints and rollback").
type GateParams struct {
	Fleet string `json:"fleet"`
	Batch int    `json:"batch"`
	// Checkpoint is the percentage of the fleet's replacements done when the gate is judged;
	// Replaced of Total members.
	Checkpoint       int      `json:"checkpoint"`
	Replaced         int      `json:"replaced"`
	Total            int      `json:"total"`
	TargetGroupARN   string   `json:"target_group_arn"`
	LoadBalancerARNs []string `json:"load_balancer_arns"`
	// Zones are the fleet's zones: the guards are read per zone too, so a zone whose share
	// of bad answers is drowned in the fleet's total still trips them.
	Zones         []string       `json:"zones"`
	Bake          clock.Duration `json:"bake"`
	Alarms        []string       `json:"alarms,omitempty"`
	Max5xxPercent *float64       `json:"max_5xx_percent,omitempty"`
	MaxP95Latency clock.Duration `json:"max_p95_latency,omitempty"`
	// Version is the image version being rolled out; ImageID or ImageStep its image, which
	// a rollback tags so that a later plan remembers it.
	Version   string       `json:"version"`
	ImageID   string       `json:"image_id,omitempty"`
	ImageStep string       `json:"image_step,omitempty"`
	Rollback  GateRollback `json:"rollback"`
}

// GateRollback is what a tripped gate undoes: every old member taken out of service so far
// is back in service and healthy, then the new members launched so far are deregistered and
// terminated. An old member still running (keep_old = "until_done", or one albctl did not
// launch and so never terminates) is registered again (Restore); one the rollout terminated
// is launched anew from the image it ran (Relaunch) and registered (docs/plans.md, "Gates,
// checkpoints and rollback").
type GateRollback struct {
	Restore  []TargetParams   `json:"restore"`
	Relaunch []RelaunchParams `json:"relaunch,omitempty"`
	Remove   []TargetParams   `json:"remove"` // InstanceStep names each one's launch
}

// RelaunchParams put back an old member the rollout terminated: Launch runs the image the old
// member ran (Launch.ImageID), in its subnet, with its type, groups, profile and tags (its
// slot and version among them), and a ClientToken derived from the old member and the
// version rolled out, so a rollback retried after an interruption finds its launch instead of
// launching twice. The new instance is registered in TargetGroupARN on Port.
type RelaunchParams struct {
	TargetGroupARN string       `json:"target_group_arn"`
	Port           int32        `json:"port"`
	Name           string       `json:"name,omitempty"` // the old member's Name tag
	Launch         LaunchParams `json:"launch"`         // Launch.Replaces: the old member's ID
}

// FleetRollback is what a new member's health timeout undoes in a rollout with gates: as a
// tripped gate, every old member out of service so far is registered again and must be
// healthy, then every new member launched so far (this one included) is removed, and the
// image is tagged rolled back.
type FleetRollback struct {
	Fleet     string       `json:"fleet"`
	Batch     int          `json:"batch"`
	Version   string       `json:"version"`
	ImageID   string       `json:"image_id,omitempty"`
	ImageStep string       `json:"image_step,omitempty"`
	Rollback  GateRollback `json:"rollback"`
}

// fleetRollback returns the bound of a new member's wait for health in a rollout with gates:
// rb with the fleet's rollback as of this member.
func fleetRollback(fp *fleetPlan, rb *RollbackParams, batch int, undo GateRollback) *RollbackParams {
	out := *rb
	out.Fleet = &FleetRollback{Fleet: fp.f.Label, Batch: batch, Version: fp.f.Image.Version, ImageID: fp.imageID, ImageStep: fp.imageStep, Rollback: cloneUndo(undo)}
	return &out
}

// Names lists the gates for people, as the spec names them: "alarm web-5xx",
// "max_5xx_percent = 1", "max_p95_latency = 800ms".
func (g *GateParams) Names() []string {
	var out []string
	for _, a := range g.Alarms {
		out = append(out, "alarm "+a)
	}
	if g.Max5xxPercent != nil {
		out = append(out, fmt.Sprintf("max_5xx_percent = %g", *g.Max5xxPercent))
	}
	if g.MaxP95Latency > 0 {
		out = append(out, "max_p95_latency = "+g.MaxP95Latency.String())
	}
	return out
}

func gateMissing(s *Step) (m missingFields) {
	if p := s.Gate; p != nil {
		m.need("gate.fleet", p.Fleet)
		m.need("gate.target_group_arn", p.TargetGroupARN)
		m.needIf(len(p.LoadBalancerARNs) == 0, "gate.load_balancer_arns")
		m.needIf(p.Bake.D() < time.Minute, "gate.bake of at least 1m (one period of the load balancer's metrics)")
		m.needIf(len(p.Alarms) == 0 && p.Max5xxPercent == nil && p.MaxP95Latency <= 0, "a gate: gate.alarms, gate.max_5xx_percent or gate.max_p95_latency")
		m.needIf((p.ImageID == "") == (p.ImageStep == ""), "exactly one of gate.image_id and gate.image_step")
		for _, r := range p.Rollback.Remove {
			m.needIf(r.InstanceStep == "" && r.InstanceID == "", "gate.rollback.remove[].instance_step or instance_id")
		}
		for _, r := range p.Rollback.Relaunch {
			m.need("gate.rollback.relaunch[].target_group_arn", r.TargetGroupARN)
			m.need("gate.rollback.relaunch[].launch.image_id", r.Launch.ImageID)
			m.need("gate.rollback.relaunch[].launch.subnet_id", r.Launch.SubnetID)
			m.need("gate.rollback.relaunch[].launch.client_token", r.Launch.ClientToken)
			m.need("gate.rollback.relaunch[].launch.replaces", r.Launch.Replaces)
		}
	}
	return m
}

// checkGates refuses gates the apply could not judge or undo: a bake shorter than one
// metric period, or image.keep = 1 (a rollback that relaunches old members needs the
// previous image; relaunchOf checks that each old member's image still exists).
func (b *builder) checkGates(f *specs.Fleet) bool {
	r := f.Rollout
	g := r.Gates
	if !g.Any() {
		return true
	}
	ok := true
	if r.BakeTime < time.Minute {
		b.errorf(r.DeclRange, "Bake window too short for the gates",
			"fleet %q has gates (%s) and bake_time = %s: a gate reads the load balancer's metrics, which CloudWatch publishes per one-minute period, so bake_time must be at least 1m.", f.Label, gateList(g), humanDuration(r.BakeTime))
		ok = false
	}
	if f.Image.Keep == 1 {
		b.errorf(f.Image.DeclRange, "Gates need the previous image",
			"fleet %q has gates and image.keep = 1: the previous image would be deregistered while the rollout may still roll back to it (a rollback relaunches the old members from it). Keep at least 2.", f.Label)
		ok = false
	}
	return ok
}

func gateList(g specs.Gates) string {
	var out []string
	for _, a := range g.Alarms {
		out = append(out, "alarm "+a)
	}
	if g.Max5xxPercent != nil {
		out = append(out, fmt.Sprintf("max_5xx_percent = %g", *g.Max5xxPercent))
	}
	if g.MaxP95Latency > 0 {
		out = append(out, "max_p95_latency = "+humanDuration(g.MaxP95Latency))
	}
	return strings.Join(out, ", ")
}

// checkpointAt returns the checkpoint a batch that brings the replaced members from before
// to after (of total) reaches, or 0: the largest checkpoint percentage whose member count,
// rounded up, lies in (before, after]. Without checkpoints, the gates are judged once, at
// 100%.
func checkpointAt(cps []int, before, after, total int) int {
	if len(cps) == 0 {
		cps = []int{100}
	}
	at := 0
	for _, c := range cps {
		n := (total*c + 99) / 100
		if n > before && n <= after {
			at = c
		}
	}
	return at
}

// gate plans the gate of a checkpoint; deps are the batch's registrations and
// deregistrations, restore and remove what a rollback undoes.
func (b *builder) gate(fp *fleetPlan, batch, checkpoint, replaced int, deps []string, rb GateRollback) string {
	total := len(fp.replacements) + len(fp.resumed)
	f := fp.f
	g := f.Rollout.Gates
	id := fmt.Sprintf("gate.%s.batch-%d", f.Label, batch)
	var zones []string
	for _, z := range f.Zones {
		if z.Count > 0 {
			zones = append(zones, z.AZ)
		}
	}
	slices.Sort(zones)
	p := &GateParams{
		Fleet: f.Label, Batch: batch, Checkpoint: checkpoint, Replaced: replaced, Total: total,
		TargetGroupARN: fp.tg.ARN, LoadBalancerARNs: slices.Clone(fp.tg.LoadBalancerARNs), Zones: zones,
		Bake: clock.Duration(f.Rollout.BakeTime), Alarms: slices.Clone(g.Alarms), Max5xxPercent: g.Max5xxPercent,
		MaxP95Latency: clock.Duration(g.MaxP95Latency), Version: f.Image.Version, ImageID: fp.imageID, ImageStep: fp.imageStep,
		Rollback: rb,
	}
	s := b.add(&Step{
		ID:       id,
		Kind:     Gate,
		Resource: fmt.Sprintf("fleet %s", f.Label),
		Reason: fmt.Sprintf("checkpoint %d%% (%d of %d replaced): batch %d serves for %s while %s hold; on a breach %s and the %d new one(s) removed",
			checkpoint, replaced, total, batch, humanDuration(f.Rollout.BakeTime), strings.Join(p.Names(), ", "), undoNote(rb), len(rb.Remove)),
		DependsOn: slices.Clone(deps),
		Gate:      p,
	})
	for _, r := range rb.Remove {
		s.dependOn(r.InstanceStep)
	}
	for _, rs := range fp.resumed {
		s.dependOn(b.registerStepOf(fp, rs.keeper))
	}
	if fp.imageStep != "" {
		s.dependOn(fp.imageStep)
	}
	return id
}

// rolledBack returns the albctl:rolled-back tag of the fleet's image ("" for none): a gate
// rolled this version back before. A new attempt gets new ClientTokens (the tag's value
// enters them), so it launches anew instead of finding the members the rollback terminated.
func (b *builder) rolledBack(fp *fleetPlan) string {
	if fp.imageID == "" {
		return ""
	}
	im, ok := b.imageByID(fp.imageID)
	if !ok {
		return ""
	}
	return im.Tags[cloud.TagRolledBack]
}

// warnRolledBack says that the version the rollout is about to try again was rolled back.
func (b *builder) warnRolledBack(fp *fleetPlan) {
	if v := b.rolledBack(fp); v != "" && len(fp.replacements) > 0 {
		b.warnf("fleet %q: image version %q (%s) was rolled back by a gate: %s. This plan tries it again, with new launch tokens", fp.f.Label, fp.f.Image.Version, fp.imageID, strings.TrimRight(v, "."))
	}
}

// gates checks the rules of gates (docs/design.md, "Rules of rollouts"): a gate judges a
// batch that serves, so it comes after the registrations of the new members it would remove;
// the rollout's later launches wait for it; and an old member a gate would register again is
// terminated only after that gate, so it still runs when a rollback needs it.
func (c *checker) gates() {
	c.each(Gate, func(g *Step) {
		removed := map[string]bool{}
		for _, n := range g.Gate.Rollback.Remove {
			if n.InstanceStep == "" {
				continue // a member an interrupted rollout launched
			}
			removed[n.InstanceStep] = true
			c.need(g.ID, n.InstanceStep, "a gate judges the new members it would remove")
			c.each(RegisterTarget, func(r *Step) {
				if r.Target.InstanceStep == n.InstanceStep {
					c.need(g.ID, r.ID, "a gate judges the batch once it serves")
				}
			})
		}
		c.each(LaunchInstance, func(l *Step) {
			if l.Launch.Replaces != "" && l.Launch.Tags[cloud.TagFleet] == g.Gate.Fleet && !removed[l.ID] {
				c.need(l.ID, g.ID, "the rollout goes on past a checkpoint only once its gate passes")
			}
		})
		for _, o := range g.Gate.Rollback.Restore {
			c.each(TerminateInstance, func(t *Step) {
				if t.Terminate.InstanceID == o.InstanceID {
					c.need(t.ID, g.ID, "an old member a gate may register again runs until the gate passes")
				}
			})
		}
	})
}

// resumed is a slot an interrupted rollout already replaced: its old member, still running,
// and the new member that keeps the slot. In a rollout with gates the old member is kept
// until the last gate, and every gate's rollback restores it and removes the new one, as if
// the interruption had not happened.
type resumed struct {
	old, keeper *cloud.Instance
	removal     int // the old member's entry in builder.removals
}

// resumedUndo is what a gate's rollback undoes of the slots an interrupted rollout replaced.
func (b *builder) resumedUndo(fp *fleetPlan) GateRollback {
	var u GateRollback
	for _, rs := range fp.resumed {
		// A pending old member is one a relaunching rollback launched before an interruption:
		// it is terminated as the slot's old member, so a rollback relaunches it again.
		if rs.old.State == "running" || (rs.old.State == "pending" && !keepsOld(fp.f)) {
			b.undoOld(fp, rs.old, b.portOf(fp, rs.old), &u)
		}
		u.Remove = append(u.Remove, TargetParams{TargetGroupARN: fp.tg.ARN, InstanceID: rs.keeper.ID, Port: b.portOf(fp, rs.keeper), AZ: rs.keeper.AZ, Name: nameOf(rs.keeper)})
	}
	return u
}

// portOf is the port an instance is (or was) registered on, else the target group's.
func (b *builder) portOf(fp *fleetPlan, in *cloud.Instance) int32 {
	if t, ok := b.idx.target(fp.tg, in.ID); ok && t.Port != 0 {
		return t.Port
	}
	return fp.tg.Port
}
