package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/albctl/albctl/internal/cloud"
)

// Report is one run of albctl bench: the rows per fleet size, and what was measured besides
// them. It is written as a table for the terminal (WriteText) and as the results page,
// docs/benchmarks.md (WriteMarkdown).
type Report struct {
	Rows     []Row
	Ks       []int // the K of the simulated applies, in the order asked
	Rollouts []Rollout
	Moto     []EndpointRow
	MotoURL  string // credentials redacted
	MotoNote string // why there are no moto rows
	Machine  Machine
	Took     time.Duration
}

// --- formatting ---

func fmtNs(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	}
}

func fmtBytes(b int64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	default:
		return fmt.Sprintf("%d B", b)
	}
}

func fmtSim(secs float64) string {
	return time.Duration(secs * float64(time.Second)).Round(time.Second).String()
}

func fmtCount(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	// Group thousands: 1234567 -> 1,234,567.
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fmtByOp(m map[string]int) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", op, m[op]))
	}
	return strings.Join(parts, ", ")
}

// --- columns, shared by the terminal table and the page ---

// columns are the results table's columns: a header and a cell per row.
func columns(ks []int) (headers []string, cells func(r Row) []string) {
	headers = []string{"N", "fleets", "LBs", "API calls", "plan", "observe", "own", "build", "plan CPU", "allocs/plan", "peak heap", "B/instance"}
	for _, k := range ks {
		headers = append(headers, fmt.Sprintf("apply K=%d", k))
	}
	headers = append(headers, "sim ops/s")
	cells = func(r Row) []string {
		c := []string{
			fmtCount(float64(r.N)), fmt.Sprint(r.Fleets), fmt.Sprint(r.LoadBalancers), fmt.Sprint(r.PlanAPICalls),
			fmtNs(r.PlanNs), fmtNs(r.ObserveNs), fmtNs(r.ObserveClientNs), fmtNs(r.BuildNs), fmtNs(r.PlanCPUNs), fmtCount(float64(r.PlanAllocs)),
			fmtBytes(r.PeakBytes), fmtCount(r.BytesPerInstance),
		}
		for _, k := range ks {
			if s, ok := r.ApplySimSeconds(k); ok {
				c = append(c, fmtSim(s))
			} else {
				c = append(c, "-")
			}
		}
		return append(c, fmtCount(r.SimOpsPerSec))
	}
	return headers, cells
}

func scalingVerdict(s Scaling) string {
	switch {
	case s.Superlinear:
		return fmt.Sprintf("WORSE THAN LINEAR (exponent %.2f)", s.Exponent())
	case s.What == "API calls per plan":
		return "grows with target groups and result pages"
	default:
		return fmt.Sprintf("about linear or better (exponent %.2f)", s.Exponent())
	}
}

func latencyCell(r Row, rtt, bound int) string {
	for _, l := range r.Latency {
		if l.RTTMs == rtt && (bound == 0 && l.MaxInFlight == cloud.DefaultMaxInFlight || l.MaxInFlight == bound) {
			return fmt.Sprintf("%s (%d RT, %.2fx)", fmtNs(l.PlanNs), l.Depth, l.RoundTrips)
		}
	}
	return "-"
}

