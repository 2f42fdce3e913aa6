package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/albctl/albctl/cloud"
	"github.com/albctl/albctl/engine"
	"github.com/albctl/albctl/plan"
	"github.com/albctl/albctl/simulator"
	"github.com/albctl/albctl/specs"
)

type applyFlags struct {
	common
	autoApprove bool
	json        bool
}

func (m *Main) apply(ctx context.Context, args []string) error {
	var f applyFlags
	fs := newFlagSet("apply", m.Stderr)
	f.register(fs)
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "skip the interactive 'yes' (a saved plan file is already approved)")
	fs.BoolVar(&f.json, "json", false, "stream one JSON event per line (implies no prompt: needs -auto-approve or a saved plan)")
	pos, err := parseInterspersed(fs, args)
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
	out := m.applyView(f.json)
	out.plan(be.header, p)
	if p.Empty() {
		return nil
	}
	if !f.autoApprove {
		if f.json {
			return errors.New("apply -json cannot ask for approval: add -auto-approve, or apply a saved plan file")
		}
		if err := m.confirm(); err != nil {
			return err
		}
	}
	return m.execute(ctx, be, l, p, pl.world, out)
}

// confirm asks for "yes" on a terminal, as terraform apply does; elsewhere it refuses.
func (m *Main) confirm() error {
	if m.IsTerminal == nil || !m.IsTerminal() {
		return errors.New("not applying: stdin is not a terminal, so nobody can approve the plan. Review it and re-run with -auto-approve, or save it with 'plan -out FILE' and 'apply FILE'")
	}
	fmt.Fprint(m.Stdout, "\nDo you want to take these steps?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
	line, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read approval: %w", err)
	}
	if strings.TrimSpace(line) != "yes" {
		return &exitError{code: 1, err: errors.New("apply cancelled")}
	}
	fmt.Fprintln(m.Stdout)
	return nil
}

// execute runs the plan, saves the simulator's world whatever happens, and checks that the
// world now matches the spec.
func (m *Main) execute(ctx context.Context, be *backend, l *loaded, p *plan.Plan, planned *cloud.World, out applyView) error {
	opts := engine.Options{Clock: be.clock, Events: out.event, World: planned}
	var traffic *trafficLog
	if be.sim != nil {
		traffic = newTrafficLog(be.sim)
		opts.AfterPoll = traffic.sample
	}
	res, applyErr := engine.Apply(ctx, p, be.api, opts)
	if traffic != nil {
		out.traffic(traffic, l.stack)
	}
	if err := be.save(); err != nil {
		return errors.Join(applyErr, err)
	}
	simulated := ""
	if be.kind == "sim" {
		simulated = " simulated"
	}
	if applyErr != nil {
		out.stopped(res, applyErr, simulated)
		return &exitError{code: 1, err: errReported}
	}
	// The cloud is the source of truth: look again rather than trust the run.
	world, err := be.observe(context.WithoutCancel(ctx), l.stack)
	if err != nil {
		return fmt.Errorf("observe after apply: %w", err)
	}
	again, err := plan.Build(l.stack, world)
	if err != nil {
		return m.reportPlanError(l, err)
	}
	out.complete(res, again, simulated)
	if !again.Empty() {
		return &exitError{code: 1, err: errReported}
	}
	return nil
}

// applyView renders an apply for people or, with -json, as one JSON object per line.
type applyView interface {
	plan(header string, p *plan.Plan)
	event(e engine.Event)
	stopped(res *engine.Result, err error, simulated string)
	complete(res *engine.Result, remaining *plan.Plan, simulated string)
	// traffic reports what simulated clients saw (simulator only).
	traffic(l *trafficLog, stack *specs.Stack)
}

func (m *Main) applyView(jsonOut bool) applyView {
	if jsonOut {
		return &applyJSON{enc: json.NewEncoder(m.Stdout)}
	}
	tty := m.StdoutIsTerminal != nil && m.StdoutIsTerminal() && m.getenv("NO_COLOR") == "" && m.getenv("TERM") != "dumb"
	return &applyHuman{w: m.Stdout, fancy: tty}
}

// applyHuman prints progress as plain lines fit for CI logs; on a terminal (and without
// NO_COLOR) it colours outcomes and keeps "still waiting" on one live line.
type applyHuman struct {
	w     io.Writer
	fancy bool
	live  bool // the last thing printed is a live line without its newline
}

const (
	green = "\033[32m"
	red   = "\033[31m"
	dim   = "\033[2m"
	reset = "\033[0m"
)

func (v *applyHuman) line(color, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if !v.fancy {
		fmt.Fprintln(v.w, text)
		return
	}
	if v.live {
		fmt.Fprint(v.w, "\r\033[K")
		v.live = false
	}
	fmt.Fprintln(v.w, color+text+reset)
}

