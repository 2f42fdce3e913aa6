package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/planfile"
	"github.com/albctl/albctl/internal/specs"
)

// The saved-plan format and its checks are internal/planfile's; this file wires them to the
// commands: plan -out writes one, apply FILE checks and carries one out.

func writeSavedPlan(ctx context.Context, path string, be *backend, c *common, dir string, stack *specs.Stack, world *cloud.World, p *plan.Plan) error {
	sp, err := planfile.New(Version, planfile.Inputs{Dir: dir, Stack: stack, Vars: c.vars, VarFiles: c.varFiles}, world, p)
	if err != nil {
		return err
	}
	if sp.Target, err = operatorTarget(ctx, c.target, stack); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	sp.Target.Identity, sp.Target.Header = be.identity, be.header
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
func (m *Main) applyChecked(ctx context.Context, path string, sp *planfile.Plan, be *backend, l *loaded, f *applyFlags) error {
	if err := sp.CheckIdentity(path, be.identity, be.header); err != nil {
		return err
	}
	world, err := be.observe(ctx, l.stack)
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
	out := m.applyView(f.json)
	out.plan(be.header, sp.Plan)
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
// and shared config and the spec decide it, in the form a saved plan records: the cloud,
// the world file (absolute, symlink-free), and for AWS the region, the profile and the
// endpoint (credentials redacted). It makes no DNS query and no connection: loading the
// SDK's configuration reads files and the environment only, with the metadata service off.
func operatorTarget(ctx context.Context, t targetFlags, stack *specs.Stack) (planfile.Target, error) {
	kind, err := resolveCloud(t.cloud, stack)
	if err != nil {
		return planfile.Target{}, err
	}
	st := planfile.Target{Kind: kind}
	if kind == "sim" {
		if t.world != "" {
			if st.World, err = worldIdentity(t.world); err != nil {
				return planfile.Target{}, fmt.Errorf("world %s: %w", t.world, err)
			}
		}
		return st, nil
	}
	if t.world != "" {
		return planfile.Target{}, errors.New("--world is for the simulator; it cannot be used with --cloud aws")
	}
	region, profile, endpoint, _ := awsSettings(t, stack)
	opts := []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return planfile.Target{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	for _, src := range cfg.ConfigSources {
		if ec, ok := src.(config.EnvConfig); ok && profile == "" {
			profile = ec.SharedConfigProfile
		}
	}
	if profile == "" {
		profile = "default"
	}
	if endpoint == "" {
		endpoint = aws.ToString(cfg.BaseEndpoint)
	}
	st.Region, st.Profile, st.Endpoint = cfg.Region, profile, redactURL(endpoint)
	return st, nil
}

// applyCommand is the apply of a saved plan with the target flags the plan was made with: a
// plan never names its target to apply, the operator does (docs/security.md). An endpoint is
// shown redacted; one with credentials in it must be typed again.
func applyCommand(t targetFlags, path string) string {
	var args []string
	for _, f := range []struct{ name, value string }{
		{"--cloud", t.cloud}, {"--world", t.world}, {"--region", t.region}, {"--profile", t.profile}, {"--endpoint", redactURL(t.endpoint)},
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
