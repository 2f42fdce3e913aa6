package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// trafficLog records, on the simulator, what clients experienced during an apply: one entry
// each time some listener's served/failed/switching shares changed. It samples after every
// API call and poll of the engine, so windows are as precise as the polls.
type trafficLog struct {
	sim     *simulator.Sim
	start   time.Time
	last    map[string]simulator.Traffic
	entries []trafficEntry
	end     time.Time
	// timeline is every sample, before, during and after the apply, for the phases and
	// the chart (rehearse.go); entries holds only the changes during the apply.
	timeline timeline
	// steps numbers each step as the plan does, so the table, the chart and the windows
	// speak of "step 2" as the plan does, and marks the outage steps.
	steps map[string]stepMark
}

type stepMark struct {
	n      int
	outage bool
}

type trafficEntry struct {
	at time.Time
	t  simulator.Traffic
}

func newTrafficLog(sim *simulator.Sim, p *plan.Plan) *trafficLog {
	l := &trafficLog{sim: sim, start: sim.Clock().Now(), last: map[string]simulator.Traffic{}, steps: map[string]stepMark{}}
	for i, s := range p.Steps {
		l.steps[s.ID] = stepMark{n: i + 1, outage: strings.HasPrefix(s.Warning, "OUTAGE")}
	}
	l.timeline.origin = l.start
	l.timeline.start(sim)
	l.sample()
	return l
}

func (l *trafficLog) sample() {
	now := l.sim.Clock().Now()
	traffic := l.sim.Traffic()
	l.timeline.add(now, traffic)
	if l.timeline.finished {
		return
	}
	l.end = now
	for _, t := range traffic {
		key := t.LoadBalancer + " -> " + t.TargetGroup
		if prev, ok := l.last[key]; ok && prev == t {
			continue
		}
		l.last[key] = t
		l.entries = append(l.entries, trafficEntry{at: now, t: t})
	}
}

// stepLabel is a step as the plan numbers it: "2. create_image.web".
func (l *trafficLog) stepLabel(id string) string {
	if m, ok := l.steps[id]; ok {
		return strconv.Itoa(m.n) + ". " + id
	}
	return id
}

// trafficWindow is a stretch of the apply in which one listener's routing model failed (and
// switched servers for) the same share of requests, to the percent, with the causes seen in it.
type trafficWindow struct {
	from, to          time.Time
	failed, switching float64
	causes            []string
	worst             simulator.Traffic // the sample of the window that failed most
}

func percent(v float64) int { return int(math.Round(100 * v)) }

// windows merges the listener's samples into windows of equal shares; a window that lasts no
// time (two changes at one instant) is dropped, as no request falls in it.
func (l *trafficLog) windows(key string) []trafficWindow {
	var out []trafficWindow
	for _, e := range l.entries {
		if listenerKey(e.t) != key {
			continue
		}
		if n := len(out); n > 0 {
			out[n-1].to = e.at
			cur := &out[n-1]
			if percent(cur.failed) == percent(e.t.Failed) && percent(cur.switching) == percent(e.t.SwitchServer) {
				cur.causes = addCauses(cur.causes, e.t.Why)
				if e.t.Failed > cur.worst.Failed {
					cur.worst = e.t
				}
				continue
			}
			if !cur.to.After(cur.from) {
				out = out[:n-1]
			}
		}
		out = append(out, trafficWindow{from: e.at, to: l.end, failed: e.t.Failed, switching: e.t.SwitchServer, causes: addCauses(nil, e.t.Why), worst: e.t})
	}
	if n := len(out); n > 0 {
		out[n-1].to = l.end
	}
	return out
}

// addCauses adds the causes of a Why ("a; b (c; d)") not yet in list, in order: the
// simulator joins causes with "; ", which may also appear inside a cause's parentheses.
func addCauses(list []string, why string) []string {
	depth, start := 0, 0
	add := func(c string) {
		if c = strings.TrimSpace(c); c != "" && !contains(list, c) {
			list = append(list, c)
		}
	}
	for i, r := range why {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == ';' && depth == 0:
			add(why[start:i])
			start = i + 1
		}
	}
	add(why[start:])
	return list
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// legend numbers causes once, so that a window names them by number.
type legend struct{ causes []string }

