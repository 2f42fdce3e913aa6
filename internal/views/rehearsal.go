package views

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/rehearse"
)

// WriteRehearsal prints a rehearsal for people, under the plan: what was copied, what the
// copy assumed, how the plan ended, then what clients saw (WriteTraffic).
func WriteRehearsal(w io.Writer, r *rehearse.Report) {
	fmt.Fprintf(w, "\nRehearsal on a copy of %s (nothing is written back; seed %d", r.World, r.Seed)
	if r.Faults != "" {
		fmt.Fprintf(w, ", faults from %s", r.Faults)
	}
	fmt.Fprintln(w, "):")
	if len(r.Assumptions) > 0 {
		fmt.Fprintf(w, "The copy is not the account: it assumed or left out %d things (docs/simulator.md, \"Snapshot\"):\n", len(r.Assumptions))
		for _, a := range r.Assumptions {
			fmt.Fprintf(w, "  - %s\n", a)
		}
	}
	if len(r.Unsimulated) > 0 {
		fmt.Fprintf(w, "Alarms the rehearsal cannot evaluate (their gates trip on the copy): %s\n", strings.Join(r.Unsimulated, ", "))
	}
	if r.Error != "" {
		fmt.Fprintf(w, "The plan stopped after %s simulated: %s\n", Round(r.Elapsed), r.Error)
	} else {
		fmt.Fprintf(w, "The plan ran to the end in %s simulated.\n", Round(r.Elapsed))
	}
	WriteTraffic(w, r)
}

// WriteTraffic prints the routing model's windows of every listener, their causes once in a
// legend, then per listener the phase table and the verdict drawn from the table's own
// figures (docs/apply.md, "What apply prints").
func WriteTraffic(w io.Writer, r *rehearse.Report) {
	for _, rt := range r.Routing {
		var parts []string
		for i, win := range rt.Windows {
			parts = append(parts, windowText(win, i == len(rt.Windows)-1))
		}
		WriteWrapped(w, "", 2, "Traffic "+rt.Key+" (routing model, at every poll): "+strings.Join(parts, "; ")+".")
	}
	for i, c := range r.Legend {
		WriteWrapped(w, fmt.Sprintf("  [%d] ", i+1), 6, c)
	}
	for _, l := range r.Listeners {
		fmt.Fprintf(w, "\nWhat clients see, by phase: %s (%d simulated clients, a request each per %s):\n",
			l.Key, r.Clients, r.RequestEvery)
		writeTable(w, phaseRows(l), 2)
		WriteWrapped(w, "  ", 4, verdictText(l.Verdict))
	}
}

// windowText says one window for people: "100% failed 0s .. 1m0s [1,2]"; the last lasts
// "from" its start.
func windowText(win rehearse.Window, last bool) string {
	span := offset(win.From) + " .. " + offset(win.To)
	if last {
		span = "from " + offset(win.From)
	}
	var text string
	if rehearse.Percent(win.Failed) == 0 {
		text = "all served " + span
		if win.Failed > 0 {
			text = "under 1% failed " + span
		}
	} else {
		text = fmt.Sprintf("%d%% failed %s", rehearse.Percent(win.Failed), span)
	}
	if rehearse.Percent(win.Switching) > 0 {
		text += fmt.Sprintf(", %d%% switch server", rehearse.Percent(win.Switching))
	}
	if len(win.Refs) > 0 {
		var nums []string
		for _, n := range win.Refs {
			nums = append(nums, strconv.Itoa(n))
		}
		text += " [" + strings.Join(nums, ",") + "]"
	}
	return text
}

// phaseLabel names a phase in the table: a step as the plan numbers it, "2. create_image.web".
func phaseLabel(p rehearse.Phase) string {
	switch p.Name {
	case "before":
		return "before the first step"
	case "after":
		return "after the last step"
	}
	label := p.Step
	if p.N > 0 {
		label = strconv.Itoa(p.N) + ". " + p.Step
	}
	if p.Failed {
		label += " (failed)"
	}
	return label
}

