package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/planfile"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/views"
)

// The saved-plan format and its checks are internal/planfile's; this file wires them to the
// commands: plan -out writes one, apply FILE checks and carries one out.

func writeSavedPlan(ctx context.Context, path string, be *backend.Backend, c *common, dir string, stack *specs.Stack, world *cloud.World, p *plan.Plan) error {
	sp, err := planfile.New(Version, planfile.Inputs{Dir: dir, Stack: stack, Vars: c.vars, VarFiles: c.varFiles}, world, p)
	if err != nil {
		return err
	}
	if sp.Target, err = operatorTarget(ctx, c.target, stack); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	sp.Target.Identity, sp.Target.Header = be.Identity, be.Header
	return planfile.Write(path, sp)
}

// applySaved carries out exactly the saved steps, after checking that nothing they were
// computed from has changed and that planning again gives the same steps.
func (m *Main) applySaved(ctx context.Context, path string, f *applyFlags) error {
	sp, err := planfile.Read(path)
	if err != nil {
		return err
	}
	if err := sp.CheckVersion(path, Version); err != nil {
		return err
	}
	if len(f.vars) > 0 || len(f.varFiles) > 0 {
		return errors.New("a saved plan carries its variables: -var and -var-file cannot be used with it")
	}
	varPaths, err := sp.CheckFiles(path)
	if err != nil {
		return err
	}
	// Where requests go is the operator's: this apply's flags, environment and shared config,
	// and the spec the plan is bound to. The file's target is only compared with them.
	c := common{vars: sp.Spec.Vars, varFiles: varPaths}
	c.target = f.target
	l, err := m.loadStack(sp.Spec.Dir, &c)
	if err != nil {
		return fmt.Errorf("plan %s: the spec in %s no longer loads: %w", path, sp.Spec.Dir, err)
	}
	if err := sp.CheckSpec(path, l.stack); err != nil {
		return err
	}
	// Before anything is resolved or dialled: a plan made for another target stops here.
	here, err := operatorTarget(ctx, c.target, l.stack)
	if err != nil {
		return err
	}
	if err := sp.CheckTarget(path, here); err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	c.target.lockFlags.operation = "apply"
	c.target.lockFlags.plan = "saved plan " + abs
	be, err := m.openBackend(ctx, c.target, l.stack, true)
	if err != nil {
		return err
	}
	return m.applyChecked(ctx, path, sp, be, l, f)
}

// applyChecked observes the target a saved plan was checked against, refuses the plan when
// the world or the steps differ from what it recorded, and carries it out.
func (m *Main) applyChecked(ctx context.Context, path string, sp *planfile.Plan, be *backend.Backend, l *loaded, f *applyFlags) error {
	if err := sp.CheckIdentity(path, be.Identity, be.Header); err != nil {
		return err
	}
	world, err := be.Observe(ctx, l.stack)
	if err != nil {
		return fmt.Errorf("observe: %w", err)
	}
	if err := sp.CheckWorld(path, world); err != nil {
		var stale *planfile.StaleError
		if errors.As(err, &stale) && f.json {
			m.staleJSON(path, stale.Changes)
		}
		return err
	}
	// The steps must be what albctl plans for this spec and world: an edited, resealed plan
	// is refused here, before anything is done.
	again, err := plan.Build(l.stack, world)
	if err != nil {
		return m.reportPlanError(l, err)
	}
	if err := sp.CheckSteps(path, again); err != nil {
		return err
	}
	out := views.NewApply(m.Stdout, f.json, m.colour())
	out.Plan(be.Header, sp.Plan)
	if sp.Plan.Empty() {
		return nil
	}
	return m.execute(ctx, be, l, again, world, out, f.chart)
}

// staleJSON writes every change of a stale plan as one JSON event (apply -json).
func (m *Main) staleJSON(planPath string, changes []planfile.Change) {
	_ = json.NewEncoder(m.Stdout).Encode(struct {
		Type    string            `json:"type"`
		Plan    string            `json:"plan_file"`
		Changes []planfile.Change `json:"changes"`
	}{"stale_plan", planPath, changes})
}

// operatorTarget is where this command's requests go, as the operator's flags, environment
// and shared config and the spec decide it (backend.Resolve), in the form a saved plan
// records. It makes no DNS query and no connection.
func operatorTarget(ctx context.Context, t targetFlags, stack *specs.Stack) (planfile.Target, error) {
	w, err := backend.Resolve(ctx, t.settings(), stack)
	if err != nil {
		return planfile.Target{}, err
	}
	return planfile.Target{Kind: w.Kind, World: w.World, Region: w.Region, Profile: w.Profile, Endpoint: w.Endpoint}, nil
}

// applyCommand is the apply of a saved plan with the target flags the plan was made with: a
// plan never names its target to apply, the operator does (docs/security.md). An endpoint is
// shown redacted; one with credentials in it must be typed again.
func applyCommand(t targetFlags, path string) string {
	var args []string
	for _, f := range []struct{ name, value string }{
		{"--cloud", t.cloud}, {"--world", t.world}, {"--region", t.region}, {"--profile", t.profile}, {"--endpoint", backend.RedactURL(t.endpoint)},
	} {
		if f.value != "" {
			args = append(args, f.name, shellQuote(f.value))
		}
	}
	return strings.Join(append(args, shellQuote(path)), " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
