package views

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/rehearse"
)

var t0 = time.Date(2023, 5, 14, 9, 0, 0, 0, time.UTC)

// smallPlan has one step of three kinds, in the order a rollout takes them.
func smallPlan() *plan.Plan {
	return &plan.Plan{Steps: []plan.Step{
		{ID: "create_image.web", Kind: plan.CreateImage, Resource: "image web-2"},
		{ID: "launch_instance.web.a.1", Kind: plan.LaunchInstance, Resource: "instance web-a-1", DependsOn: []string{"create_image.web"}},
		{ID: "trim_zones.web", Kind: plan.TrimZones, Resource: "load balancer web-alb", DependsOn: []string{"launch_instance.web.a.1"}},
	}}
}

func ev(typ engine.EventType, step string, elapsed time.Duration, more ...string) engine.Event {
	e := engine.Event{Type: typ, Time: t0.Add(elapsed), Step: step, Elapsed: elapsed}
	for i := 0; i+1 < len(more); i += 2 {
		switch more[i] {
		case "message":
			e.Message = more[i+1]
		case "output":
			e.Output = more[i+1]
		case "error":
			e.Error = more[i+1]
		case "resource":
			e.Resource = more[i+1]
		}
	}
	return e
}

// The progress lines after the plan: every event on AWS, a line per step on the simulator
// (collapsed), each numbered and marked as in the plan, with its retries counted.
func TestApplyHumanEvents(t *testing.T) {
	events := []engine.Event{
		ev(engine.EventStarted, "create_image.web", 0, "resource", "image web-2"),
		ev(engine.EventWaiting, "create_image.web", 10*time.Second, "message", "image to be available"),
		ev(engine.EventDone, "create_image.web", 4*time.Minute+36*time.Second+400*time.Millisecond, "output", "ami-2"),
		ev(engine.EventStarted, "launch_instance.web.a.1", 0),
		ev(engine.EventRetry, "launch_instance.web.a.1", time.Second, "message", "RequestLimitExceeded, retrying"),
		ev(engine.EventRetry, "launch_instance.web.a.1", 3*time.Second, "message", "RequestLimitExceeded, retrying"),
		ev(engine.EventFailed, "launch_instance.web.a.1", 5*time.Second, "error", "InsufficientInstanceCapacity"),
	}
	for _, tc := range []struct {
		name     string
		collapse bool
		colour   bool
		want     string
	}{
		{"every event", false, false, "" +
			"create_image.web: Starting... (image web-2)\n" +
			"create_image.web: Still waiting for image to be available [10s elapsed]\n" +
			"create_image.web: Complete after 4m36s [ami-2]\n" +
			"launch_instance.web.a.1: Starting... ()\n" +
			"launch_instance.web.a.1: RequestLimitExceeded, retrying [1s elapsed]\n" +
			"launch_instance.web.a.1: RequestLimitExceeded, retrying [3s elapsed]\n" +
			"launch_instance.web.a.1: Failed after 5s: InsufficientInstanceCapacity\n"},
		{"collapsed", true, false, "" +
			"  1. + create_image.web: complete after 4m36s simulated [ami-2]\n" +
			"  2. + launch_instance.web.a.1: failed after 5s simulated (2 retries): InsufficientInstanceCapacity\n"},
		{"live line on a terminal", false, true, "" +
			"create_image.web: Starting... (image web-2)" + reset + "\n" +
			"\r\033[K" + dim + "create_image.web: Still waiting for image to be available [10s elapsed]" + reset +
			"\r\033[K" + green + "create_image.web: Complete after 4m36s [ami-2]" + reset + "\n" +
			"launch_instance.web.a.1: Starting... ()" + reset + "\n" +
			"\r\033[K" + dim + "launch_instance.web.a.1: RequestLimitExceeded, retrying [1s elapsed]" + reset +
			"\r\033[K" + dim + "launch_instance.web.a.1: RequestLimitExceeded, retrying [3s elapsed]" + reset +
			"\r\033[K" + red + "launch_instance.web.a.1: Failed after 5s: InsufficientInstanceCapacity" + reset + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			v := &ApplyHuman{W: io.Discard, Colour: tc.colour, Collapse: tc.collapse}
			v.Plan("simulator", smallPlan())
			v.W = &buf
			for _, e := range events {
				v.Event(e)
			}
			if d := cmp.Diff(tc.want, buf.String()); d != "" {
				t.Errorf("progress (-want +got):\n%s", d)
			}
		})
	}
}

// manySteps is n steps of one kind, named kind.1 .. kind.n.
func manySteps(k plan.Kind, n int) []plan.Step {
	var out []plan.Step
	for i := 1; i <= n; i++ {
		out = append(out, plan.Step{ID: fmt.Sprintf("%s.%d", k, i), Kind: k})
	}
	return out
}

