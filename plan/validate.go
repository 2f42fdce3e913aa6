package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Validate checks that p is a well-formed step graph: unique non-empty IDs, every DependsOn
// and every step output it consumes naming an earlier-known step, no cycles, and every step
// carrying exactly the parameters of its kind with their required fields. It says nothing
// about whether the steps are wise for a world (that is Check's job); it makes sure the
// engine can run them without acting on half a plan. A plan from Build always passes; a plan
// read from a file may not, and must be refused before the first call.
func Validate(p *Plan) error {
	if p == nil {
		return errors.New("no plan")
	}
	var errs []error
	bad := func(s *Step, format string, args ...any) {
		errs = append(errs, fmt.Errorf("step %q: %s", s.ID, fmt.Sprintf(format, args...)))
	}
	byID := make(map[string]*Step, len(p.Steps))
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.ID == "" {
			errs = append(errs, fmt.Errorf("step %d has no ID", i+1))
			continue
		}
		if _, dup := byID[s.ID]; dup {
			bad(s, "duplicate step ID")
			continue
		}
		byID[s.ID] = s
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		for _, d := range s.DependsOn {
			if _, ok := byID[d]; !ok {
				bad(s, "depends on unknown step %q", d)
			}
		}
		for _, msg := range paramProblems(s) {
			bad(s, "%s", msg)
		}
		// A step that consumes another's output must also wait for it.
		for _, ref := range []struct {
			what, id string
			kind     Kind
		}{
			{"image_step", imageStep(s), CreateImage},
			{"instance_step", instanceStep(s), LaunchInstance},
		} {
			if ref.id == "" {
				continue
			}
			t, ok := byID[ref.id]
			switch {
			case !ok:
				bad(s, "%s names unknown step %q", ref.what, ref.id)
			case t.Kind != ref.kind:
				bad(s, "%s names step %q, which is a %s, not a %s", ref.what, ref.id, t.Kind, ref.kind)
			case !slices.Contains(s.DependsOn, ref.id):
				bad(s, "%s names step %q but does not depend on it", ref.what, ref.id)
			}
		}
	}
	if len(errs) == 0 {
		if cycle := findCycle(p.Steps, byID); cycle != nil {
			if len(cycle) > 8 {
				cycle = append(append(cycle[:4:4], fmt.Sprintf("... (%d steps) ...", len(cycle)-5)), cycle[len(cycle)-1])
			}
			errs = append(errs, fmt.Errorf("dependency cycle: %s", strings.Join(cycle, " -> ")))
		}
	}
	// A hostile plan can be wrong a million times; the first few say enough.
	if len(errs) > maxReported {
		errs = append(errs[:maxReported:maxReported], fmt.Errorf("and %d more problems", len(errs)-maxReported))
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid plan: %w", errors.Join(errs...))
	}
	return nil
}

func imageStep(s *Step) string {
	if s.Launch != nil {
		return s.Launch.ImageStep
	}
	return ""
}

func instanceStep(s *Step) string {
	if s.Target != nil {
		return s.Target.InstanceStep
	}
	return ""
}

