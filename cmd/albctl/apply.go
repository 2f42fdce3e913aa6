package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/rehearse"
	"github.com/albctl/albctl/internal/views"
)

type applyFlags struct {
	common
	autoApprove bool
	json        bool
	chart       string
}

// progressEvery is how often a waiting step says it is still waiting: Terraform's cadence.
const progressEvery = 10 * time.Second

func (m *Main) apply(ctx context.Context, args []string) error {
	defer m.releaseLocks() // on every path: error, Ctrl-C, success (target.go)
	var f applyFlags
	fs := m.flagSet("apply")
	f.register(fs)
	f.target.lockFlags.register(fs)
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "skip the interactive 'yes' (a saved plan file is already approved)")
	fs.BoolVar(&f.json, "json", false, "stream one JSON event per line (implies no prompt: needs -auto-approve or a saved plan)")
	fs.StringVar(&f.chart, "traffic-chart", "", "simulator: write what clients saw over time, with the steps marked, to FILE.svg")
	fs.StringVar(&f.target.faults, "faults", "", "simulator: inject the faults of FILE (JSON, as a world file's \"faults\") into this apply; not saved")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	arg, err := oneDir("apply", pos)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(arg); err == nil && !fi.IsDir() && !strings.HasSuffix(arg, ".hcl") {
		return m.applySaved(ctx, arg, &f)
	}

	pl, err := m.makePlan(ctx, arg, &f.common, true)
	if err != nil {
		return err
	}
	be, l, p := pl.backend, pl.spec, pl.plan
	out := views.NewApply(m.Stdout, f.json, m.colour())
	if h, ok := out.(*views.ApplyHuman); ok {
		h.Compact, h.Collapse = f.autoApprove, m.collapseProgress(be)
	}
	out.Plan(be.Header, p)
	if p.Empty() {
		return nil
	}
	if !f.autoApprove {
		if f.json {
			return errors.New("apply -json cannot ask for approval: add -auto-approve, or apply a saved plan file")
		}
		if err := m.confirm(ctx, p); err != nil {
			return err
		}
	}
	return m.execute(ctx, be, l, p, pl.world, out, f.chart)
}

// maxAnswer bounds what the prompt reads: an answer is a word, and stdin may be endless
// (apply </dev/zero).
const maxAnswer = 1024

var errCancelled = &exitError{code: 1, err: errors.New("apply cancelled")}

// confirm asks for "yes" on a terminal, as terraform apply does; elsewhere it refuses. The
// plan's warnings are repeated right above the question. Ctrl-C (a cancelled ctx) and end of
// input both mean no.
func (m *Main) confirm(ctx context.Context, p *plan.Plan) error {
	if m.IsTerminal == nil || !m.IsTerminal() {
		return errors.New("not applying: stdin is not a terminal, so nobody can approve the plan. Review it and re-run with -auto-approve, or save it with 'plan -out FILE' and 'apply FILE'")
	}
	if ws := views.PlanWarnings(p); len(ws) > 0 {
		fmt.Fprintf(m.Stdout, "\nBefore you approve: %s.\n", views.Plural(len(ws), "warning"))
		views.WriteWarningList(m.Stdout, ws, m.colour())
	}
	fmt.Fprint(m.Stdout, "\nDo you want to take these steps?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
	m.mu.Lock()
	m.onInterrupt = "nothing was applied"
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.onInterrupt = ""
		m.mu.Unlock()
	}()
	answer := make(chan readResult, 1)
	go func() {
		line, err := readLine(m.Stdin, maxAnswer)
		answer <- readResult{line, err}
	}()
	select {
	case <-ctx.Done():
		// The reader goroutine stays blocked on stdin; the process is about to exit.
		fmt.Fprintln(m.Stdout)
		return errCancelled
	case r := <-answer:
		if r.err != nil && !errors.Is(r.err, io.EOF) {
			return fmt.Errorf("read approval: %w", r.err)
		}
		if errors.Is(r.err, io.EOF) && r.line == "" {
			fmt.Fprintln(m.Stdout)
		}
		if strings.TrimSpace(r.line) != "yes" {
			return errCancelled
		}
	}
	fmt.Fprintln(m.Stdout)
	return nil
}

type readResult struct {
	line string
	err  error
}

// readLine reads up to and without the first newline, one byte at a time so that nothing
// after the answer is consumed, and at most limit bytes: a longer "line" is not an answer.
func readLine(r io.Reader, limit int) (string, error) {
	var b bytes.Buffer
	buf := make([]byte, 1)
	for b.Len() < limit {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return b.String(), nil
			}
			b.WriteByte(buf[0])
		}
		if err != nil {
			return b.String(), err
		}
	}
	return "", fmt.Errorf("no answer in the first %d bytes of input", limit)
}