func (g *legend) refs(causes []string) string {
	var ns []int
	for _, c := range causes {
		i := indexOf(g.causes, c)
		if i < 0 {
			g.causes = append(g.causes, c)
			i = len(g.causes) - 1
		}
		ns = append(ns, i+1)
	}
	slices.Sort(ns)
	var nums []string
	for _, n := range ns {
		nums = append(nums, strconv.Itoa(n))
	}
	return "[" + strings.Join(nums, ",") + "]"
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// windowText says one window for people: "100% failed 0s .. 1m0s [1,2]".
func (l *trafficLog) windowText(w trafficWindow, last bool, g *legend) string {
	span := offset(w.from.Sub(l.start)) + " .. " + offset(w.to.Sub(l.start))
	if last {
		span = "from " + offset(w.from.Sub(l.start))
	}
	var text string
	if percent(w.failed) == 0 {
		text = "all served " + span
		if w.failed > 0 {
			text = "under 1% failed " + span
		}
	} else {
		text = fmt.Sprintf("%d%% failed %s", percent(w.failed), span)
	}
	if percent(w.switching) > 0 {
		text += fmt.Sprintf(", %d%% switch server", percent(w.switching))
	}
	if len(w.causes) > 0 && w.failed > 0 {
		text += " " + g.refs(w.causes)
	}
	return text
}

// maxWidth is the width human output wraps to: CI logs and terminals show it whole.
const maxWidth = 120

// writeWrapped prints words wrapped at maxWidth, the first line after first, the others
// indented by indent spaces.
func writeWrapped(w io.Writer, first string, indent int, text string) {
	line := first
	for i, word := range strings.Fields(text) {
		if i > 0 && len(line)+1+len(word) > maxWidth {
			fmt.Fprintln(w, line)
			line = strings.Repeat(" ", indent) + word
			continue
		}
		if i > 0 {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, line)
}

// write prints the windows of every listener, the causes once in a legend, the phase table
// and a verdict drawn from the table's own figures (docs/apply.md, "What apply prints").
func (l *trafficLog) write(w io.Writer, stack *specs.Stack) {
	var g legend
	for _, key := range l.keys() {
		ws := l.windows(key)
		var parts []string
		for i, win := range ws {
			parts = append(parts, l.windowText(win, i == len(ws)-1, &g))
		}
		writeWrapped(w, "", 2, "Traffic "+key+" (routing model, at every poll): "+strings.Join(parts, "; ")+".")
	}
	for i, c := range g.causes {
		writeWrapped(w, fmt.Sprintf("  [%d] ", i+1), 6, c)
	}
	l.writePhases(w, stack)
}

// keys lists the listeners of the apply's samples, in order of first appearance (the
// simulator reports them sorted).
func (l *trafficLog) keys() []string {
	var out []string
	for _, e := range l.entries {
		if k := listenerKey(e.t); !contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// writePhases prints, per listener, what clients saw in each phase, then the verdict.
func (l *trafficLog) writePhases(w io.Writer, stack *specs.Stack) {
	tl := &l.timeline
	if !tl.finished {
		return
	}
	for _, key := range tl.listeners() {
		fmt.Fprintf(w, "\nWhat clients see, by phase: %s (%d simulated clients, a request each per %s):\n",
			key, clientCount(), clientOptions.Every)
		writeTable(w, l.phaseRows(key), 2)
		writeWrapped(w, "  ", 4, l.verdict(key, stack))
	}
}

// phaseRows is the table of one listener: a header, then a row per phase.
func (l *trafficLog) phaseRows(key string) [][]string {
	tl := &l.timeline
	rows := [][]string{{"phase", "window", "served", "conn err", "502", "503", "504", "app err", "sess lost"}}
	for _, p := range tl.phases() {
		st := tl.stats(key, p)
		label := p.label()
		if p.name == "step" {
			label = l.stepLabel(p.step)
			if p.failed {
				label += " (failed)"
			}
		}
		row := []string{label, p.window(tl.origin), pct(st.Served)}
		for _, c := range failureCodes {
			row = append(row, pct(st.Codes[c]))
		}
		rows = append(rows, append(row, pct(st.SessionsLost)))
	}
	return rows
}

// verdict sums up one listener in a sentence computed from the same client counts as the
// table: the share of requests that failed during the apply and the worst step as the
// table shows it, sessions lost, then what the after window shows if anything failed or was
// lost there (docs/apply.md, "What apply prints").
func (l *trafficLog) verdict(key string, stack *specs.Stack) string {
	tl := &l.timeline
	during := tl.stats(key, phase{name: "during", from: tl.origin, to: tl.end})
	worst, worstFailed, worstLost, lostIn := 0, 0.0, 0.0, 0
	var after clientStats
	for _, p := range tl.phases() {
		st := tl.stats(key, p)
		switch {
		case p.name == "after":
			after = st
		case p.name != "step":
		case st.failed() > worstFailed:
			worst, worstFailed = l.steps[p.step].n, st.failed()
		}
		if p.name == "step" && st.SessionsLost > worstLost {
			worstLost, lostIn = st.SessionsLost, l.steps[p.step].n
		}
	}
	text := "During the apply: "
	switch {
	case during.failed() > 0:
		text += pct(during.failed()) + " of requests failed"
	case during.Requests == 0 && worst > 0:
		text += "no simulated time passed"
	default:
		text += "no request failed"
	}
	if worst > 0 {
		text += fmt.Sprintf(", at worst %s (step %d)", pct(worstFailed), worst)
	}
	switch {
	case worstLost > 0 || during.SessionsLost > 0:
		text += fmt.Sprintf("; %s of sessions lost, at worst %s (step %d)", pct(during.SessionsLost), pct(worstLost), lostIn)
	case localSessions(stack, strings.SplitN(key, " -> ", 2)[1]):
		text += "; no session lost"
	default:
		text += "; sessions are shared, so none is lost"
	}
	text += "."
	var then []string
	if after.failed() > 0 {
		then = append(then, pct(after.failed())+" failed")
	}
	if after.SessionsLost > 0 {
		then = append(then, pct(after.SessionsLost)+" sessions lost")
	}
	if len(then) > 0 {
		text += " After the apply: " + strings.Join(then, ", ") + "."
	}
	return text
}

// failed is the share of requests that failed: the sum of the table's failure columns.
func (c clientStats) failed() float64 {
	var f float64
	for _, code := range failureCodes {
		f += c.Codes[code]
	}
	return f
}

func localSessions(stack *specs.Stack, tgName string) bool {
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

// worstMoment says in one sentence when the routing model failed the most requests of key,
// with what status, until or during which step, and the first cause: "100% of requests get
// 504 from 0s to 1m0s, during step 2, create_image.web: i-… is rebooting".
func (l *trafficLog) worstMoment(key string) string {
	ws := l.windows(key)
	best := -1
	for i, w := range ws {
		if w.failed > 0 && (best < 0 || percent(w.failed) > percent(ws[best].failed)) {
			best = i
		}
	}
	if best < 0 {
		return "no request failed during the apply."
	}
	win := ws[best]
	text := fmt.Sprintf("the worst moment: %s %s", failedAs(win.worst), "from "+offset(win.from.Sub(l.start)))
	if best < len(ws)-1 {
		text += " to " + offset(win.to.Sub(l.start))
	} else {
		text += " on"
	}
	if id, until := l.stepAt(win.to); id != "" && until {
		text += fmt.Sprintf(", until step %d, %s", l.steps[id].n, id)
	} else if id != "" {
		text += fmt.Sprintf(", during step %d, %s", l.steps[id].n, id)
	}
	if len(win.causes) > 0 {
		text += ": " + win.causes[0]
		if n := len(win.causes) - 1; n > 0 {
			text += fmt.Sprintf(" (and %s)", plural(n, "other cause"))
		}
	}
	return text + "."
}

// failedAs says what failed requests get: "33% of requests get 504", or, when several
// answers share the failures, "40% of requests fail (mostly 503)".
func failedAs(t simulator.Traffic) string {
	codes := []struct {
		name  string
		share float64
	}{{"502", t.Status502}, {"503", t.Status503}, {"504", t.Status504}, {"an error from the app", t.TargetErrors}}
	top := codes[0]
	for _, c := range codes[1:] {
		if c.share > top.share {
			top = c
		}
	}
	if top.share >= 0.99*t.Failed {
		return fmt.Sprintf("%d%% of requests get %s", percent(t.Failed), top.name)
	}
	return fmt.Sprintf("%d%% of requests fail (mostly %s)", percent(t.Failed), top.name)
}

// stepAt is the step that ends at t (until: true), or else the one running at t.
func (l *trafficLog) stepAt(t time.Time) (id string, until bool) {
	for _, s := range l.timeline.steps {
		if s.end.Equal(t) {
			return s.id, true
		}
	}
	for _, s := range l.timeline.steps {
		if !s.start.After(t) && s.end.After(t) {
			return s.id, false
		}
	}
	return "", false
}

// outage says whether a table label ("2. create_image.web") is a step the plan warns is an
// outage.
func (l *trafficLog) outage(label string) bool {
	for id, m := range l.steps {
		if m.outage && strings.TrimSuffix(label, " (failed)") == l.stepLabel(id) {
			return true
		}
	}
	return false
}