// A stopped apply says what is done, what failed, what may have happened and what did not
// start, a line per kind with at most three IDs each.
func TestApplyHumanStopped(t *testing.T) {
	res := &engine.Result{Started: t0, Finished: t0.Add(90 * time.Second)}
	for _, tc := range []struct {
		name string
		g    StepGroups
		want string
	}{
		{"nothing done", StepGroups{NotStarted: manySteps(plan.TrimZones, 1)}, "" +
			"Done: none\n" +
			"Not started: 1 step\n" +
			"  1 trim_zones: trim_zones.1\n"},
		{"many, by kind", StepGroups{
			Done:        append(manySteps(plan.LaunchInstance, 5), manySteps(plan.CreateImage, 1)...),
			Failed:      manySteps(plan.RegisterTarget, 1),
			Unconfirmed: manySteps(plan.TerminateInstance, 3),
		}, "" +
			"Done: 6 steps\n" +
			"  1 create_image: create_image.1\n" +
			"  5 launch_instance: launch_instance.1, launch_instance.2, launch_instance.3 and 2 more\n" +
			"Failed: 1 step\n" +
			"  1 register_target: register_target.1\n" +
			"Issued but not confirmed: 3 steps (AWS may have carried these out; albctl stopped before it saw them finish)\n" +
			"  3 terminate_instance: terminate_instance.1, terminate_instance.2, terminate_instance.3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			(&ApplyHuman{W: &buf}).Stopped(res, tc.g, errors.New("interrupted"), " simulated")
			want := "\nApply stopped after 1m30s simulated: interrupted\n" + tc.want +
				"Run apply again to continue: it observes the world afresh and creates nothing twice.\n"
			if d := cmp.Diff(want, buf.String()); d != "" {
				t.Errorf("stop summary (-want +got):\n%s", d)
			}
		})
	}
}

