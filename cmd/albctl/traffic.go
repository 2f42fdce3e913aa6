package main

import (
	"fmt"
	"io"
	"time"

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
}

type trafficEntry struct {
	at time.Time
	t  simulator.Traffic
}

func newTrafficLog(sim *simulator.Sim) *trafficLog {
	l := &trafficLog{sim: sim, start: sim.Clock().Now(), last: map[string]simulator.Traffic{}}
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

// verdict sums the time each listener spent failing requests and switching servers.
func (l *trafficLog) totals() (failing, switching map[string]time.Duration) {
	failing, switching = map[string]time.Duration{}, map[string]time.Duration{}
	for i, e := range l.entries {
		key := e.t.LoadBalancer + " -> " + e.t.TargetGroup
		until := l.end
		for _, n := range l.entries[i+1:] {
			if n.t.LoadBalancer == e.t.LoadBalancer && n.t.TargetGroup == e.t.TargetGroup {
				until = n.at
				break
			}
		}
		if e.t.Failed > 0 {
			failing[key] += until.Sub(e.at)
		}
		if e.t.SwitchServer > 0 {
			switching[key] += until.Sub(e.at)
		}
	}
	return failing, switching
}

func (l *trafficLog) write(w io.Writer, stack *specs.Stack) {
	fmt.Fprintln(w, "Traffic during the apply (simulated clients, sampled at every poll):")
	for _, e := range l.entries {
		line := fmt.Sprintf("  +%-8s %s -> %s: %3.0f%% served", round(e.at.Sub(l.start)), e.t.LoadBalancer, e.t.TargetGroup, 100*e.t.Served)
		if e.t.Failed > 0 {
			line += fmt.Sprintf(", %.0f%% failed (%s)", 100*e.t.Failed, e.t.Why)
		}
		if e.t.SwitchServer > 0 {
			line += fmt.Sprintf(", %.0f%% of requests switch server (no stickiness)", 100*e.t.SwitchServer)
		}
		fmt.Fprintln(w, line)
	}
	failing, switching := l.totals()
	for _, e := range l.entries {
		key := e.t.LoadBalancer + " -> " + e.t.TargetGroup
		if _, done := failing["done:"+key]; done {
			continue
		}
		failing["done:"+key] = 0
		verdict := "no failed requests"
		if d := failing[key]; d > 0 {
			verdict = fmt.Sprintf("requests failed for %s", round(d))
		}
		if d := switching[key]; d > 0 {
			if localSessions(stack, e.t.TargetGroup) {
				verdict += fmt.Sprintf("; sessions lost for %s (sessions are local and stickiness was off)", round(d))
			} else {
				verdict += fmt.Sprintf("; clients switched servers for %s (harmless: sessions are shared)", round(d))
			}
		} else {
			verdict += "; no session lost"
		}
		fmt.Fprintf(w, "  %s: %s.\n", key, verdict)
	}
	l.timeline.writePhases(w)
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
