package main

import (
	"context"
	"fmt"
)

func init() { extraCommands["show"] = (*Main).show }

func (m *Main) show(_ context.Context, args []string) error {
	fs := newFlagSet("show", m.Stderr)
	jsonOut := fs.Bool("json", false, "print the saved plan as JSON (same schema as plan -json)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
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
	renderPlanHuman(m.Stdout, sp.Target.Header, sp.Plan)
	return nil
}
