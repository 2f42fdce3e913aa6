package plan

import (
	"slices"

	"github.com/albctl/albctl/internal/cloud"
)

// rule adds the dependencies that keep one ordering invariant (docs/design.md, "Ordering
// invariants"). Each rule reads the planned steps and the world, never the reasons. Rules that
// belong to one step's creation (an image before its launches, a rollout's batches, drain
// before terminate) are set where the step is made; these are the ones across stages.
type rule struct {
	name  string
	apply func(b *builder)
}

var orderingRules = []rule{
	{"healthCheckBeforeRegister", healthCheckBeforeRegister},
	{"stickinessBeforeSecondTarget", stickinessBeforeSecondTarget},
	{"zoneEnabledAfterLaunch", zoneEnabledAfterLaunch},
	{"zoneEnabledBeforeRegister", zoneEnabledBeforeRegister},
	{"deregisterAfterRegistrations", deregisterAfterRegistrations},
	{"trimAfterKeptZonesServe", trimAfterKeptZonesServe},
	{"trimAfterZoneEmptied", trimAfterZoneEmptied},
}

// healthCheckBeforeRegister: a new target is judged by the spec's health check, so the check
// is changed before any target of the group is registered.
func healthCheckBeforeRegister(b *builder) {
	for _, hc := range b.stepsOf(ModifyHealthCheck, nil) {
		arn := b.steps[hc].HealthCheck.TargetGroupARN
		for _, r := range b.stepsOf(RegisterTarget, func(s *Step) bool { return s.Target.TargetGroupARN == arn }) {
			b.steps[r].dependOn(hc)
		}
	}
}

// stickinessBeforeSecondTarget: with sessions on local disk, a second target must never take
// traffic before stickiness is on.
func stickinessBeforeSecondTarget(b *builder) {
	for _, st := range b.stepsOf(EnableStickiness, nil) {
		arn := b.steps[st].Stickiness.TargetGroupARN
		for _, r := range b.stepsOf(RegisterTarget, func(s *Step) bool { return s.Target.TargetGroupARN == arn }) {
			b.steps[r].dependOn(st)
		}
	}
}

// zoneEnabledAfterLaunch: a zone's node gets clients as soon as the zone is enabled, and
// targets are health-checked only in an enabled zone, so a new zone is enabled once its
// instances run: it is empty only for their first health check.
func zoneEnabledAfterLaunch(b *builder) {
	for _, a := range b.stepsOf(AddZones, nil) {
		add := b.steps[a]
		for _, l := range b.stepsOf(LaunchInstance, func(s *Step) bool {
			return slices.Contains(add.Zones.Added, s.Launch.AZ) && b.servesThrough(s.Launch.Tags[cloud.TagStack], add.Zones.TargetGroupARNs)
		}) {
			add.dependOn(l)
		}
	}
}

// zoneEnabledBeforeRegister: a target registered in a zone the ALB is not enabled in stays
// unused and is never health-checked.
func zoneEnabledBeforeRegister(b *builder) {
	for _, a := range b.stepsOf(AddZones, nil) {
		add := b.steps[a]
		for _, r := range b.stepsOf(RegisterTarget, func(s *Step) bool {
			return slices.Contains(add.Zones.Added, s.Target.AZ) && slices.Contains(add.Zones.TargetGroupARNs, s.Target.TargetGroupARN)
		}) {
			b.steps[r].dependOn(a)
		}
	}
}

// deregisterAfterRegistrations: capacity never drops — a member leaving for scale-in goes only
// after every new target of its group is healthy. (A rollout's deregistrations follow its
// batches instead: rollout.go.)
func deregisterAfterRegistrations(b *builder) {
	for _, r := range b.removals {
		if r.after != nil {
			continue
		}
		d, ok := b.steps[b.deregisterID(r.fleet, r.instance.ID)]
		if !ok {
			d, ok = b.steps[b.terminateID(r.fleet, r.instance.ID)]
		}
		if !ok {
			continue
		}
		d.dependOn(b.stepsOf(RegisterTarget, func(s *Step) bool { return s.Target.TargetGroupARN == r.tg.ARN })...)
	}
}

// trimAfterKeptZonesServe: a zone is trimmed only once the targets registered into the kept
// zones are healthy (the engine checks the cloud too).
func trimAfterKeptZonesServe(b *builder) {
	for _, t := range b.stepsOf(TrimZones, nil) {
		trim := b.steps[t]
		trim.dependOn(b.stepsOf(AddZones, func(s *Step) bool { return s.Zones.LoadBalancerARN == trim.Zones.LoadBalancerARN })...)
		trim.dependOn(b.stepsOf(RegisterTarget, func(s *Step) bool {
			return slices.Contains(trim.Zones.TargetGroupARNs, s.Target.TargetGroupARN)
		})...)
	}
}

// trimAfterZoneEmptied: a zone that loses its targets in this plan is trimmed only after they
// have drained and been terminated, never while a registered target is still there.
func trimAfterZoneEmptied(b *builder) {
	for _, t := range b.stepsOf(TrimZones, nil) {
		trim := b.steps[t]
		for _, d := range b.stepsOf(DeregisterTarget, func(s *Step) bool {
			return slices.Contains(trim.Zones.Removed, s.Target.AZ) && slices.Contains(trim.Zones.TargetGroupARNs, s.Target.TargetGroupARN)
		}) {
			trim.dependOn(d)
			in := b.steps[d].Target.InstanceID
			trim.dependOn(b.stepsOf(TerminateInstance, func(s *Step) bool { return s.Terminate.InstanceID == in })...)
		}
	}
}

// servesThrough reports whether the target group named tgName is one of arns.
func (b *builder) servesThrough(tgName string, arns []string) bool {
	tg, ok := b.world.TargetGroup(tgName)
	return ok && slices.Contains(arns, tg.ARN)
}
