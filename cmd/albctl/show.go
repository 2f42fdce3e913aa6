package main

import (
	"context"
	"fmt"

	"github.com/albctl/albctl/internal/planfile"
	"github.com/albctl/albctl/internal/views"
)

// unverifiedNote follows a saved plan's target wherever show prints it.
const unverifiedNote = "(recorded in the plan file, not verified: apply checks it against its own flags and configuration)"

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
	sp, err := planfile.Read(pos[0])
	if err != nil {
		return err
	}
	// The target is the file's word: anyone who can edit the file can reseal it with another.
	// show says so; apply compares it with its own flags and configuration before it trusts it.
	recorded := sp.RecordedHeader()
	if *jsonOut {
		doc := views.NewPlanJSON(recorded, sp.Plan)
		doc.TargetVerified = false
		return views.WritePlanJSON(m.Stdout, doc)
	}
	header := recorded + " " + unverifiedNote
	if *markdown {
		views.RenderPlanMarkdown(m.Stdout, header, sp.Plan)
		return nil
	}
	views.RenderPlanHuman(m.Stdout, header, sp.Plan, m.colour())
	return nil
}
