package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/rehearse"
	"github.com/albctl/albctl/internal/views"
)

type planFlags struct {
	common
	json             bool
	markdown         bool
	detailedExitcode bool
	out              string
	graph            string
	rehearse         bool
	chart            string
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
	fs.BoolVar(&f.rehearse, "rehearse", false, "run the plan on a copy of the world (simulator, or a read-only snapshot of AWS) and print what clients would see")
	fs.StringVar(&f.chart, "traffic-chart", "", "with -rehearse: write what clients would see over time, with the steps marked, to FILE.svg")
	fs.StringVar(&f.target.faults, "faults", "", "inject the faults of FILE (JSON, as a world file's \"faults\") into the rehearsal and the simulator")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
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
	var reh *rehearse.Report
	if f.rehearse {
		if reh, err = m.rehearse(ctx, be, p, pl.spec.stack, f.target); err != nil {
			return err
		}
		if err := m.writeChart(f.chart, reh, reh.World); err != nil {
			return err
		}
	}
	if f.out != "" {
		if err := writeSavedPlan(ctx, f.out, be, &f.common, dir, pl.spec.stack, pl.world, p); err != nil {
			return err
		}
	}
	if err := m.printPlan(&f, pl, reh); err != nil {
		return err
	}
	if f.detailedExitcode && !p.Empty() {
		return &exitError{code: 2}
	}
	return nil
}

// check refuses the flag combinations plan cannot print.
func (f *planFlags) check(fs *flag.FlagSet) error {
	if err := conflicting(fs, "json", "markdown"); err != nil {
		return err
	}
	if err := conflicting(fs, "json", "graph"); err != nil {
		return err
	}
	if f.graph != "" && f.graph != "dot" && f.graph != "mermaid" {
		return &exitError{code: 1, err: fmt.Errorf("-graph must be dot or mermaid, not %q", f.graph)}
	}
	// -graph=mermaid -markdown is the graph in a fenced block, which GitHub draws; it has no
	// dot renderer (docs/review.md).
	if f.graph == "dot" && f.markdown {
		return &exitError{code: 1, err: errors.New("-graph=dot -markdown: GitHub draws mermaid, not dot, in a comment; use -graph=mermaid -markdown")}
	}
	if f.rehearse && f.graph != "" {
		return &exitError{code: 1, err: errors.New("-rehearse prints next to the plan in the human, -json or -markdown output, not with -graph")}
	}
	if f.chart != "" && !f.rehearse {
		return &exitError{code: 1, err: errors.New("-traffic-chart draws a rehearsal: add -rehearse")}
	}
	return nil
}

// printPlan prints the plan (and its rehearsal, when there is one) in the form the flags ask for.
func (m *Main) printPlan(f *planFlags, pl *planned, reh *rehearse.Report) error {
	be, p := pl.backend, pl.plan
	switch {
	case f.graph != "" && f.markdown:
		fmt.Fprintln(m.Stdout, "```mermaid")
		if err := views.RenderGraph(m.Stdout, p, f.graph); err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, "```")
	case f.graph != "":
		if err := views.RenderGraph(m.Stdout, p, f.graph); err != nil {
			return err
		}
	case f.json:
		doc := views.NewPlanJSON(be.Header, p)
		if reh != nil {
			doc.Rehearsal = views.NewRehearsalJSON(reh)
		}
		if err := views.WritePlanJSON(m.Stdout, doc); err != nil {
			return err
		}
	case f.markdown && reh != nil:
		views.RenderPlanMarkdownWith(m.Stdout, be.Header, p, func(w io.Writer) { views.WriteRehearsalMarkdown(w, reh) })
	case f.markdown:
		views.RenderPlanMarkdown(m.Stdout, be.Header, p)
	default:
		views.RenderPlanHuman(m.Stdout, be.Header, p, m.colour())
		if reh != nil {
			views.WriteRehearsal(m.Stdout, reh)
		}
		if f.out != "" {
			fmt.Fprintf(m.Stdout, "\nSaved the plan to %s. To carry it out exactly, run:\n    albctl apply %s\n", f.out, applyCommand(f.target, f.out))
		}
	}
	return nil
}

// planned is everything a plan was made from.
type planned struct {
	spec    *loaded
	backend *backend.Backend
	world   *cloud.World
	plan    *plan.Plan
}

// makePlan loads the spec in dir, opens what it talks to, observes, and plans.
func (m *Main) makePlan(ctx context.Context, dir string, c *common, forApply bool) (*planned, error) {
	l, err := m.loadStack(dir, c)
	if err != nil {
		return nil, err
	}
	// Say where AWS was chosen: the user passed --world, not --cloud.
	if c.target.world != "" && c.target.cloud == "" && l.stack.Cloud.Target == "aws" {
		return nil, fmt.Errorf("--world is for the simulator, but the spec's cloud { target = \"aws\" } (%s:%d) picks AWS; add --cloud sim to plan on the simulator with that world", l.stack.Cloud.DeclRange.Filename, l.stack.Cloud.DeclRange.Start.Line)
	}
	be, err := m.openBackend(ctx, c.target, l.stack, forApply)
	if err != nil {
		return nil, err
	}
	world, err := be.Observe(ctx, l.stack)
	if err != nil {
		return nil, fmt.Errorf("observe: %w", err)
	}
	p, err := plan.Build(l.stack, world)
	if err != nil {
		return nil, m.reportPlanError(l, err)
	}
	return &planned{spec: l, backend: be, world: world, plan: p}, nil
}
