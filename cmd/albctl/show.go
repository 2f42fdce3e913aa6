package main

import (
	"context"
	"fmt"
)

func (m *Main) show(_ context.Context, args []string) error {
	fs := m.flagSet("show")
	jsonOut := fs.Bool("json", false, "print the saved plan as JSON (same schema as plan -json)")
	markdown := fs.Bool("markdown", false, "print the saved plan as markdown for a pull-request comment")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	if err := conflicting(fs, "json", "markdown"); err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("show takes one saved plan file")
	}
	sp, err := readSavedPlan(pos[0])
	if err != nil {
		return err
	}
	if *jsonOut {
		return renderPlanJSON(m.Stdout, sp.Target.Header, sp.Plan)
	}
	if *markdown {
		renderPlanMarkdown(m.Stdout, sp.Target.Header, sp.Plan)
		return nil
	}
	renderPlanHuman(m.Stdout, sp.Target.Header, sp.Plan, m.colour())
	return nil
}
