package views

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/rehearse"
	"github.com/albctl/albctl/internal/specs"
)

var blogDir = filepath.Join("..", "..", "examples", "blog")

// blogRehearsal rehearses the blog example on its world file (never written: a rehearsal
// runs on a copy), with faults from a file if given, as plan -rehearse does; it returns the
// report and the plan.
func blogRehearsal(t *testing.T, faults string) (*rehearse.Report, *plan.Plan) {
	t.Helper()
	stack, _, diags := specs.Load(blogDir, specs.Options{})
	if diags.HasErrors() {
		t.Fatalf("load the blog example: %v", diags)
	}
	be, err := backend.OpenSim(filepath.Join(blogDir, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w, err := be.Observe(ctx, stack)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	p, err := plan.Build(stack, w)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	r, err := rehearse.Run(ctx, be, p, stack, rehearse.Options{Faults: faults, RetryMode: aws.RetryModeAdaptive})
	if err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	return r, p
}
