package rehearse

import (
	"time"

	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// verdict sums up one listener from the same client counts as its phases: the share of
// requests that failed during the apply and the worst step, the sessions lost, and the
// after window (docs/apply.md, "What apply prints").
func (r *Recorder) verdict(key string, phases []Phase, local bool) Verdict {
	tl := &r.timeline
	v := Verdict{During: tl.stats(key, phase{name: "during", from: tl.origin, to: tl.end}), LocalSessions: local}
	for _, p := range phases {
		st := p.Stats
		switch {
		case p.Name == "after":
			v.After = st
		case p.Name != "step":
		case st.Failed() > v.WorstFailed:
			v.WorstStep, v.WorstFailed = p.N, st.Failed()
		}
		if p.Name == "step" && st.SessionsLost > v.WorstLost {
			v.WorstLost, v.LostIn = st.SessionsLost, p.N
		}
	}
	return v
}

// localSessions says whether the spec keeps the sessions of the target group named tgName
// on the servers (nil stack: no).
func localSessions(stack *specs.Stack, tgName string) bool {
	if stack == nil {
		return false
	}
	for _, tg := range stack.TargetGroups {
		if tg.Name != tgName {
			continue
		}
		for _, f := range stack.Fleets {
			if f.TargetGroup == tg.Label && f.Sessions == specs.SessionsLocal {
				return true
			}
		}
	}
	return false
}

// worst is the window in which the routing model failed the most requests of key, to the
// percent (the first of equals), with what they got and the step it ends with or falls in.
func (r *Recorder) worst(key string) *Worst {
	ws := r.windows(key)
	best := -1
	for i, w := range ws {
		if w.failed > 0 && (best < 0 || Percent(w.failed) > Percent(ws[best].failed)) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	win := ws[best]
	out := &Worst{Failed: win.worst.Failed, From: win.from.Sub(r.start), To: win.to.Sub(r.start), ToEnd: best == len(ws)-1, Causes: win.causes}
	out.Answer, out.Mixed = answer(win.worst)
	out.Step, out.Until = r.stepAt(win.to)
	out.N = r.steps[out.Step].n
	return out
}

// answer is what most failed requests of a sample get, and whether other answers took more
// than a hundredth of the failures.
func answer(t simulator.Traffic) (code string, mixed bool) {
	codes := []struct {
		name  string
		share float64
	}{{"502", t.Status502}, {"503", t.Status503}, {"504", t.Status504}, {"app errors", t.TargetErrors}}
	top := codes[0]
	for _, c := range codes[1:] {
		if c.share > top.share {
			top = c
		}
	}
	return top.name, top.share < 0.99*t.Failed
}

// stepAt is the step that ends at t (until: true), or else the one running at t.
func (r *Recorder) stepAt(t time.Time) (id string, until bool) {
	for _, s := range r.timeline.steps {
		if s.end.Equal(t) {
			return s.id, true
		}
	}
	for _, s := range r.timeline.steps {
		if !s.start.After(t) && s.end.After(t) {
			return s.id, false
		}
	}
	return "", false
}
