package plan

import (
	"fmt"

	"github.com/albctl/albctl/internal/cloud"
)

// retire takes members out of service in the order that keeps requests safe: deregister
// (the target drains for the target group's deregistration delay), then terminate once
// draining is over; a zone emptied this way is trimmed from the ALB only after that
// (rules.go). albctl never terminates what it did not launch.
func (b *builder) retire() {
	for _, r := range b.removals {
		var after []string
		for _, id := range r.after {
			if _, ok := b.steps[id]; ok {
				after = append(after, id)
			}
		}
		var term []string
		var drain []TargetRef
		if t, ok := b.idx.target(r.tg, r.instance.ID); ok {
			drain = []TargetRef{{TargetGroupARN: r.tg.ARN, Port: t.Port}}
		}
		if t, ok := b.idx.registered(r.tg, r.instance.ID); ok {
			id := b.deregisterID(r.fleet, r.instance.ID)
			s := b.add(&Step{
				ID:        id,
				Kind:      DeregisterTarget,
				Resource:  fmt.Sprintf("instance %s in %s", displayName(r.instance), r.tg.Name),
				Reason:    r.reason,
				DependsOn: after,
				Target:    &TargetParams{TargetGroupARN: r.tg.ARN, InstanceID: r.instance.ID, Port: t.Port, AZ: r.instance.AZ, Name: nameOf(r.instance)},
			})
			if r.after == nil {
				s.Reason += "; deregistered after every new target of the group is healthy, so capacity never drops"
			}
			term = []string{id}
		} else {
			term = after
		}
		if r.instance.Tags[cloud.TagFleet] == "" {
			continue // never terminate what albctl did not launch
		}
		reason := r.reason
		for _, id := range r.terminateAfter {
			if _, ok := b.steps[id]; ok {
				term = append(term, id)
				reason += "; kept running, out of service, until " + id + " passes (keep_old = \"until_done\"), so a rollback can register it again at once"
			}
		}
		if len(drain) > 0 {
			reason += "; terminated once draining is over"
		}
		b.add(&Step{
			ID:        b.terminateID(r.fleet, r.instance.ID),
			Kind:      TerminateInstance,
			Resource:  "instance " + displayName(r.instance),
			Reason:    reason,
			DependsOn: term,
			Terminate: &TerminateParams{InstanceID: r.instance.ID, Name: nameOf(r.instance), DrainFrom: drain},
		})
	}
}

func (b *builder) terminateID(fleet, id string) string {
	return fmt.Sprintf("terminate_instance.%s.%s", fleet, id)
}