// phaseWindow is when a phase ran: "-1m0s .. 0s", or "at 4m36s" for an instant step.
func phaseWindow(p rehearse.Phase) string {
	if p.Instant() {
		return "at " + offset(p.From)
	}
	return offset(p.From) + " .. " + offset(p.To)
}

// phaseRows is the table of one listener: a header, then a row per phase.
func phaseRows(l rehearse.Listener) [][]string {
	rows := [][]string{{"phase", "window", "served", "conn err", "502", "503", "504", "app err", "sess lost"}}
	for _, p := range l.Phases {
		row := []string{phaseLabel(p), phaseWindow(p), pct(p.Stats.Served)}
		for _, c := range rehearse.FailureCodes {
			row = append(row, pct(p.Stats.Code(c)))
		}
		rows = append(rows, append(row, pct(p.Stats.SessionsLost)))
	}
	return rows
}

// verdictText says a listener's verdict in a sentence: the share of requests that failed
// during the apply and the worst step as the table shows it, sessions lost, then what the
// after window shows if anything failed or was lost there.
func verdictText(v rehearse.Verdict) string {
	text := "During the apply: "
	switch {
	case v.During.Failed() > 0:
		text += pct(v.During.Failed()) + " of requests failed"
	case v.During.Requests == 0 && v.WorstStep > 0:
		text += "no simulated time passed"
	default:
		text += "no request failed"
	}
	if v.WorstStep > 0 {
		text += fmt.Sprintf(", at worst %s (step %d)", pct(v.WorstFailed), v.WorstStep)
	}
	switch {
	case v.WorstLost > 0 || v.During.SessionsLost > 0:
		text += fmt.Sprintf("; %s of sessions lost, at worst %s (step %d)", pct(v.During.SessionsLost), pct(v.WorstLost), v.LostIn)
	case v.LocalSessions:
		text += "; no session lost"
	default:
		text += "; sessions are shared, so none is lost"
	}
	text += "."
	var then []string
	if v.After.Failed() > 0 {
		then = append(then, pct(v.After.Failed())+" failed")
	}
	if v.After.SessionsLost > 0 {
		then = append(then, pct(v.After.SessionsLost)+" sessions lost")
	}
	if len(then) > 0 {
		text += " After the apply: " + strings.Join(then, ", ") + "."
	}
	return text
}

// worstText says in one sentence when the routing model failed the most requests, with what
// status, until or during which step, and the first cause: "the worst moment: 100% of
// requests get 504 from 0s to 1m0s, during step 2, create_image.web: i-… is rebooting".
func worstText(w *rehearse.Worst) string {
	if w == nil {
		return "no request failed during the apply."
	}
	text := fmt.Sprintf("the worst moment: %s from %s", failedAs(w), offset(w.From))
	if !w.ToEnd {
		text += " to " + offset(w.To)
	} else {
		text += " on"
	}
	if w.Step != "" && w.Until {
		text += fmt.Sprintf(", until step %d, %s", w.N, w.Step)
	} else if w.Step != "" {
		text += fmt.Sprintf(", during step %d, %s", w.N, w.Step)
	}
	if len(w.Causes) > 0 {
		text += ": " + w.Causes[0]
		if n := len(w.Causes) - 1; n > 0 {
			text += fmt.Sprintf(" (and %s)", Plural(n, "other cause"))
		}
	}
	return text + "."
}

// failedAs says what failed requests get: "33% of requests get 504", or, when several
// answers share the failures, "40% of requests fail (mostly 503)".
func failedAs(w *rehearse.Worst) string {
	answer := w.Answer
	if answer == "app errors" {
		answer = "an error from the app"
	}
	if w.Mixed {
		return fmt.Sprintf("%d%% of requests fail (mostly %s)", rehearse.Percent(w.Failed), answer)
	}
	return fmt.Sprintf("%d%% of requests get %s", rehearse.Percent(w.Failed), answer)
}
