package plan

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// Build compares the desired stack with the observed world and returns the steps that take one
// to the other. Everything that can be known before the first side effect is checked here
// (docs/design.md, "Preflight"): a problem that would make apply fail comes back as
// hcl.Diagnostics pointing at the spec and naming the AWS resource, and the plan is then nil.
// Every difference between the spec and the world is a step or an error: an empty plan means
// the world matches the spec.
//
// Build runs in stages, each in its own file: preflight (preflight.go), target groups
// (target_groups.go), fleets (fleets.go, rollout.go, images.go), retirement (retire.go), load
// balancers (zones.go), image clean-up (images.go); then the ordering rules (rules.go), one function per invariant,
// add the dependencies, and the steps are sorted (order.go). Check (check.go) verifies the
// result.
func Build(stack *specs.Stack, world *cloud.World) (*Plan, error) {
	b := newBuilder(stack, world)
	b.preflight()
	if b.diags.HasErrors() {
		return nil, b.diags
	}
	b.targetGroups()
	b.fleets()
	b.retire()
	b.loadBalancers()
	b.cleanImages()
	if b.diags.HasErrors() {
		return nil, b.diags
	}
	for _, rule := range orderingRules {
		rule.apply(b)
	}
	p := &Plan{Steps: b.ordered(), Warnings: b.warnings}
	if errs := Check(world, p); len(errs) > 0 {
		// A planner bug, never an input error: refuse to hand out a plan that breaks an
		// invariant.
		return nil, fmt.Errorf("plan: internal error: the plan breaks an ordering rule: %w", joinErrors(errs))
	}
	return p, nil
}

// builder holds one Build's state: the inputs, the steps made so far, and what later stages
// and the ordering rules need to know about them.
type builder struct {
	stack *specs.Stack
	world *cloud.World
	idx   *index
	diags hcl.Diagnostics

	steps    map[string]*Step
	warnings []string

	// fleetTG[fleet label] is the observed target group a fleet serves (planned fleets only).
	fleetTG map[string]*cloud.TargetGroup
	// zonesWanted[tg name] is the set of AZs where the target group will have serving targets.
	zonesWanted map[string]map[string]bool
	// removals are members to take out of service (scale-in, replaced, duplicates).
	removals []removal
	// noRelaunch[fleet + image ID] marks an image a rollback cannot relaunch from, refused
	// once (relaunch.go).
	noRelaunch map[string]bool
}

type removal struct {
	fleet    string
	tg       *cloud.TargetGroup
	instance *cloud.Instance
	reason   string
	// after are steps the deregistration must wait for (a rollout batch's start, or the
	// replacement's registration); nil means "every registration into the group".
	after []string
	// rollout marks a member replaced by a rollout (its deregistration follows the batch
	// rules, not the scale-in rule).
	rollout bool
	// terminateAfter are steps the termination waits for besides the draining: a rollout's
	// last gate when old members are kept until it is done (keep_old = "until_done").
	terminateAfter []string
}

func newBuilder(stack *specs.Stack, world *cloud.World) *builder {
	return &builder{
		stack: stack, world: world, idx: newIndex(world),
		steps:       map[string]*Step{},
		fleetTG:     map[string]*cloud.TargetGroup{},
		zonesWanted: map[string]map[string]bool{},
		noRelaunch:  map[string]bool{},
	}
}

func (b *builder) errorf(rng hcl.Range, summary, detail string, args ...any) {
	r := rng
	b.diags = append(b.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  &r,
	})
}

func (b *builder) warnf(format string, args ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf(format, args...))
}

func (b *builder) add(s *Step) *Step {
	if s.DependsOn == nil {
		s.DependsOn = []string{}
	}
	if _, dup := b.steps[s.ID]; dup {
		panic("plan: duplicate step " + s.ID) // a planner bug
	}
	b.steps[s.ID] = s
	return s
}

// stepsOf returns the IDs of the steps of kind k that match keep, in no particular order
// (the ordering rules sort what they add).
func (b *builder) stepsOf(k Kind, keep func(*Step) bool) []string {
	var out []string
	for id, s := range b.steps {
		if s.Kind == k && (keep == nil || keep(s)) {
			out = append(out, id)
		}
	}
	return out
}

func (s *Step) dependOn(ids ...string) {
	for _, id := range ids {
		if id != "" && id != s.ID {
			s.DependsOn = append(s.DependsOn, id)
		}
	}
}
