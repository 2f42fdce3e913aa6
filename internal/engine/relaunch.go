package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/cloud"
)

// relaunchState is a gate rollback's progress in putting back the old members the rollout
// terminated (plan.RelaunchParams; docs/plans.md, "Rollback without keep_old").
type relaunchState struct {
	ids map[string]string // old member's ID → the instance launched in its place
	// serving are old members still in service at the rollback (their replacement never
	// turned healthy, so they were never deregistered): nothing to relaunch.
	serving map[string]bool
	// reused are old members out of service but still running (draining, their terminate
	// step not yet sent): registered again instead of relaunched, and held (runner.held).
	reused     map[string]bool
	registered bool
	since      time.Time // when the first launch was made; once registered, when that was
}

// relaunch launches each terminated old member anew from the image it ran, with the plan's
// ClientToken so that a retried rollback finds its launches (one still running is registered
// again instead: sortOld), waits until they run, registers them, and waits until they are
// healthy. The new members serve all the while, so capacity
// never drops below what served during the bake. waiting is what it waits for; op names
// the call that failed, for retry ("" for a final error).
func (a *gate) relaunch(ctx context.Context, r *runner, step string) (waiting, op string, err error) {
	rl := a.p.Rollback.Relaunch
	if len(rl) == 0 {
		return "", "", nil
	}
	st := &a.relaunched
	if st.ids == nil {
		if op, err := a.sortOld(ctx, r, step); err != nil {
			return "", op, err
		}
	}
	for _, e := range rl {
		if st.ids[e.Launch.Replaces] != "" || st.serving[e.Launch.Replaces] {
			continue
		}
		in := runInput(&e.Launch, e.Launch.ImageID)
		in.ClientToken = aws.String(e.Launch.ClientToken)
		out, err := r.api.EC2.RunInstances(ctx, in)
		if err != nil {
			return "", "RunInstances", fmt.Errorf("relaunch %s from %s: %w", named(e.Launch.Replaces, e.Name), e.Launch.ImageID, err)
		}
		if len(out.Instances) != 1 {
			return "", "", fmt.Errorf("relaunch %s: RunInstances returned %d instances, want 1", named(e.Launch.Replaces, e.Name), len(out.Instances))
		}
		st.ids[e.Launch.Replaces] = aws.ToString(out.Instances[0].InstanceId)
		if st.since.IsZero() {
			st.since = r.clock.Now()
		}
	}
	if !st.registered {
		return a.registerRelaunched(ctx, r)
	}
	var sick []string
	for _, e := range rl {
		id := st.ids[e.Launch.Replaces]
		if id == "" {
			continue // still serving
		}
		d, ok, err := r.targetHealth(ctx, e.TargetGroupARN, id, e.Port)
		if err != nil {
			return "", "DescribeTargetHealth", err
		}
		if !ok || d.TargetHealth == nil || d.TargetHealth.State != elbtypes.TargetHealthStateEnumHealthy {
			sick = append(sick, named(id, e.Name))
		}
	}
	if len(sick) == 0 {
		return "", "", nil
	}
	what := "the relaunched old members to pass health checks (rollback): " + strings.Join(sick, ", ")
	if err := r.timedOutSince(st.since, r.timeouts.TargetHealthy, what); err != nil {
		return "", "", fmt.Errorf("%w; the gate tripped (%s: %s) and the new members still serve", err, a.breach.gate, a.breach.figures)
	}
	return what, "", nil
}

