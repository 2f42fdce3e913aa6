package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/simulator"
)

// The traffic chart: one panel per listener, simulated time across, share of requests up;
// a line per series (served, each failure code, sessions lost) and the plan's steps as
// numbered bands, keyed below. Hand-written SVG so that the same run gives the same bytes.

const (
	chartWidth   = 1000
	panelHeight  = 320
	chartLeft    = 80
	chartRight   = 190 // room for the legend
	chartTop     = 80
	chartBottom  = 50
	keyLineEvery = 18
)

// seriesColour gives each series a colour that reads on white and apart from the others.
func seriesColour(name string) (colour, dash string) {
	switch name {
	case "served":
		return "#1a7f37", ""
	case "sessions lost":
		return "#0969da", "6 4"
	case "502":
		return "#bc4c00", ""
	case "app errors":
		return "#6e7781", "2 3"
	case "503":
		return "#8250df", ""
	case "504":
		return "#cf222e", ""
	case "conn errors":
		return "#953800", "8 3"
	}
	return "#cf222e", ""
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// writeChart writes the chart of log to path; nothing when path is "".
func (m *Main) writeChart(path string, log *trafficLog, title string) error {
	if path == "" {
		return nil
	}
	var b bytes.Buffer
	renderChart(&b, log, title)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("-traffic-chart: %w", err)
	}
	// On stderr: stdout may be -json, which a line of prose would break.
	fmt.Fprintf(m.Stderr, "Wrote the traffic chart to %s.\n", path)
	return nil
}

// niceStep returns a tick spacing that gives at most about ten ticks over span.
func niceStep(span time.Duration) time.Duration {
	for _, s := range []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour} {
		if span/s <= 10 {
			return s
		}
	}
	return 2 * time.Hour
}

// zeroLift is how many pixels apart series at 0% are drawn.
const zeroLift = 2.5

// chartBucket is the width of one point of the chart: five seconds of requests.
const chartBucket = 5 * time.Second

// chartPoint is what clients of one listener saw in one bucket.
type chartPoint struct {
	from, to time.Time
	stats    clientStats
}