// execute runs the plan, saves the simulator's world whatever happens, and checks that the
// world now matches the spec.
func (m *Main) execute(ctx context.Context, be *backend.Backend, l *loaded, p *plan.Plan, planned *cloud.World, out views.Apply, chart string) error {
	if chart != "" && be.Sim == nil {
		return errChartNeedsSim
	}
	if h, ok := out.(*views.ApplyHuman); ok {
		h.Collapse = m.collapseProgress(be)
	}
	track := views.NewTracker(p)
	opts := engine.Options{
		Clock:         be.Clock,
		ProgressEvery: progressEvery,
		World:         planned,
		Events: func(e engine.Event) {
			track.Event(e)
			out.Event(e)
		},
	}
	var traffic *rehearse.Recorder
	if be.Sim != nil {
		traffic = rehearse.Record(be.Sim, p)
		opts.AfterPoll, opts.Clock = traffic.Sample, traffic.Clock()
		opts.Events = func(e engine.Event) {
			track.Event(e)
			out.Event(e)
			traffic.Event(e)
		}
	}
	m.setOnForce(func() { m.forceStop(be, track) })
	defer m.setOnForce(nil)
	res, applyErr := engine.Apply(ctx, p, be.API, opts)
	if err := be.Save(); err != nil {
		return errors.Join(applyErr, err)
	}
	if traffic != nil {
		// Clients are watched after the world is saved: the window after the last step
		// is not part of the apply.
		if err := traffic.Finish(context.WithoutCancel(ctx)); err != nil {
			return errors.Join(applyErr, err)
		}
		report := traffic.Report(l.stack)
		out.Traffic(report)
		if err := m.writeChart(chart, report, be.Header); err != nil {
			return errors.Join(applyErr, err)
		}
	}
	simulated := ""
	if be.Kind == "sim" {
		simulated = " simulated"
	}
	if applyErr != nil {
		out.Stopped(res, track.Groups(res), applyErr, simulated)
		return &exitError{code: 1, err: errReported}
	}
	// The cloud is the source of truth: look again rather than trust the run.
	world, err := be.Observe(context.WithoutCancel(ctx), l.stack)
	if err != nil {
		return fmt.Errorf("observe after apply: %w", err)
	}
	again, err := plan.Build(l.stack, world)
	if err != nil {
		return m.reportPlanError(l, err)
	}
	out.Complete(res, again, simulated)
	if !again.Empty() {
		return &exitError{code: 1, err: errReported}
	}
	return nil
}

// collapseProgress says whether progress is a line per step: on the simulator, unless
// ALBCTL_PROGRESS=all asks for every line as on AWS (docs/apply.md, "What apply prints").
func (m *Main) collapseProgress(be *backend.Backend) bool {
	return be.Sim != nil && m.getenv("ALBCTL_PROGRESS") != "all"
}

// forceStop is the second Ctrl-C during an apply: save the simulator's world as it is at this
// instant, or say plainly what may be left half done on AWS.
func (m *Main) forceStop(be *backend.Backend, track *views.Tracker) {
	inFlight := track.InFlight()
	switch {
	case be.Sim != nil && be.WorldPath != "":
		if err := be.Save(); err != nil {
			fmt.Fprintf(m.Stderr, "\nSecond interrupt: stopping at once, but the world could not be saved: %v\n", err)
			return
		}
		fmt.Fprintf(m.Stderr, "\nSecond interrupt: saved the simulated world to %s and stopped at once.\n", be.WorldPath)
	case be.Sim != nil:
		fmt.Fprintln(m.Stderr, "\nSecond interrupt: stopped at once. The built-in world is never saved (use --world FILE to keep changes).")
	default:
		fmt.Fprintln(m.Stderr, "\nSecond interrupt: stopped at once, without waiting for AWS to answer.")
		fmt.Fprintln(m.Stderr, "albctl keeps no state file, so nothing is left unsaved locally; but AWS may have carried out a call albctl did not see the answer to.")
		if len(inFlight) > 0 {
			fmt.Fprintf(m.Stderr, "Steps in flight, possibly half done: %s.\n", strings.Join(inFlight, ", "))
		}
		fmt.Fprintln(m.Stderr, "Run 'albctl plan' to see where the world stands: it observes afresh and creates nothing twice.")
	}
}