// sortOld decides, once, what each old member needs: nothing when it still serves; a new
// registration when it still runs and nothing in this apply will terminate it now (its
// terminate step, not yet sent, is held: it waits until the apply stops); else a relaunch.
func (a *gate) sortOld(ctx context.Context, r *runner, step string) (op string, err error) {
	st := &a.relaunched
	ids, serving, reused := map[string]string{}, map[string]bool{}, map[string]bool{}
	var hold []string
	for _, e := range a.p.Rollback.Relaunch {
		old := e.Launch.Replaces
		d, ok, err := r.targetHealth(ctx, e.TargetGroupARN, old, e.Port)
		if err != nil {
			return "DescribeTargetHealth", err
		}
		if ok && d.TargetHealth != nil && d.TargetHealth.State != elbtypes.TargetHealthStateEnumDraining {
			serving[old] = true
			continue
		}
		term, planned := r.terminateOf(old)
		if planned && term.sent {
			continue // terminating: relaunch
		}
		state, err := r.instanceState(ctx, old)
		if err != nil && cloud.ErrorCode(err) != "InvalidInstanceID.NotFound" {
			return "DescribeInstances", err
		}
		if state == "running" {
			ids[old], reused[old] = old, true
			hold = append(hold, old)
		}
	}
	if r.held == nil {
		r.held = map[string]string{}
	}
	for _, id := range hold {
		r.held[id] = step
	}
	st.ids, st.serving, st.reused = ids, serving, reused
	return "", nil
}

// terminateOf returns the terminate step of this apply for instance id, if any.
func (r *runner) terminateOf(id string) (*terminateInstance, bool) {
	for _, t := range r.tasks {
		if a, ok := t.action.(*terminateInstance); ok && a.p.InstanceID == id {
			return a, true
		}
	}
	return nil, false
}

// registerRelaunched registers the relaunched members once every one runs (ELBv2 refuses
// an instance that is not running).
func (a *gate) registerRelaunched(ctx context.Context, r *runner) (waiting, op string, err error) {
	st := &a.relaunched
	var pending []string
	byGroup := map[string][]elbtypes.TargetDescription{}
	var groups []string
	for _, e := range a.p.Rollback.Relaunch {
		id := st.ids[e.Launch.Replaces]
		if id == "" {
			continue // still serving
		}
		state, err := r.instanceState(ctx, id)
		if err != nil {
			return "", "DescribeInstances", err
		}
		switch state {
		case "running":
		case "pending":
			pending = append(pending, named(id, e.Name))
		default:
			return "", "", fmt.Errorf("instance %s, relaunched in place of %s, is %s; the gate tripped (%s: %s) and the new members still serve", id, e.Launch.Replaces, state, a.breach.gate, a.breach.figures)
		}
		if _, ok := byGroup[e.TargetGroupARN]; !ok {
			groups = append(groups, e.TargetGroupARN)
		}
		byGroup[e.TargetGroupARN] = append(byGroup[e.TargetGroupARN], elbtypes.TargetDescription{Id: aws.String(id), Port: aws.Int32(e.Port)})
	}
	if len(pending) > 0 {
		what := "the relaunched old members to be running (rollback): " + strings.Join(pending, ", ")
		if err := r.timedOutSince(st.since, r.timeouts.InstanceRunning, what); err != nil {
			return "", "", fmt.Errorf("%w; the gate tripped (%s: %s) and the new members still serve", err, a.breach.gate, a.breach.figures)
		}
		return what, "", nil
	}
	for _, g := range groups {
		if _, err := r.api.ELBV2.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(g), Targets: byGroup[g]}); err != nil {
			return "", "RegisterTargets", err
		}
		r.changed(g)
	}
	st.registered, st.since = true, r.clock.Now()
	return "the relaunched old members to pass health checks (rollback)", "", nil
}

// relaunchedNames says what the rollback relaunched: "web-1a-1 (i-old) as i-new from ami-…".
func (a *gate) relaunchedNames() []string {
	var out []string
	for _, e := range a.p.Rollback.Relaunch {
		if id := a.relaunched.ids[e.Launch.Replaces]; id != "" && !a.relaunched.reused[e.Launch.Replaces] {
			out = append(out, fmt.Sprintf("%s as %s from %s", named(e.Launch.Replaces, e.Name), id, e.Launch.ImageID))
		}
	}
	return out
}

// reusedNames are the old members registered again rather than relaunched.
func (a *gate) reusedNames() []string {
	var out []string
	for _, e := range a.p.Rollback.Relaunch {
		if a.relaunched.reused[e.Launch.Replaces] {
			out = append(out, named(e.Launch.Replaces, e.Name))
		}
	}
	return out
}