func latencyColumns(rows []Row) (headers []string, cells func(Row) []string) {
	type key struct{ rtt, bound int }
	var keys []key
	for _, r := range rows {
		for _, l := range r.Latency {
			k := key{l.RTTMs, l.MaxInFlight}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	headers = []string{"N", "API calls", "depth", "simulator"}
	for _, k := range keys {
		headers = append(headers, fmt.Sprintf("%d ms, %d in flight", k.rtt, k.bound))
	}
	cells = func(r Row) []string {
		c := []string{fmtCount(float64(r.N)), fmt.Sprint(r.PlanAPICalls), fmt.Sprint(r.ObserveDepth), fmtNs(r.SimNs)}
		for _, k := range keys {
			c = append(c, latencyCell(r, k.rtt, k.bound))
		}
		return c
	}
	return headers, cells
}

func rolloutCells(r Rollout) []string {
	return []string{fmt.Sprint(r.Members), fmt.Sprint(r.Batches), fmtSim(r.SimSeconds), fmtSim(r.InherentSeconds),
		fmt.Sprintf("%+.0fs", r.SimSeconds-r.InherentSeconds), fmt.Sprintf("%+.1f%%", r.OverheadPercent()), fmt.Sprintf("%.2f", r.PollCallsPerMinute),
		fmtSim(r.ASGSeconds), fmt.Sprintf("%.2fx", r.ASGSeconds/r.SimSeconds)}
}

func rolloutHeaders() []string {
	return []string{"members", "batches", "albctl (simulated)", "inherent chain", "albctl - chain", "overhead", "poll calls/min", "instance refresh (estimate)", "refresh / albctl"}
}

func motoCells(r EndpointRow) []string {
	note := "converged"
	if r.BuildErrors != "" {
		note = "plan error: " + r.BuildErrors
	}
	return []string{fmtCount(float64(r.N)), fmtNs(r.SeedNs), fmt.Sprint(r.APICalls), fmt.Sprint(r.Depth), fmtNs(r.PlanNs), fmtNs(r.CallNs), fmtNs(r.CallsNs), fmtNs(r.OwnNs), note}
}

func motoHeaders() []string {
	return []string{"N", "seed", "API calls", "round trips", "plan", "per call (SDK + HTTP + moto)", "all calls", "albctl's own", "result"}
}

// --- the terminal table ---

// WriteText writes the report as aligned tables for a terminal.
func (rep *Report) WriteText(w io.Writer) {
	rows := rep.Rows
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	headers, cells := columns(rep.Ks)
	fmt.Fprintln(tw, strings.Join(headers, "\t")+"\t")
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(cells(r), "\t")+"\t")
	}
	tw.Flush()

	fmt.Fprintln(w, "\nAPI calls of one plan, by operation:")
	for _, r := range rows {
		fmt.Fprintf(w, "  N=%-6d %s\n", r.N, fmtByOp(r.PlanAPICallsByOp))
	}
	fmt.Fprintln(w, "\nSimulated applies (K new instances in one fleet; API calls during the apply):")
	for _, r := range rows {
		for _, a := range r.Apply {
			fmt.Fprintf(w, "  N=%-6d K=%-3d %3d steps  %8s simulated  %8s wall  %5.2f poll calls/min  %4d calls: %s\n",
				r.N, a.K, a.Steps, fmtSim(a.SimSeconds), fmtNs(a.WallNs), a.PollCallsPerMinute, a.APICalls, fmtByOp(a.APICallsByOp))
		}
	}
	if sc := Scalings(rows); len(sc) > 0 {
		fmt.Fprintf(w, "\nScaling from N=%d to N=%d (linear: %.0fx):\n", sc[0].FromN, sc[0].ToN, sc[0].Linear)
		for _, s := range sc {
			fmt.Fprintf(w, "  %-36s %7.1fx  %s\n", s.What, s.Ratio, scalingVerdict(s))
		}
	}
	fmt.Fprintln(w, "\nTargets:")
	writeChecks(w, append(Checks(rows), PollRateCheck(rows, rep.Rollouts)), "-")
	rep.writeExtraText(w)
}

// writeChecks lists targets with their status and what was measured (empty: missing).
func writeChecks(w io.Writer, checks []Check, missing string) {
	for _, c := range checks {
		got := c.Got
		if got == "" {
			got = missing
		}
		fmt.Fprintf(w, "  %-14s %s\n  %-14s %s\n", "["+c.Status+"]", c.Target, "", got)
	}
}

func (rep *Report) writeExtraText(w io.Writer) {
	if len(rep.Rollouts) > 0 {
		fmt.Fprintln(w, "\nRollouts (one at a time, min_healthy_percent 100; simulated time):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(rolloutHeaders(), "\t")+"\t")
		for _, r := range rep.Rollouts {
			fmt.Fprintln(tw, strings.Join(rolloutCells(r), "\t")+"\t")
		}
		tw.Flush()
		writeChecks(w, RolloutChecks(rep.Rollouts), "")
	}
	if rep.MotoNote != "" {
		fmt.Fprintf(w, "\n%s\n", strings.ReplaceAll(rep.MotoNote, "`", ""))
	}
	if len(rep.Moto) > 0 {
		fmt.Fprintf(w, "\nPlans through the SDK against moto at %s:\n", rep.MotoURL)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(motoHeaders(), "\t")+"\t")
		for _, r := range rep.Moto {
			fmt.Fprintln(tw, strings.Join(motoCells(r), "\t")+"\t")
		}
		tw.Flush()
	}
}
