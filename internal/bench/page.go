package bench

import (
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/template"
	"time"
)

// The results page's prose lives in page.md.tmpl, beside the code that fills in its figures:
// what each column means, how to read it, and the instance refresh model.
//
//go:embed page.md.tmpl
var pageSource string

// mdTable is a markdown table: its first column and the columns named in text are
// left-aligned, the others (figures) right-aligned.
type mdTable struct {
	headers, text []string
	rows          [][]string
}

func (t *mdTable) String() string {
	var b strings.Builder
	row := func(cells []string) { fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | ")) }
	row(t.headers)
	seps := make([]string, len(t.headers))
	for i, h := range t.headers {
		seps[i] = "---:"
		if i == 0 || slices.Contains(t.text, h) {
			seps[i] = "---"
		}
	}
	row(seps)
	for _, r := range t.rows {
		row(r)
	}
	return b.String()
}

// pageScaling is the scaling section: from which size to which, and its table.
type pageScaling struct {
	FromN, ToN      int
	Linear, Flagged float64
	Table           *mdTable
}

// page is what page.md.tmpl is filled in with.
type page struct {
	Ns, Ks                string
	Machine               Machine
	Took                  time.Duration
	Seed                  uint64
	FleetCapacity         int
	Results, Ops, Applies *mdTable
	Scaling               *pageScaling
	Latency, Rollouts     *mdTable // nil: not measured
	Moto                  *mdTable // nil: MotoNote says why
	MotoNote              string
	Targets               []Check
}

// WriteMarkdown writes the results page (docs/benchmarks.md).
func (rep *Report) WriteMarkdown(w io.Writer) error {
	tmpl, err := template.New("page").Funcs(template.FuncMap{"table": func(t *mdTable) string { return t.String() }}).Parse(pageSource)
	if err != nil {
		return fmt.Errorf("benchmark page template: %w", err)
	}
	return tmpl.Execute(w, rep.page())
}

func (rep *Report) page() page {
	p := page{
		Ns: joinInts(rowSizes(rep.Rows)), Ks: joinInts(rep.Ks), Machine: rep.Machine, Took: rep.Took.Round(time.Second),
		Seed: Seed, FleetCapacity: FleetCapacity, MotoNote: rep.MotoNote,
		Results: rep.resultsTable(), Ops: opsTable(rep.Rows), Applies: appliesTable(rep.Rows), Scaling: scalingSection(rep.Rows),
	}
	if headers, cells := latencyColumns(rep.Rows); len(headers) > 4 {
		p.Latency = &mdTable{headers: headers}
		for _, r := range rep.Rows {
			p.Latency.rows = append(p.Latency.rows, cells(r))
		}
	}
	if len(rep.Rollouts) > 0 {
		p.Rollouts = &mdTable{headers: rolloutHeaders()}
		for _, r := range rep.Rollouts {
			p.Rollouts.rows = append(p.Rollouts.rows, rolloutCells(r))
		}
	}
	if len(rep.Moto) > 0 {
		p.Moto = &mdTable{headers: motoHeaders(), text: []string{"result"}}
		for _, r := range rep.Moto {
			p.Moto.rows = append(p.Moto.rows, motoCells(r))
		}
	}
	for _, c := range append(append(Checks(rep.Rows), RolloutChecks(rep.Rollouts)...), PollRateCheck(rep.Rows, rep.Rollouts)) {
		if c.Got == "" {
			c.Got = "-"
		}
		p.Targets = append(p.Targets, c)
	}
	return p
}

func rowSizes(rows []Row) []int {
	var ns []int
	for _, r := range rows {
		ns = append(ns, r.N)
	}
	return ns
}

func joinInts(vs []int) string {
	var s []string
	for _, v := range vs {
		s = append(s, fmt.Sprint(v))
	}
	return strings.Join(s, ",")
}

func (rep *Report) resultsTable() *mdTable {
	headers, cells := columns(rep.Ks)
	t := &mdTable{headers: headers}
	for _, r := range rep.Rows {
		t.rows = append(t.rows, cells(r))
	}
	return t
}

func opsTable(rows []Row) *mdTable {
	ops := Ops(rows)
	t := &mdTable{headers: append([]string{"N"}, append(ops, "total")...)}
	for _, r := range rows {
		c := []string{fmt.Sprint(r.N)}
		for _, op := range ops {
			c = append(c, fmt.Sprint(r.PlanAPICallsByOp[op]))
		}
		t.rows = append(t.rows, append(c, fmt.Sprint(r.PlanAPICalls)))
	}
	return t
}

func appliesTable(rows []Row) *mdTable {
	t := &mdTable{headers: []string{"N", "K", "steps", "simulated", "wall", "poll calls/min", "API calls", "by operation"}, text: []string{"by operation"}}
	for _, r := range rows {
		for _, a := range r.Apply {
			t.rows = append(t.rows, []string{fmt.Sprint(r.N), fmt.Sprint(a.K), fmt.Sprint(a.Steps), fmtSim(a.SimSeconds), fmtNs(a.WallNs),
				fmt.Sprintf("%.2f", a.PollCallsPerMinute), fmt.Sprint(a.APICalls), fmtByOp(a.APICallsByOp)})
		}
	}
	return t
}

func scalingSection(rows []Row) *pageScaling {
	sc := Scalings(rows)
	if len(sc) == 0 {
		return nil
	}
	s0 := sc[0]
	t := &mdTable{headers: []string{"figure", fmt.Sprintf("N = %d", s0.FromN), fmt.Sprintf("N = %d", s0.ToN), "ratio", "verdict"}, text: []string{"verdict"}}
	for _, s := range sc {
		from, to := fmtCount(s.From), fmtCount(s.To)
		switch {
		case strings.Contains(s.What, "time") || strings.Contains(s.What, "CPU"):
			from, to = fmtNs(int64(s.From)), fmtNs(int64(s.To))
		case strings.Contains(s.What, "memory"):
			from, to = fmtBytes(int64(s.From)), fmtBytes(int64(s.To))
		}
		t.rows = append(t.rows, []string{s.What, from, to, fmt.Sprintf("%.1fx", s.Ratio), scalingVerdict(s)})
	}
	return &pageScaling{FromN: s0.FromN, ToN: s0.ToN, Linear: s0.Linear, Flagged: 1.5 * s0.Linear, Table: t}
}
