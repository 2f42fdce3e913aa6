package plan

import (
	"slices"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// QueryOf is what cloud.Observe must read for a stack: the planner knows the spec, the
// reader only the names it is given (docs/design.md, "Packages and what each must not do").
func QueryOf(s *specs.Stack) cloud.Query {
	var q cloud.Query
	for _, tg := range s.TargetGroups {
		q.TargetGroups = append(q.TargetGroups, tg.Name)
	}
	for _, lb := range s.LoadBalancers {
		q.LoadBalancers = append(q.LoadBalancers, lb.Name)
	}
	for _, f := range s.Fleets {
		fq := cloud.FleetQuery{
			Label: f.Label, Source: f.Source, SourcePattern: f.SourceIsPattern, ImageName: f.Image.Name, ImageID: f.Image.ID,
			InstanceProfile: f.IAMInstanceProfile, InstanceType: f.InstanceType,
		}
		if tg, ok := s.TargetGroupByLabel(f.TargetGroup); ok {
			fq.TargetGroup = tg.Name
		}
		for _, z := range f.Zones {
			fq.Zones = append(fq.Zones, z.AZ)
		}
		q.Fleets = append(q.Fleets, fq)
		for _, a := range f.Rollout.Gates.Alarms {
			if !slices.Contains(q.Alarms, a) {
				q.Alarms = append(q.Alarms, a)
			}
		}
	}
	return q
}
