package main

import (
	"context"
	"fmt"

	"github.com/albctl/albctl/cloud"
	"github.com/albctl/albctl/plan"
)

type planFlags struct {
	common
	json             bool
	markdown         bool
	detailedExitcode bool
	out              string
	graph            string
}

func (m *Main) plan(ctx context.Context, args []string) error {
	var f planFlags
	fs := m.flagSet("plan")
	f.register(fs)
	fs.BoolVar(&f.json, "json", false, "print the plan as JSON (schema: docs/plan-json.md)")
	fs.BoolVar(&f.markdown, "markdown", false, "print the plan as markdown for a pull-request comment")
	fs.BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	fs.StringVar(&f.out, "out", "", "save the plan to FILE for a later 'albctl apply FILE'")
	fs.StringVar(&f.graph, "graph", "", "print the step graph instead: dot or mermaid")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	if err := conflicting(fs, "json", "markdown", "graph"); err != nil {
		return err
	}
	if f.graph != "" && f.graph != "dot" && f.graph != "mermaid" {
		return &exitError{code: 1, err: fmt.Errorf("-graph must be dot or mermaid, not %q", f.graph)}
	}
	dir, err := oneDir("plan", pos)
	if err != nil {
		return err
	}
	pl, err := m.makePlan(ctx, dir, &f.common, false)
	if err != nil {
		return err
	}
	be, p := pl.backend, pl.plan
	if f.out != "" {
		if err := writeSavedPlan(f.out, be, &f.common, dir, pl.spec.stack, pl.world, p); err != nil {
			return err
		}
	}
	switch {
	case f.graph != "":
		if err := renderGraph(m.Stdout, p, f.graph); err != nil {
			return err
		}
	case f.json:
		if err := renderPlanJSON(m.Stdout, be.header, p); err != nil {
			return err
		}
	case f.markdown:
		renderPlanMarkdown(m.Stdout, be.header, p)
	default:
		renderPlanHuman(m.Stdout, be.header, p, m.colour())
		if f.out != "" {
			fmt.Fprintf(m.Stdout, "\nSaved the plan to %s. To carry it out exactly, run:\n    albctl apply %s\n", f.out, f.out)
		}
	}
	if f.detailedExitcode && !p.Empty() {
		return &exitError{code: 2}
	}
	return nil
}

// planned is everything a plan was made from.
type planned struct {
	spec    *loaded
	backend *backend
	world   *cloud.World
	plan    *plan.Plan
}

// makePlan loads the spec in dir, opens what it talks to, observes, and plans.
func (m *Main) makePlan(ctx context.Context, dir string, c *common, forApply bool) (*planned, error) {
	l, err := m.loadStack(dir, c)
	if err != nil {
		return nil, err
	}
	be, err := m.openBackend(ctx, c.target, l.stack, forApply)
	if err != nil {
		return nil, err
	}
	world, err := be.observe(ctx, l.stack)
	if err != nil {
		return nil, fmt.Errorf("observe: %w", err)
	}
	p, err := plan.Build(l.stack, world)
	if err != nil {
		return nil, m.reportPlanError(l, err)
	}
	return &planned{spec: l, backend: be, world: world, plan: p}, nil
}