func (v *applyHuman) liveLine(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if !v.fancy {
		fmt.Fprintln(v.w, text)
		return
	}
	fmt.Fprint(v.w, "\r\033[K"+dim+text+reset)
	v.live = true
}

var _ applyView = (*applyHuman)(nil)

func (v *applyHuman) plan(header string, p *plan.Plan) { renderPlanHuman(v.w, header, p) }

func (v *applyHuman) event(e engine.Event) {
	switch e.Type {
	case engine.EventStarted:
		v.line("", "%s: Starting... (%s)", e.Step, e.Resource)
	case engine.EventWaiting:
		v.liveLine("%s: Still waiting for %s [%s elapsed]", e.Step, e.Message, round(e.Elapsed))
	case engine.EventRetry:
		v.liveLine("%s: %s [%s elapsed]", e.Step, e.Message, round(e.Elapsed))
	case engine.EventDone:
		out := ""
		if e.Output != "" {
			out = " [" + e.Output + "]"
		}
		v.line(green, "%s: Complete after %s%s", e.Step, round(e.Elapsed), out)
	case engine.EventFailed:
		v.line(red, "%s: Failed after %s: %s", e.Step, round(e.Elapsed), e.Error)
	}
}

func (v *applyHuman) traffic(l *trafficLog, stack *specs.Stack) {
	v.line("", "")
	l.write(v.w, stack)
}

func (v *applyHuman) stopped(res *engine.Result, err error, simulated string) {
	v.line("", "")
	fmt.Fprintf(v.w, "Apply stopped after %s%s: %v\n", round(res.Elapsed()), simulated, err)
	fmt.Fprintf(v.w, "Done (%d): %s\n", len(res.Done), list(res.Done))
	fmt.Fprintf(v.w, "Not done (%d): %s\n", len(res.NotDone), list(res.NotDone))
	fmt.Fprintln(v.w, "Run apply again to continue: it observes the world afresh and creates nothing twice.")
}

func (v *applyHuman) complete(res *engine.Result, remaining *plan.Plan, simulated string) {
	v.line("", "")
	fmt.Fprintf(v.w, "Apply complete! %d steps in %s%s.\n", len(res.Done), round(res.Elapsed()), simulated)
	if remaining.Empty() {
		fmt.Fprintln(v.w, "The world now matches the spec.")
		return
	}
	fmt.Fprintf(v.w, "The world does not match the spec yet: %s remain. Run apply again.\n", summary(remaining))
}

type applyJSON struct{ enc *json.Encoder }

var _ applyView = (*applyJSON)(nil)

func (v *applyJSON) plan(header string, p *plan.Plan) {
	_ = v.enc.Encode(struct {
		Type string   `json:"type"`
		Plan planJSON `json:"plan"`
	}{"plan", newPlanJSON(header, p)})
}

func (v *applyJSON) event(e engine.Event) { _ = v.enc.Encode(e) }

func (v *applyJSON) traffic(l *trafficLog, _ *specs.Stack) {
	for _, e := range l.entries {
		_ = v.enc.Encode(struct {
			Type    string        `json:"type"`
			Time    time.Time     `json:"time"`
			Elapsed time.Duration `json:"elapsed_ns"`
			simulator.Traffic
		}{"traffic", e.at, e.at.Sub(l.start), e.t})
	}
}

// outcome is the last line of apply -json: how the run ended.
type outcome struct {
	Type           string        `json:"type"`
	Status         string        `json:"status"`
	Error          string        `json:"error,omitempty"`
	Done           []string      `json:"done,omitempty"`
	NotDone        []string      `json:"not_done,omitempty"`
	Converged      *bool         `json:"converged,omitempty"`
	RemainingSteps *int          `json:"remaining_steps,omitempty"`
	Elapsed        time.Duration `json:"elapsed_ns"`
	Simulated      bool          `json:"simulated"`
}

// The engine emits its own summary event; these add the outcome.
func (v *applyJSON) stopped(res *engine.Result, err error, simulated string) {
	_ = v.enc.Encode(outcome{Type: "outcome", Status: "stopped", Error: err.Error(), Done: res.Done, NotDone: res.NotDone, Elapsed: res.Elapsed(), Simulated: simulated != ""})
}

func (v *applyJSON) complete(res *engine.Result, remaining *plan.Plan, simulated string) {
	converged, left := remaining.Empty(), len(remaining.Steps)
	_ = v.enc.Encode(outcome{Type: "outcome", Status: "complete", Converged: &converged, RemainingSteps: &left, Done: res.Done, Elapsed: res.Elapsed(), Simulated: simulated != ""})
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }

func list(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}
