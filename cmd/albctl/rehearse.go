package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/rehearse"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/views"
)

// plan -rehearse runs the plan on a copy of the observed world and reports what clients
// would see (internal/rehearse; docs/simulator.md, "Rehearsal"). This file only wires the
// flags to it and writes the chart file.

// rehearse runs p on a copy of the world be observed, with the faults and retries of t.
func (m *Main) rehearse(ctx context.Context, be *backend.Backend, p *plan.Plan, stack *specs.Stack, t targetFlags) (*rehearse.Report, error) {
	// A rehearsal runs an apply: it retries as apply would.
	mode, err := retryMode(t, true)
	if err != nil {
		return nil, err
	}
	return rehearse.Run(ctx, be, p, stack, rehearse.Options{Faults: t.faults, RetryMode: mode, MaxAttempts: t.maxAttempts})
}

// writeChart writes the chart of r to path; nothing when path is "".
func (m *Main) writeChart(path string, r *rehearse.Report, title string) error {
	if path == "" {
		return nil
	}
	var b bytes.Buffer
	views.RenderChart(&b, r, title)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("-traffic-chart: %w", err)
	}
	// On stderr: stdout may be -json, which a line of prose would break.
	fmt.Fprintf(m.Stderr, "Wrote the traffic chart to %s.\n", path)
	return nil
}

var errChartNeedsSim = errors.New("-traffic-chart draws simulated traffic: it needs the simulator, or plan -rehearse")
