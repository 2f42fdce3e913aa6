package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/cloud"
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

// paramProblems lists what is wrong with s's parameters for its kind: the kind's parameter
// block missing, another kind's block present, or required fields of the block empty.
func paramProblems(s *Step) []string {
	kp, ok := kindParams[s.Kind]
	if !ok {
		return []string{fmt.Sprintf("unknown kind %q", s.Kind)}
	}
	set := carriedBlocks(s)
	var out []string
	if !set[kp.block] {
		out = append(out, fmt.Sprintf("a %s step needs its %q parameters", s.Kind, kp.block))
	}
	for _, k := range paramBlocks {
		if set[k] && k != kp.block {
			out = append(out, fmt.Sprintf("a %s step must not carry %q parameters", s.Kind, k))
		}
	}
	if missing := kp.missing(s); len(missing) > 0 {
		out = append(out, "missing "+strings.Join(missing, ", "))
	}
	return out
}

// paramBlocks are the names of a step's parameter blocks, in the order problems are listed.
var paramBlocks = []string{"image", "launch", "associate", "stickiness", "zones", "target", "terminate", "health_check", "wait", "cleanup", "snapshots", "gate"}

// carriedBlocks reports which parameter blocks s carries.
func carriedBlocks(s *Step) map[string]bool {
	return map[string]bool{
		"image": s.Image != nil, "launch": s.Launch != nil, "associate": s.Associate != nil,
		"stickiness": s.Stickiness != nil, "zones": s.Zones != nil, "target": s.Target != nil,
		"terminate": s.Terminate != nil, "health_check": s.HealthCheck != nil, "wait": s.Wait != nil,
		"cleanup": s.Cleanup != nil, "snapshots": s.Snapshots != nil, "gate": s.Gate != nil,
	}
}

// kindParams is, for every kind, the parameter block its steps carry and what is missing
// from that block (nothing when the block is absent: that is reported on its own).
var kindParams = map[Kind]struct {
	block   string
	missing func(*Step) missingFields
}{
	CreateImage:              {"image", createImageMissing},
	DeregisterImage:          {"cleanup", deregisterImageMissing},
	TagSnapshots:             {"snapshots", tagSnapshotsMissing},
	ValidateLaunch:           {"launch", validateLaunchMissing},
	LaunchInstance:           {"launch", launchInstanceMissing},
	AssociateInstanceProfile: {"associate", associateMissing},
	TerminateInstance:        {"terminate", terminateMissing},
	ModifyHealthCheck:        {"health_check", healthCheckMissing},
	EnableStickiness:         {"stickiness", stickinessMissing},
	AddZones:                 {"zones", zonesMissing},
	TrimZones:                {"zones", zonesMissing},
	RegisterTarget:           {"target", registerTargetMissing},
	DeregisterTarget:         {"target", deregisterTargetMissing},
	Wait:                     {"wait", waitMissing},
	Gate:                     {"gate", gateMissing},
}

// missingFields lists the required fields a parameter block lacks, in the order checked.
type missingFields []string

// need records field as missing when its value v is empty.
func (m *missingFields) need(field, v string) {
	if v == "" {
		*m = append(*m, field)
	}
}

// needIf records what (a requirement in words) when lacking.
func (m *missingFields) needIf(lacking bool, what string) {
	if lacking {
		*m = append(*m, what)
	}
}

func createImageMissing(s *Step) (m missingFields) {
	if p := s.Image; p != nil {
		m.need("image.source_instance_id", p.SourceInstanceID)
		m.need("image.name", p.Name)
	}
	return m
}

func deregisterImageMissing(s *Step) (m missingFields) {
	if p := s.Cleanup; p != nil {
		m.need("cleanup.image_id", p.ImageID)
	}
	return m
}

func tagSnapshotsMissing(s *Step) (m missingFields) {
	if p := s.Snapshots; p != nil {
		m.need("snapshots.image_id", p.ImageID)
		m.needIf(len(p.SnapshotIDs) == 0, "snapshots.snapshot_ids")
		m.need("snapshots.tags."+cloud.TagStack, p.Tags[cloud.TagStack])
	}
	return m
}

func validateLaunchMissing(s *Step) (m missingFields) {
	if p := s.Launch; p != nil {
		m.need("launch.image_id", p.ImageID)
		m.needIf(p.ImageStep != "", "no launch.image_step (a dry run launches from an existing image)")
		m.need("launch.subnet_id", p.SubnetID)
		m.need("launch.instance_type", p.InstanceType)
	}
	return m
}

func launchInstanceMissing(s *Step) (m missingFields) {
	if p := s.Launch; p != nil {
		m.needIf((p.ImageID == "") == (p.ImageStep == ""), "exactly one of launch.image_id and launch.image_step")
		if p.ImageStep != "" {
			m.need("launch.image_name", p.ImageName) // the engine finds a pending bake by name
		}
		m.need("launch.az", p.AZ)
		m.need("launch.subnet_id", p.SubnetID)
		m.need("launch.instance_type", p.InstanceType)
		m.need("launch.client_token", p.ClientToken)
	}
	return m
}

func associateMissing(s *Step) (m missingFields) {
	if p := s.Associate; p != nil {
		m.need("associate.instance_id", p.InstanceID)
		m.need("associate.iam_instance_profile", p.IAMProfile)
	}
	return m
}

func terminateMissing(s *Step) (m missingFields) {
	if p := s.Terminate; p != nil {
		m.need("terminate.instance_id", p.InstanceID)
	}
	return m
}

func healthCheckMissing(s *Step) (m missingFields) {
	if p := s.HealthCheck; p != nil {
		m.need("health_check.target_group_arn", p.TargetGroupARN)
	}
	return m
}

func stickinessMissing(s *Step) (m missingFields) {
	if p := s.Stickiness; p != nil {
		m.need("stickiness.target_group_arn", p.TargetGroupARN)
		m.needIf(len(p.Attributes) == 0, "stickiness.attributes")
	}
	return m
}

func zonesMissing(s *Step) (m missingFields) {
	if p := s.Zones; p != nil {
		m.need("zones.load_balancer_arn", p.LoadBalancerARN)
		m.needIf(len(p.SubnetIDs) == 0, "zones.subnet_ids")
	}
	return m
}

func registerTargetMissing(s *Step) (m missingFields) {
	if p := s.Target; p != nil {
		m.need("target.target_group_arn", p.TargetGroupARN)
		m.needIf((p.InstanceID == "") == (p.InstanceStep == ""), "exactly one of target.instance_id and target.instance_step")
	}
	return m
}

func deregisterTargetMissing(s *Step) (m missingFields) {
	if p := s.Target; p != nil {
		m.need("target.target_group_arn", p.TargetGroupARN)
		m.need("target.instance_id", p.InstanceID)
		m.needIf(p.InstanceStep != "", "no target.instance_step (a deregistration acts on an existing instance)")
	}
	return m
}

func waitMissing(s *Step) (m missingFields) {
	if p := s.Wait; p != nil {
		m.needIf(p.Duration <= 0 || p.Duration.D() > 24*time.Hour, "wait.duration between 0 and 24h")
	}
	return m
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
