package rehearse

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// Options are the command line's say in a rehearsal.
type Options struct {
	// Faults is a faults file to inject into the copy (docs/simulator.md, "Faults").
	Faults string
	// RetryMode and MaxAttempts are the SDK retryer's, as apply would run.
	RetryMode   aws.RetryMode
	MaxAttempts int
}

// Run runs p on a copy of the world be observes — the simulator's own, or a read-only
// snapshot of the AWS account with the alarms its gates watch — and reports what clients
// saw; stack says which target groups keep sessions on the servers. Nothing is written
// back. A plan that stops is part of the report (Error); the error is for a rehearsal that
// could not run.
func Run(ctx context.Context, be *backend.Backend, p *plan.Plan, stack *specs.Stack, o Options) (*Report, error) {
	cp, err := copyOf(ctx, be)
	if err != nil {
		return nil, err
	}
	var opts []simulator.Option
	if o.Faults != "" {
		f, err := simulator.LoadFaults(o.Faults)
		if err != nil {
			return nil, fmt.Errorf("--faults: %w", err)
		}
		opts = append(opts, simulator.WithFaults(f))
	}
	if be.Sim == nil {
		// The account's alarms the gates watch, so the copy judges them on its own metrics.
		if cp.world.Alarms, cp.unsimulated, err = mirrorAlarms(ctx, be.Clients.CW, p); err != nil {
			return nil, fmt.Errorf("rehearse: %w", err)
		}
	}
	seed := cp.world.Seed
	sim := simulator.New(cp.world, opts...)
	api := backend.Retrying(sim, seed, o.RetryMode, o.MaxAttempts)
	rec := Record(sim, p)
	res, applyErr := engine.Apply(ctx, p, api, engine.Options{
		Clock:     rec.Clock(),
		AfterPoll: rec.Sample,
		Events:    rec.Event,
	})
	if err := rec.Finish(ctx); err != nil {
		return nil, err
	}
	r := rec.Report(stack)
	r.World, r.Seed, r.Faults, r.Elapsed = cp.what, seed, o.Faults, res.Elapsed()
	r.Assumptions = append([]mirror.Assumption{}, cp.assumptions...)
	r.Unsimulated = cp.unsimulated
	if applyErr != nil {
		r.Error = applyErr.Error()
	}
	return r, nil
}

// worldCopy is the world a rehearsal runs on, and what people must know of it.
type worldCopy struct {
	world       *simulator.World
	what        string
	assumptions []mirror.Assumption
	unsimulated []string
}

// copyOf copies the simulator's world, or snapshots the AWS account (Describe and List
// calls only) with what the snapshot assumed.
func copyOf(ctx context.Context, be *backend.Backend) (worldCopy, error) {
	if be.Sim != nil {
		return worldCopy{world: be.Sim.World(), what: be.Header}, nil
	}
	c := be.Clients
	w, notes, err := mirror.Snapshot(ctx, mirror.SnapshotAPI{
		EC2: c.EC2, ELBV2: c.ELBV2, IAM: c.IAM, STS: c.STS,
	}, be.Region)
	if err != nil {
		return worldCopy{}, fmt.Errorf("rehearse: %w", err)
	}
	return worldCopy{world: w, what: fmt.Sprintf("a snapshot of %s, with %d assumptions", be.Header, len(notes)), assumptions: notes}, nil
}
