package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/bench"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/mirror"
)

// bench measures plan and apply cost against fleet size on generated simulator worlds: a table
// (or one JSON object per N with -json), and with -markdown the results page with the machine.
func (m *Main) bench(ctx context.Context, args []string) error {
	fs := newFlagSet("bench", m.Stderr)
	jsonOut := fs.Bool("json", false, "print one JSON object per N, one per line, instead of the table")
	nsFlag := fs.String("n", "10,100,1000,10000", "instance counts to measure, comma-separated")
	ksFlag := fs.String("k", "1,5,20", "instances to launch in the simulated applies, comma-separated")
	markdown := fs.String("markdown", "", "also write the results page, with the machine it ran on, to FILE (e.g. docs/benchmarks.md)")
	minTime := fs.Duration("time", 300*time.Millisecond, "minimum duration of each timed measurement")
	latFlag := fs.String("latency", "50,150", "round trips to inject in front of every call, in ms, comma-separated (\"none\": skip; 150 is also measured with half the calls in flight)")
	rollFlag := fs.String("rollouts", "2,10,50", "fleet sizes whose rollout is timed, comma-separated (\"none\": skip)")
	motoURL := fs.String("moto", "", "also plan through the SDK against the moto at `URL` (local only; it is reset and seeded)")
	motoNs := fs.String("moto-n", "10,100", "instance counts to measure against moto, comma-separated (seeding is one RunInstances per instance: 1000 takes several minutes)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("bench takes no arguments, got %q", pos)
	}
	ns, err := bench.ParseInts(*nsFlag)
	if err != nil {
		return fmt.Errorf("-n: %w", err)
	}
	ks, err := bench.ParseInts(*ksFlag)
	if err != nil {
		return fmt.Errorf("-k: %w", err)
	}
	var lats []bench.LatencyConfig
	if *latFlag != "none" {
		ms, err := bench.ParseInts(*latFlag)
		if err != nil {
			return fmt.Errorf("-latency: %w", err)
		}
		for _, v := range ms {
			lats = append(lats, bench.LatencyConfig{RTT: time.Duration(v) * time.Millisecond})
			if v == 150 {
				lats = append(lats, bench.LatencyConfig{RTT: 150 * time.Millisecond, MaxInFlight: cloud.DefaultMaxInFlight / 2})
			}
		}
	}
	var rollMembers []int
	if *rollFlag != "none" {
		if rollMembers, err = bench.ParseInts(*rollFlag); err != nil {
			return fmt.Errorf("-rollouts: %w", err)
		}
	}
	var motoSizes []int
	if *motoURL != "" {
		if motoSizes, err = bench.ParseInts(*motoNs); err != nil {
			return fmt.Errorf("-moto-n: %w", err)
		}
	}
	enc := json.NewEncoder(m.Stdout)
	opts := bench.Options{
		MinTime:   *minTime,
		Latencies: lats,
		NoLatency: len(lats) == 0,
		Progress: func(r bench.Row) {
			if *jsonOut {
				enc.Encode(r)
			}
		},
	}
	mc := thisMachine() // before the run, for the load average
	started := time.Now()
	rows, err := bench.RunOptions(ctx, ns, ks, opts)
	if err != nil {
		return err
	}
	var extra benchExtra
	if len(rollMembers) > 0 {
		if extra.rollouts, err = bench.Rollouts(ctx, rollMembers); err != nil {
			return err
		}
		if *jsonOut {
			for _, r := range extra.rollouts {
				enc.Encode(map[string]any{"rollout": r})
			}
		}
	}
	if *motoURL == "" {
		extra.motoNote = "No moto: `albctl bench -moto URL` (or `make bench` where moto can be installed) adds plans through the SDK against moto."
	} else {
		extra.motoURL = backend.RedactURL(*motoURL)
		if extra.moto, err = m.benchMoto(ctx, *motoURL, motoSizes); err != nil {
			return err
		}
		if *jsonOut {
			for _, r := range extra.moto {
				enc.Encode(map[string]any{"moto": r})
			}
		}
	}
	if !*jsonOut {
		renderBenchText(m.Stdout, rows, ks)
		renderExtraText(m.Stdout, extra)
	}
	if *markdown != "" {
		var b strings.Builder
		renderBenchMarkdown(&b, rows, ks, mc, time.Since(started), extra)
		if err := os.WriteFile(*markdown, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if !*jsonOut {
			fmt.Fprintf(m.Stdout, "\nWrote %s.\n", *markdown)
		}
	}
	return nil
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

// benchColumns are the table's columns: a header and a cell per row.
func benchColumns(ks []int) (headers []string, cells func(r bench.Row) []string) {
	headers = []string{"N", "fleets", "LBs", "API calls", "plan", "observe", "own", "build", "plan CPU", "allocs/plan", "peak heap", "B/instance"}
	for _, k := range ks {
		headers = append(headers, fmt.Sprintf("apply K=%d", k))
	}
	headers = append(headers, "sim ops/s")
	cells = func(r bench.Row) []string {
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

func renderBenchText(w io.Writer, rows []bench.Row, ks []int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	headers, cells := benchColumns(ks)
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
			fmt.Fprintf(w, "  N=%-6d K=%-3d %3d steps  %8s simulated  %8s wall  %4d calls: %s\n",
				r.N, a.K, a.Steps, fmtSim(a.SimSeconds), fmtNs(a.WallNs), a.APICalls, fmtByOp(a.APICallsByOp))
		}
	}
	if sc := bench.Scalings(rows); len(sc) > 0 {
		fmt.Fprintf(w, "\nScaling from N=%d to N=%d (linear: %.0fx):\n", sc[0].FromN, sc[0].ToN, sc[0].Linear)
		for _, s := range sc {
			fmt.Fprintf(w, "  %-36s %7.1fx  %s\n", s.What, s.Ratio, scalingVerdict(s))
		}
	}
	fmt.Fprintln(w, "\nTargets:")
	for _, c := range bench.Checks(rows) {
		got := c.Got
		if got == "" {
			got = "-"
		}
		fmt.Fprintf(w, "  %-14s %s\n  %-14s %s\n", "["+c.Status+"]", c.Target, "", got)
	}
}

func scalingVerdict(s bench.Scaling) string {
	switch {
	case s.Superlinear:
		return fmt.Sprintf("WORSE THAN LINEAR (exponent %.2f)", s.Exponent())
	case s.What == "API calls per plan":
		return "grows with target groups and result pages"
	default:
		return fmt.Sprintf("about linear or better (exponent %.2f)", s.Exponent())
	}
}

// machine describes where the figures come from.
type machine struct {
	OS, Arch, CPU, Go, Version, Date string
	NumCPU, MaxProcs                 int
	// Load is /proc/loadavg's 1-, 5- and 15-minute load averages when the run began, where
	// there is one: figures from a busy machine are slower and noisier.
	Load string
}

func thisMachine() machine {
	return machine{
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPU: cpuModel(), Go: runtime.Version(), Version: Version,
		Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), NumCPU: runtime.NumCPU(), MaxProcs: runtime.GOMAXPROCS(0),
		Load: loadAverage(),
	}
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// cpuModel reads the CPU's model name from /proc/cpuinfo, where there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func mdRow(w io.Writer, cells []string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

// mdHeader starts a table whose first column and the columns named in text are left-aligned,
// the others (figures) right-aligned.
func mdHeader(w io.Writer, headers []string, text ...string) {
	mdRow(w, headers)
	seps := make([]string, len(headers))
	for i, h := range headers {
		seps[i] = "---:"
		if i == 0 || slices.Contains(text, h) {
			seps[i] = "---"
		}
	}
	mdRow(w, seps)
}

func renderBenchMarkdown(w io.Writer, rows []bench.Row, ks []int, mc machine, took time.Duration, extra benchExtra) {
	var ns []string
	for _, r := range rows {
		ns = append(ns, fmt.Sprint(r.N))
	}
	var kstr []string
	for _, k := range ks {
		kstr = append(kstr, fmt.Sprint(k))
	}
	fmt.Fprintf(w, `# Benchmarks

<!-- Generated by "albctl bench -markdown docs/benchmarks.md" (make bench). Do not edit by hand. -->

What planning and applying cost as the fleet grows, measured by `+"`albctl bench -n %s -k %s`"+`
on generated simulator worlds (package `+"`bench`"+`). Figures only: no test asserts a time.

## Machine

| | |
|---|---|
| date | %s |
| OS / arch | %s/%s |
| CPU | %s |
| CPUs | %d (GOMAXPROCS %d) |
| load average at start | %s |
| Go | %s |
| albctl | %s |
| run time | %s |

## What is measured

For each N, `+"`bench.Generate(N, %d)`"+` builds a simulated account with N instances over three
Availability Zones, in ceil(N/%d) fleets (at least two), one target group per fleet and half as many
load balancers (at least two). Every member is already launched from the fleet's baked image,
tagged as albctl tags what it launches, registered and healthy; the matching spec is converged,
so a plan is empty.

- **API calls**: the calls one `+"`cloud.Observe`"+` makes (Build makes none), counted by the simulator.
- **plan / observe / build**: medians of wall time on one goroutine; `+"`build`"+` is `+"`plan.Build`"+`
  alone over one observed world. The simulator's work is part of observe; **own** is Observe
  against the simulator's recorded answers, i.e. albctl's own share of it.
- **plan CPU**: process CPU time (user + system, all threads, garbage collector included) per plan.
- **allocs/plan**: heap allocations per Observe + Build.
- **peak heap**: live heap held by the observed world and the plan, after a GC; **B/instance** is
  that divided by N.
- **apply K=k**: simulated time (engine on the simulator's virtual clock) of the plan that launches
  k more instances into one fleet and registers them; every apply is checked to converge.
- **sim ops/s**: wall-clock throughput of the simulator on the calls the engine polls with (one
  instance by ID, one target's health, one image by ID, in turn).

## Results

`, strings.Join(ns, ","), strings.Join(kstr, ","), mc.Date, mc.OS, mc.Arch, mc.CPU, mc.NumCPU, mc.MaxProcs, mc.Load, mc.Go, mc.Version,
		took.Round(time.Second), bench.Seed, bench.FleetCapacity)
	headers, cells := benchColumns(ks)
	mdHeader(w, headers)
	for _, r := range rows {
		mdRow(w, cells(r))
	}

	fmt.Fprint(w, "\n## API calls per plan, by operation\n\n")
	ops := bench.Ops(rows)
	mdHeader(w, append([]string{"N"}, append(ops, "total")...))
	for _, r := range rows {
		c := []string{fmt.Sprint(r.N)}
		for _, op := range ops {
			c = append(c, fmt.Sprint(r.PlanAPICallsByOp[op]))
		}
		mdRow(w, append(c, fmt.Sprint(r.PlanAPICalls)))
	}

	fmt.Fprint(w, "\n## Simulated applies\n\nK new instances in one fleet: the plan's steps, the simulated time, the wall time of the\napply on the simulator, and the API calls made during it.\n\n")
	mdHeader(w, []string{"N", "K", "steps", "simulated", "wall", "API calls", "by operation"}, "by operation")
	for _, r := range rows {
		for _, a := range r.Apply {
			mdRow(w, []string{fmt.Sprint(r.N), fmt.Sprint(a.K), fmt.Sprint(a.Steps), fmtSim(a.SimSeconds), fmtNs(a.WallNs), fmt.Sprint(a.APICalls), fmtByOp(a.APICallsByOp)})
		}
	}

	if sc := bench.Scalings(rows); len(sc) > 0 {
		fmt.Fprintf(w, "\n## Scaling from N = %d to N = %d\n\nLinear growth is %.0fx; a ratio above %.0fx is flagged as worse than linear.\n\n", sc[0].FromN, sc[0].ToN, sc[0].Linear, 1.5*sc[0].Linear)
		mdHeader(w, []string{"figure", fmt.Sprintf("N = %d", sc[0].FromN), fmt.Sprintf("N = %d", sc[0].ToN), "ratio", "verdict"}, "verdict")
		for _, s := range sc {
			from, to := fmtCount(s.From), fmtCount(s.To)
			switch {
			case strings.Contains(s.What, "time") || strings.Contains(s.What, "CPU"):
				from, to = fmtNs(int64(s.From)), fmtNs(int64(s.To))
			case strings.Contains(s.What, "memory"):
				from, to = fmtBytes(int64(s.From)), fmtBytes(int64(s.To))
			}
			mdRow(w, []string{s.What, from, to, fmt.Sprintf("%.1fx", s.Ratio), scalingVerdict(s)})
		}
		fmt.Fprint(w, scalingProfile)
	}

	renderExtraMarkdown(w, rows, extra)

	fmt.Fprint(w, "\n## Targets\n\n")
	fmt.Fprintln(w, "| target | measured | status |\n|---|---|---|")
	for _, c := range append(bench.Checks(rows), bench.RolloutChecks(extra.rollouts)...) {
		got := c.Got
		if got == "" {
			got = "-"
		}
		mdRow(w, []string{c.Target, got, "**" + c.Status + "**"})
	}

	fmt.Fprint(w, "\n## Go benchmarks\n\n"+
		"The same costs as Go benchmarks, for comparing commits with benchstat:\n\n"+
		"```\n"+
		"go test -run '^$' -bench . -count 6 ./internal/bench/ > new.txt\n"+
		"benchstat old.txt new.txt\n"+
		"```\n\n"+
		"`BenchmarkBuild/n=N`, `BenchmarkObserve/n=N`, `BenchmarkSimDescribeInstances/n=N` (a page of\n"+
		"fleet members by tag, as Observe asks), `BenchmarkSimDescribeInstancesByID/n=N`,\n"+
		"`BenchmarkSimDescribeTargetHealth/n=N` (a whole target group) and\n"+
		"`BenchmarkSimDescribeTargetHealthOne/n=N` (one target, as the engine polls).\n")
}

// benchExtra is what bench measures besides the rows: rollouts and plans against moto.
type benchExtra struct {
	rollouts []bench.Rollout
	moto     []bench.EndpointRow
	motoURL  string
	motoNote string // why there are no moto rows
}

// benchMoto resets the moto at url, seeds a generated world of each size into it, and plans
// through the SDK clients. It refuses an endpoint that is not on this machine: it wipes it.
func (m *Main) benchMoto(ctx context.Context, url string, ns []int) ([]bench.EndpointRow, error) {
	ep, err := m.net().Connect(ctx, backend.Target{Endpoint: url, Region: bench.Region})
	if err != nil {
		return nil, fmt.Errorf("-moto: %w", err)
	}
	if err := m.net().CheckSeedTarget(ctx, ep.URL, ep.Named, false); err != nil {
		return nil, fmt.Errorf("-moto: %w", err)
	}
	api := cloud.API{EC2: ep.EC2, ELBV2: ep.ELBV2, IAM: ep.IAM}
	var rows []bench.EndpointRow
	for _, n := range ns {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(url, "/")+"/moto-api/reset", nil)
		if err != nil {
			return rows, fmt.Errorf("-moto: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return rows, fmt.Errorf("-moto: reset: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return rows, fmt.Errorf("-moto: reset: %s", resp.Status)
		}
		w, stack := bench.Generate(n, bench.Seed)
		t0 := time.Now()
		seeded, err := mirror.Seed(ctx, mirror.SeedAPI{EC2: ep.EC2, ELBV2: ep.ELBV2, IAM: ep.IAM}, w)
		if err != nil {
			return rows, fmt.Errorf("-moto: n=%d: %w", n, err)
		}
		seedNs := time.Since(t0)
		for i := range stack.Fleets {
			if id, ok := seeded.IDs[stack.Fleets[i].Source]; ok {
				stack.Fleets[i].Source = id
			}
		}
		r, err := bench.MeasureEndpoint(ctx, n, api, stack)
		if err != nil {
			return rows, fmt.Errorf("-moto: n=%d: %w", n, err)
		}
		r.SeedNs = int64(seedNs)
		rows = append(rows, r)
	}
	return rows, nil
}

func latencyCell(r bench.Row, rtt, bound int) string {
	for _, l := range r.Latency {
		if l.RTTMs == rtt && (bound == 0 && l.MaxInFlight == cloud.DefaultMaxInFlight || l.MaxInFlight == bound) {
			return fmt.Sprintf("%s (%d RT, %.2fx)", fmtNs(l.PlanNs), l.Depth, l.RoundTrips)
		}
	}
	return "-"
}

func latencyHeaders(rows []bench.Row) (headers []string, cells func(bench.Row) []string) {
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
	cells = func(r bench.Row) []string {
		c := []string{fmtCount(float64(r.N)), fmt.Sprint(r.PlanAPICalls), fmt.Sprint(r.ObserveDepth), fmtNs(r.SimNs)}
		for _, k := range keys {
			c = append(c, latencyCell(r, k.rtt, k.bound))
		}
		return c
	}
	return headers, cells
}

func rolloutCells(r bench.Rollout) []string {
	return []string{fmt.Sprint(r.Members), fmt.Sprint(r.Batches), fmtSim(r.SimSeconds), fmtSim(r.InherentSeconds),
		fmt.Sprintf("%+.0fs", r.SimSeconds-r.InherentSeconds), fmtSim(r.ASGSeconds), fmt.Sprintf("%.2fx", r.ASGSeconds/r.SimSeconds)}
}

var rolloutHeaders = []string{"members", "batches", "albctl (simulated)", "inherent chain", "albctl - chain", "instance refresh (estimate)", "refresh / albctl"}

func motoCells(r bench.EndpointRow) []string {
	note := "converged"
	if r.BuildErrors != "" {
		note = "plan error: " + r.BuildErrors
	}
	return []string{fmtCount(float64(r.N)), fmtNs(r.SeedNs), fmt.Sprint(r.APICalls), fmt.Sprint(r.Depth), fmtNs(r.PlanNs), fmtNs(r.CallNs), fmtNs(r.CallsNs), fmtNs(r.OwnNs), note}
}

var motoHeaders = []string{"N", "seed", "API calls", "round trips", "plan", "per call (SDK + HTTP + moto)", "all calls", "albctl's own", "result"}

func renderExtraText(w io.Writer, extra benchExtra) {
	if len(extra.rollouts) > 0 {
		fmt.Fprintln(w, "\nRollouts (one at a time, min_healthy_percent 100; simulated time):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(rolloutHeaders, "\t")+"\t")
		for _, r := range extra.rollouts {
			fmt.Fprintln(tw, strings.Join(rolloutCells(r), "\t")+"\t")
		}
		tw.Flush()
		for _, c := range bench.RolloutChecks(extra.rollouts) {
			fmt.Fprintf(w, "  %-14s %s\n  %-14s %s\n", "["+c.Status+"]", c.Target, "", c.Got)
		}
	}
	if extra.motoNote != "" {
		fmt.Fprintf(w, "\n%s\n", strings.ReplaceAll(extra.motoNote, "`", ""))
	}
	if len(extra.moto) > 0 {
		fmt.Fprintf(w, "\nPlans through the SDK against moto at %s:\n", extra.motoURL)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(motoHeaders, "\t")+"\t")
		for _, r := range extra.moto {
			fmt.Fprintln(tw, strings.Join(motoCells(r), "\t")+"\t")
		}
		tw.Flush()
	}
}

func renderExtraMarkdown(w io.Writer, rows []bench.Row, extra benchExtra) {
	if headers, cells := latencyHeaders(rows); len(headers) > 4 {
		fmt.Fprint(w, "\n## Plan latency\n\n"+
			"A plan (Observe + Build) with a round trip injected in front of every call (`bench.Latency`, on the\n"+
			"real clock), as from a laptop or a CI runner far from the region. **depth** is the dependency depth\n"+
			"of the reads in round trips (`cloud.ObserveStats.Depth`: the least any plan of the stack can take);\n"+
			"**simulator** is the simulator's own share of an Observe. Each latency cell is the median wall time,\n"+
			"the round trips on the critical path as the calls were made (RT; waits for a free slot among the\n"+
			"calls in flight included) and the wall time less the simulator's, in round trips (the target is 4).\n\n"+
			"How to read: the cell's last figure should stay near the depth whatever N is; where it exceeds the\n"+
			"depth, calls waited for a slot (compare the column with half the calls in flight) or albctl's own\n"+
			"work between calls shows.\n\n")
		mdHeader(w, headers)
		for _, r := range rows {
			mdRow(w, cells(r))
		}
	}
	if len(extra.rollouts) > 0 {
		fmt.Fprint(w, "\n## Rollouts\n\n"+
			"Rolling a fleet of M members onto a new image version with the rollout defaults (one extra member\n"+
			"at a time, `min_healthy_percent = 100`, `bake_time = 0`), applied on the simulator; times are\n"+
			"simulated. The **inherent chain** is what no order of steps can shorten, from the world's own\n"+
			"latencies: the image bake, then per batch the launch and one passing health check (registration\n"+
			"delay + one interval), then one deregistration delay for the last old member. **Instance refresh**\n"+
			"is the same chain for EC2 Auto Scaling with the same batches, where each batch's old member drains\n"+
			"and terminates before the next batch launches (see \"Instance refresh model\" below).\n\n"+
			"How to read: *albctl - chain* is the time albctl adds to the chain; the target is at most one\n"+
			"deregistration delay (300 s) at 10 members. It is the last member's shutting-down (20 s) and the\n"+
			"engine's poll backoff (each wait is polled at 5 s, then 1.5x longer up to 30 s), which overshoots\n"+
			"each launch and health check by a few seconds; it grows with the number of batches, the\n"+
			"deregistration delays do not.\n\n")
		mdHeader(w, rolloutHeaders)
		for _, r := range extra.rollouts {
			mdRow(w, rolloutCells(r))
		}
		fmt.Fprint(w, rolloutModel)
	}
	fmt.Fprint(w, "\n## Against moto (the real SDK path)\n\n")
	if len(extra.moto) == 0 {
		fmt.Fprintf(w, "%s\n", extra.motoNote)
		return
	}
	fmt.Fprintf(w, "The same generated worlds seeded into moto (`mirror.Seed`, after `POST /moto-api/reset`) and planned\n"+
		"through the aws-sdk-go-v2 clients: the SDK's serialization, HTTP and pagination are in the figures.\n"+
		"**per call** is the mean wall time of one call (SDK, loopback HTTP and moto's own work); **albctl's own**\n"+
		"is Observe against the recorded SDK answers.\n\n"+
		"How to read: moto's per-call cost dominates the plan; albctl's own share is the last column but one.\n"+
		"Seeding is one RunInstances per instance (about 60 ms each here): the default sizes are 10 and 100;\n"+
		"`-moto-n 10,100,1000` adds 1,000, which takes a minute or more to seed, and 10,000 would take most\n"+
		"of an hour. **round trips** exceed the dependency depth (2) because moto answers one call at a time.\n\n")
	mdHeader(w, motoHeaders, "result")
	for _, r := range extra.moto {
		mdRow(w, motoCells(r))
	}
}

// rolloutModel states how the instance refresh column is computed, and from which pages.
const rolloutModel = `
### Instance refresh model

The estimate follows the EC2 Auto Scaling user guide pages "How an instance refresh works in an
Auto Scaling group" and "Understand the default values for an instance refresh", and the ELB
user guide's description of the deregistration delay. Assumptions:

- rolling strategy, minimum healthy percentage 100 and a maximum healthy percentage that allows
  one instance above the desired capacity (albctl's max_surge = 1): a new instance is launched
  before an old one is terminated, one batch at a time;
- a batch is done when its new instance is InService and healthy by the load balancer's check
  (launch, registration, one passing check), with no instance warmup beyond that — the most
  favourable setting; the defaults (the default instance warmup, else the health check grace
  period) can only add to it;
- an old instance leaving a group attached to a target group is deregistered and waits for the
  deregistration delay before it is terminated; we assume it counts toward the maximum healthy
  percentage until it is terminated, so the next batch launches only after that (the pages do
  not say otherwise), which makes every batch pay one deregistration delay and the shutdown;
- the image is baked first in both cases (instance refresh needs the new AMI in the launch
  template before it starts); checkpoints and bake time off.
`

// scalingProfile records what the profile of Observe's own time showed when a run flagged it
// as worse than linear (issue 12), so a reader of a flagged figure knows where to look.
const scalingProfile = `
How to read: a ratio above 15x at 10x the instances is a cost that grows faster than the fleet.
An earlier run flagged "observe time, albctl only" (16.1x). Profiled with
` + "`go test -run '^$' -bench 'BenchmarkObserveClient/n=10000' -cpuprofile cpu.out ./internal/bench/`" + ` and
` + "`go tool pprof -top -cum`" + `: the instances were sorted twice with ` + "`sort.Slice`" + ` (reflection per swap,
29% of the samples; sorting is n log n, 13.3x at 10x the instances), and the garbage collector's
marking of a ten times larger heap came next. Observe now sorts them once with ` + "`slices.SortFunc`" + `
(the world's own sort then finds them sorted), and looks for sources among the sources only:
` + "`BenchmarkObserveClient`" + ` gave 2.34 ms at N = 1,000 and 23.3 ms at N = 10,000 (9.95x). What remains
superlinear is that sort (about 40% of albctl's own Observe time at 10,000) and the heap's growth;
the table above shows this run's figures.
`