// paramProblems lists what is wrong with s's parameters for its kind.
func paramProblems(s *Step) []string {
	set := map[string]bool{
		"image": s.Image != nil, "launch": s.Launch != nil, "associate": s.Associate != nil,
		"stickiness": s.Stickiness != nil, "zones": s.Zones != nil, "target": s.Target != nil,
		"terminate": s.Terminate != nil, "health_check": s.HealthCheck != nil, "wait": s.Wait != nil,
		"cleanup": s.Cleanup != nil,
	}
	var want string
	var missing []string
	need := func(field, v string) {
		if v == "" {
			missing = append(missing, field)
		}
	}
	switch s.Kind {
	case CreateImage:
		want = "image"
		if p := s.Image; p != nil {
			need("image.source_instance_id", p.SourceInstanceID)
			need("image.name", p.Name)
		}
	case ValidateLaunch:
		want = "launch"
		if p := s.Launch; p != nil {
			need("launch.image_id", p.ImageID)
			if p.ImageStep != "" {
				missing = append(missing, "no launch.image_step (a dry run launches from an existing image)")
			}
			need("launch.subnet_id", p.SubnetID)
			need("launch.instance_type", p.InstanceType)
		}
	case ModifyHealthCheck:
		want = "health_check"
		if p := s.HealthCheck; p != nil {
			need("health_check.target_group_arn", p.TargetGroupARN)
		}
	case Wait:
		want = "wait"
		if p := s.Wait; p != nil && (p.Duration <= 0 || p.Duration.D() > 24*time.Hour) {
			missing = append(missing, "wait.duration between 0 and 24h")
		}
	case DeregisterImage:
		want = "cleanup"
		if p := s.Cleanup; p != nil {
			need("cleanup.image_id", p.ImageID)
		}
	case LaunchInstance:
		want = "launch"
		if p := s.Launch; p != nil {
			if (p.ImageID == "") == (p.ImageStep == "") {
				missing = append(missing, "exactly one of launch.image_id and launch.image_step")
			}
			if p.ImageStep != "" {
				need("launch.image_name", p.ImageName) // the engine finds a pending bake by name
			}
			need("launch.az", p.AZ)
			need("launch.subnet_id", p.SubnetID)
			need("launch.instance_type", p.InstanceType)
			need("launch.client_token", p.ClientToken)
		}
	case AssociateInstanceProfile:
		want = "associate"
		if p := s.Associate; p != nil {
			need("associate.instance_id", p.InstanceID)
			need("associate.iam_instance_profile", p.IAMProfile)
		}
	case EnableStickiness:
		want = "stickiness"
		if p := s.Stickiness; p != nil {
			need("stickiness.target_group_arn", p.TargetGroupARN)
			if len(p.Attributes) == 0 {
				missing = append(missing, "stickiness.attributes")
			}
		}
	case AddZones, TrimZones:
		want = "zones"
		if p := s.Zones; p != nil {
			need("zones.load_balancer_arn", p.LoadBalancerARN)
			if len(p.SubnetIDs) == 0 {
				missing = append(missing, "zones.subnet_ids")
			}
		}
	case RegisterTarget:
		want = "target"
		if p := s.Target; p != nil {
			need("target.target_group_arn", p.TargetGroupARN)
			if (p.InstanceID == "") == (p.InstanceStep == "") {
				missing = append(missing, "exactly one of target.instance_id and target.instance_step")
			}
		}
	case DeregisterTarget:
		want = "target"
		if p := s.Target; p != nil {
			need("target.target_group_arn", p.TargetGroupARN)
			need("target.instance_id", p.InstanceID)
			if p.InstanceStep != "" {
				missing = append(missing, "no target.instance_step (a deregistration acts on an existing instance)")
			}
		}
	case TerminateInstance:
		want = "terminate"
		if p := s.Terminate; p != nil {
			need("terminate.instance_id", p.InstanceID)
		}
	default:
		return []string{fmt.Sprintf("unknown kind %q", s.Kind)}
	}
	var out []string
	if !set[want] {
		out = append(out, fmt.Sprintf("a %s step needs its %q parameters", s.Kind, want))
	}
	for _, k := range []string{"image", "launch", "associate", "stickiness", "zones", "target", "terminate", "health_check", "wait", "cleanup"} {
		if set[k] && k != want {
			out = append(out, fmt.Sprintf("a %s step must not carry %q parameters", s.Kind, k))
		}
	}
	if len(missing) > 0 {
		out = append(out, "missing "+strings.Join(missing, ", "))
	}
	return out
}

// findCycle returns the IDs along a dependency cycle, first ID repeated at the end, or nil.
// Iterative, so a hostile plan with a very long chain cannot exhaust the stack.
func findCycle(steps []Step, byID map[string]*Step) []string {
	const (
		unseen = iota
		onPath
		finished
	)
	state := make(map[string]int, len(steps))
	type frame struct {
		id   string
		next int
	}
	for i := range steps {
		root := steps[i].ID
		if state[root] != unseen {
			continue
		}
		path := []frame{{id: root}}
		state[root] = onPath
		for len(path) > 0 {
			top := &path[len(path)-1]
			deps := byID[top.id].DependsOn
			if top.next == len(deps) {
				state[top.id] = finished
				path = path[:len(path)-1]
				continue
			}
			d := deps[top.next]
			top.next++
			switch state[d] {
			case onPath:
				var cycle []string
				for j := range path {
					if path[j].id == d {
						for _, f := range path[j:] {
							cycle = append(cycle, f.id)
						}
						break
					}
				}
				return append(cycle, d)
			case unseen:
				state[d] = onPath
				path = append(path, frame{id: d})
			}
		}
	}
	return nil
}

// maxReported bounds how many problems Validate lists.
const maxReported = 10