// points groups the listener's per-second counts into chartBucket buckets from t0.
func (tl *timeline) points(key string, t0 time.Time) []chartPoint {
	var out []chartPoint
	var cur simulator.Counts
	var from, to time.Time
	flush := func() {
		if cur.Requests > 0 {
			out = append(out, chartPoint{from: from, to: to, stats: fromCounts(cur)})
		}
		cur = simulator.Counts{}
	}
	for _, iv := range tl.intervals[key] {
		b := t0.Add(iv.Start.Sub(t0) / chartBucket * chartBucket)
		if cur.Requests > 0 && !b.Equal(from) {
			flush()
		}
		if cur.Requests == 0 {
			from = b
		}
		to = minTime(b.Add(chartBucket), maxTime(iv.End, iv.Start.Add(clientOptions.Every)))
		sum(&cur, iv.Counts)
	}
	flush()
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// chartSeries are the lines drawn for a listener: served, connection errors when there are
// any, each 5xx, the app's errors when there are any, and lost sessions.
func chartSeries(pts []chartPoint) []string {
	names := []string{"served"}
	if anyCode(pts, "conn errors") {
		names = append(names, "conn errors")
	}
	names = append(names, "502", "503", "504")
	if anyCode(pts, "app errors") {
		names = append(names, "app errors")
	}
	return append(names, "sessions lost")
}

func anyCode(pts []chartPoint, code string) bool {
	for _, p := range pts {
		if p.stats.Codes[code] > 0 {
			return true
		}
	}
	return false
}

func (c clientStats) value(series string) float64 {
	switch series {
	case "served":
		return c.Served
	case "sessions lost":
		return c.SessionsLost
	}
	return c.Codes[series]
}

func renderChart(w io.Writer, log *trafficLog, title string) {
	tl := &log.timeline
	listeners := tl.listeners()
	steps := tl.steps
	keyHeight := 30 + keyLineEvery*len(steps)
	height := 40 + len(listeners)*(panelHeight+keyHeight)
	if len(listeners) == 0 {
		height = 80
	}
	fmt.Fprintf(w, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"13\">\n", chartWidth, height, chartWidth, height)
	fmt.Fprintf(w, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", chartWidth, height)
	fmt.Fprintf(w, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s</text>\n", chartLeft, esc("What clients see: "+title))
	if len(listeners) == 0 {
		fmt.Fprintf(w, "<text x=\"%d\" y=\"56\">no load balancer with a listener: no traffic to show</text>\n</svg>\n", chartLeft)
		return
	}
	phases := tl.phases()
	t0, t1 := phases[0].from, phases[len(phases)-1].to
	span := max(t1.Sub(t0), time.Second)
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(panelHeight - chartTop - chartBottom)
	for li, key := range listeners {
		top := 40 + li*(panelHeight+keyHeight)
		x := func(t time.Time) float64 { return float64(chartLeft) + plotW*float64(t.Sub(t0))/float64(span) }
		y := func(v float64) float64 { return float64(top+chartTop) + plotH*(1-v) }
		fmt.Fprintf(w, "<g class=\"panel\" data-listener=\"%s\">\n", esc(key))
		fmt.Fprintf(w, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", chartLeft, top+chartTop-52,
			esc(fmt.Sprintf("%s: %d simulated clients, sessions %s", key, clientCount(), tl.sessions[key])))
		// Axes, grid and ticks.
		for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
			fmt.Fprintf(w, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d7de\" stroke-width=\"1\"/>\n", chartLeft, y(v), float64(chartLeft)+plotW, y(v))
			fmt.Fprintf(w, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f%%</text>\n", chartLeft-8, y(v)+4, 100*v)
		}
		tick := niceStep(span)
		first := tl.origin.Add(-(tl.origin.Sub(t0) / tick * tick))
		for t := first; !t.After(t1); t = t.Add(tick) {
			fmt.Fprintf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#57606a\" stroke-width=\"1\"/>\n", x(t), y(0), x(t), y(0)+5)
			fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x(t), y(0)+20, tickLabel(t.Sub(tl.origin)))
		}
		fmt.Fprintf(w, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#24292f\" stroke-width=\"1.5\"/>\n", chartLeft, y(0), float64(chartLeft)+plotW, y(0))
		fmt.Fprintf(w, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#24292f\" stroke-width=\"1.5\"/>\n", chartLeft, y(0), chartLeft, y(1))
		fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">simulated time from the first step</text>\n", float64(chartLeft)+plotW/2, y(0)+40)
		fmt.Fprintf(w, "<text transform=\"translate(%d %.1f) rotate(-90)\" text-anchor=\"middle\">share of requests</text>\n", chartLeft-52, y(0.5))
		// Steps: a band over each step's run, numbered at the top as the plan numbers them;
		// an outage step's band is red.
		for i, s := range steps {
			x0, x1 := x(s.start), x(s.end)
			mark := log.steps[s.id]
			fill, opacity, class := "#8c959f", "0.12", "step"
			if mark.outage {
				fill, opacity, class = "#cf222e", "0.18", "step outage"
			}
			fmt.Fprintf(w, "<g class=\"%s\" data-step=\"%s\">\n", class, esc(s.id))
			if x1-x0 >= 1 {
				fmt.Fprintf(w, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"%s\"/>\n", x0, y(1), x1-x0, plotH, fill, opacity)
			}
			fmt.Fprintf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#57606a\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>\n", x0, y(1)-4-float64(i%3)*13, x0, y(0))
			fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%d</text>\n</g>\n", x0, y(1)-7-float64(i%3)*13, mark.n)
		}
		// Series, drawn from the last to the first so that served lies on top.
		pts := tl.points(key, t0)
		names := chartSeries(pts)
		for j := len(names) - 1; j >= 0; j-- {
			name := names[j]
			colour, dash := seriesColour(name)
			var coords []string
			add := func(px, py float64) {
				c := fmt.Sprintf("%.1f,%.1f", px, py)
				if n := len(coords); n == 0 || coords[n-1] != c {
					coords = append(coords, c)
				}
			}
			// At 0% the lines would lie on one another: each is lifted by its own few
			// pixels, so every series shows (the legend says so).
			lift := zeroLift * float64(j)
			for _, p := range pts {
				v := p.stats.value(name)
				py := y(v)
				if v == 0 {
					py -= lift
				}
				add(x(p.from), py)
				add(x(p.to), py)
			}
			attrs := ""
			if dash != "" {
				attrs = fmt.Sprintf(" stroke-dasharray=\"%s\"", dash)
			}
			fmt.Fprintf(w, "<polyline class=\"series\" data-series=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\"/>\n", esc(name), colour, attrs, strings.Join(coords, " "))
		}
		// Legend.
		lx := float64(chartLeft) + plotW + 20
		for i, name := range names {
			colour, dash := seriesColour(name)
			ly := float64(top+chartTop) + 10 + float64(i)*20
			attrs := ""
			if dash != "" {
				attrs = fmt.Sprintf(" stroke-dasharray=\"%s\"", dash)
			}
			label := name
			if _, err := strconv.Atoi(name); err == nil {
				label = "HTTP " + name
			}
			fmt.Fprintf(w, "<g class=\"legend\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"%s/><text x=\"%.1f\" y=\"%.1f\">%s</text></g>\n", lx, ly, lx+24, ly, colour, attrs, lx+30, ly+4, esc(label))
		}
		fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#57606a\">lines at 0%% are drawn</text>\n", lx, float64(top+chartTop)+10+float64(len(names))*20+4)
		fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#57606a\">a few pixels apart</text>\n", lx, float64(top+chartTop)+10+float64(len(names))*20+18)
		// Step key, numbered as the plan numbers the steps.
		ky := float64(top + panelHeight)
		fmt.Fprintf(w, "<text x=\"%d\" y=\"%.1f\" font-weight=\"bold\">Steps</text>\n", chartLeft, ky)
		for i, s := range steps {
			txt := fmt.Sprintf("%d  %s  (%s .. %s)", log.steps[s.id].n, s.id, offset(s.start.Sub(tl.origin)), offset(s.end.Sub(tl.origin)))
			if log.steps[s.id].outage {
				txt += "  OUTAGE"
			}
			if s.failed {
				txt += "  failed"
			}
			fmt.Fprintf(w, "<text x=\"%d\" y=\"%.1f\">%s</text>\n", chartLeft, ky+float64(i+1)*keyLineEvery, esc(txt))
		}
		fmt.Fprintln(w, "</g>")
	}
	fmt.Fprintln(w, "</svg>")
}

// tickLabel writes an axis offset briefly: "-1m", "0s", "2m30s".
func tickLabel(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return fmt.Sprintf("%s%dh", sign, d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%s%dm", sign, d/time.Minute)
	}
	return sign + d.String()
}

// mermaidEvery is the width of a point of the markdown chart: a 10-minute run in about 45.
const mermaidEvery = 15 * time.Second

// writeMermaidChart draws the listener's requests as a mermaid xychart, which GitHub renders
// inline in a comment (docs/review.md): bars for the share failed, a line for the share
// served, a point per mermaidEvery from the start of the before window.
func (l *trafficLog) writeMermaidChart(w io.Writer, key string) {
	tl := &l.timeline
	phases := tl.phases()
	t0, t1 := phases[0].from, phases[len(phases)-1].to
	n := int((t1.Sub(t0) + mermaidEvery - 1) / mermaidEvery)
	if n <= 0 {
		return
	}
	buckets := make([]simulator.Counts, n)
	for _, iv := range tl.intervals[key] {
		if i := int(iv.Start.Sub(t0) / mermaidEvery); i >= 0 && i < n {
			sum(&buckets[i], iv.Counts)
		}
	}
	var failed, served []string
	for _, b := range buckets {
		st := fromCounts(b)
		failed = append(failed, strconv.FormatFloat(math.Round(1000*st.failed())/10, 'f', -1, 64))
		served = append(served, strconv.FormatFloat(math.Round(1000*st.Served)/10, 'f', -1, 64))
	}
	fmt.Fprintln(w, "```mermaid")
	fmt.Fprintln(w, "xychart-beta")
	fmt.Fprintf(w, "    title \"%s: requests failed (bars) and served (line), %%\"\n", mermaidText(key))
	fmt.Fprintf(w, "    x-axis \"simulated seconds from the first step\" %d --> %d\n", int(t0.Sub(tl.origin).Seconds()), int(t0.Add(time.Duration(n)*mermaidEvery).Sub(tl.origin).Seconds()))
	fmt.Fprintln(w, "    y-axis \"% of requests\" 0 --> 100")
	fmt.Fprintf(w, "    bar [%s]\n", strings.Join(failed, ", "))
	fmt.Fprintf(w, "    line [%s]\n", strings.Join(served, ", "))
	fmt.Fprintln(w, "```")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "A point per %s of simulated time; the steps' windows are in the table above.\n\n", mermaidEvery)
}

// mermaidText keeps a title inside its double quotes.
func mermaidText(s string) string { return strings.ReplaceAll(s, `"`, "'") }