func TestApplyHumanComplete(t *testing.T) {
	res := &engine.Result{Done: []string{"a", "b"}, Started: t0, Finished: t0.Add(7*time.Minute + 53*time.Second)}
	for _, tc := range []struct {
		name      string
		remaining *plan.Plan
		want      string
	}{
		{"converged", &plan.Plan{}, "\nApply complete! 2 steps in 7m53s. The world now matches the spec.\n"},
		{"not yet", &plan.Plan{Steps: manySteps(plan.RegisterTarget, 2)},
			"\nApply complete! 2 steps in 7m53s.\nThe world does not match the spec yet: 2 steps (2 register_target) remain. Run apply again.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			(&ApplyHuman{W: &buf}).Complete(res, tc.remaining, "")
			if d := cmp.Diff(tc.want, buf.String()); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestApplyTraffic(t *testing.T) {
	lt := rehearse.Traffic{LoadBalancer: "web-alb", TargetGroup: "web-tg", Served: 0.5, Failed: 0.5, Why: "no healthy target",
		Status503: 0.5, Sessions: "local"}
	tr := &rehearse.Report{Routing: []rehearse.Routing{{Key: "web-alb -> web-tg", Windows: []rehearse.Window{{Failed: 0.5, To: time.Minute}}}},
		Changes: []rehearse.Change{
			{At: t0, Traffic: lt},
			{At: t0.Add(time.Minute), Elapsed: time.Minute, Traffic: rehearse.Traffic{LoadBalancer: "web-alb", TargetGroup: "web-tg", Served: 1, Sessions: "local"}},
		}}
	t.Run("human", func(t *testing.T) {
		var buf bytes.Buffer
		NewApply(&buf, false, false).Traffic(tr)
		if got, want := buf.String(), "\nTraffic web-alb -> web-tg (routing model, at every poll): 50% failed from 0s.\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		NewApply(&buf, true, false).Traffic(tr)
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
		}
		// The listener's fields sit beside type, time and elapsed_ns, not under a key.
		want := `{"type":"traffic","time":"2023-05-14T09:00:00Z","elapsed_ns":0,"load_balancer":"web-alb","target_group":"web-tg",` +
			`"served":0.5,"failed":0.5,"switch_server":0,"why":"no healthy target","status_502":0,"status_503":0.5,"status_504":0,` +
			`"target_errors":0,"sessions":"local"}`
		if lines[0] != want {
			t.Errorf("line 1:\n got %s\nwant %s", lines[0], want)
		}
		var second struct {
			Type    string        `json:"type"`
			Time    time.Time     `json:"time"`
			Elapsed time.Duration `json:"elapsed_ns"`
			rehearse.Traffic
		}
		if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
			t.Fatal(err)
		}
		if second.Type != "traffic" || !second.Time.Equal(tr.Changes[1].At) || second.Elapsed != time.Minute || second.Traffic != tr.Changes[1].Traffic {
			t.Errorf("line 2 reads back as %+v, want change %+v", second, tr.Changes[1])
		}
	})
}

// The JSON view's plan line holds the plan document; its outcome line says how the apply
// ended, with what is done and what may have been done.
func TestApplyJSON(t *testing.T) {
	p := smallPlan()
	res := &engine.Result{Done: []string{"create_image.web"}, NotDone: []string{"trim_zones.web"}, Failed: "launch_instance.web.a.1",
		Started: t0, Finished: t0.Add(time.Minute)}
	var buf bytes.Buffer
	v := NewApply(&buf, true, false)
	v.Plan("simulator", p)
	v.Event(ev(engine.EventDone, "create_image.web", time.Minute, "output", "ami-2"))
	v.Stopped(res, StepGroups{Unconfirmed: p.Steps[1:2], Held: p.Steps[2:3]}, errors.New("boom"), " simulated")
	v.Complete(&engine.Result{Done: []string{"a"}, Started: t0, Finished: t0}, &plan.Plan{Steps: p.Steps[:1]}, "")
	dec := json.NewDecoder(&buf)
	var planLine struct {
		Type string
		Plan PlanJSON
	}
	if err := dec.Decode(&planLine); err != nil {
		t.Fatal(err)
	}
	if planLine.Type != "plan" || len(planLine.Plan.Steps) != 3 || planLine.Plan.Target != "simulator" {
		t.Errorf("plan line: %+v", planLine)
	}
	var e engine.Event
	if err := dec.Decode(&e); err != nil || e.Output != "ami-2" || e.Type != engine.EventDone {
		t.Errorf("event line: %+v, %v", e, err)
	}
	var stopped, complete map[string]any
	if err := dec.Decode(&stopped); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&complete); err != nil {
		t.Fatal(err)
	}
	wantStopped := map[string]any{"type": "outcome", "status": "stopped", "error": "boom", "done": []any{"create_image.web"},
		"not_done": []any{"trim_zones.web"}, "unconfirmed": []any{"launch_instance.web.a.1"}, "held": []any{p.Steps[2].ID}, "elapsed_ns": float64(time.Minute), "simulated": true}
	if d := cmp.Diff(wantStopped, stopped); d != "" {
		t.Errorf("stopped outcome (-want +got):\n%s", d)
	}
	wantComplete := map[string]any{"type": "outcome", "status": "complete", "done": []any{"a"}, "converged": false,
		"remaining_steps": float64(1), "elapsed_ns": float64(0), "simulated": false}
	if d := cmp.Diff(wantComplete, complete); d != "" {
		t.Errorf("complete outcome (-want +got):\n%s", d)
	}
}

// The tracker sorts a stopped apply's steps by what albctl saw of them: a step started and
// never confirmed is neither done nor untouched.
func TestTrackerGroups(t *testing.T) {
	p := smallPlan()
	tr := NewTracker(p)
	tr.Event(ev(engine.EventStarted, "create_image.web", 0))
	tr.Event(ev(engine.EventDone, "create_image.web", time.Minute))
	tr.Event(ev(engine.EventStarted, "launch_instance.web.a.1", 0))
	if got, want := tr.InFlight(), []string{"launch_instance.web.a.1"}; !cmp.Equal(got, want) {
		t.Errorf("InFlight = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name string
		res  *engine.Result
		want StepGroups
	}{
		{"interrupted mid-launch", &engine.Result{Done: []string{"create_image.web"}},
			StepGroups{Done: p.Steps[:1], Unconfirmed: p.Steps[1:2], NotStarted: p.Steps[2:]}},
		{"the launch failed", &engine.Result{Done: []string{"create_image.web"}, Failed: "launch_instance.web.a.1"},
			StepGroups{Done: p.Steps[:1], Failed: p.Steps[1:2], NotStarted: p.Steps[2:]}},
		// A step the engine held (a gate's rollback put its old member back) is held, not
		// unconfirmed, though it started.
		{"held by a rollback", &engine.Result{Done: []string{"create_image.web"}, Held: []string{"launch_instance.web.a.1"}},
			StepGroups{Done: p.Steps[:1], Held: p.Steps[1:2], NotStarted: p.Steps[2:]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, tr.Groups(tc.res)); d != "" {
				t.Errorf("Groups (-want +got):\n%s", d)
			}
		})
	}
	tr.Event(ev(engine.EventFailed, "launch_instance.web.a.1", time.Second))
	if got := tr.InFlight(); len(got) != 0 {
		t.Errorf("InFlight after the failure = %v, want none", got)
	}
}
