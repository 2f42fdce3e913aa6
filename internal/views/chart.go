package views

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/rehearse"
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
	// zeroLift is how many pixels apart series at 0% are drawn.
	zeroLift = 2.5
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

// niceStep returns a tick spacing that gives at most about ten ticks over span.
func niceStep(span time.Duration) time.Duration {
	for _, s := range []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour} {
		if span/s <= 10 {
			return s
		}
	}
	return 2 * time.Hour
}

// chartSeries are the lines drawn for a listener: served, connection errors when there are
// any, each 5xx, the app's errors when there are any, and lost sessions.
func chartSeries(pts []rehearse.Point) []string {
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

func anyCode(pts []rehearse.Point, code string) bool {
	for _, p := range pts {
		if p.Stats.Code(code) > 0 {
			return true
		}
	}
	return false
}

// panel is the geometry of one listener's panel: x and y of a time and a share.
type panel struct {
	top          int
	plotW, plotH float64
	t0, span     time.Duration
}

func (p panel) x(t time.Duration) float64 {
	return float64(chartLeft) + p.plotW*float64(t-p.t0)/float64(p.span)
}

func (p panel) y(v float64) float64 { return float64(p.top+chartTop) + p.plotH*(1-v) }

// RenderChart draws r as an SVG chart titled "What clients see: title".
func RenderChart(w io.Writer, r *rehearse.Report, title string) {
	keyHeight := 30 + keyLineEvery*len(r.Steps)
	height := 40 + len(r.Listeners)*(panelHeight+keyHeight)
	if len(r.Listeners) == 0 {
		height = 80
	}
	fmt.Fprintf(w, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"13\">\n", chartWidth, height, chartWidth, height)
	fmt.Fprintf(w, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", chartWidth, height)
	fmt.Fprintf(w, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s</text>\n", chartLeft, esc("What clients see: "+title))
	if len(r.Listeners) == 0 {
		fmt.Fprintf(w, "<text x=\"%d\" y=\"56\">no load balancer with a listener: no traffic to show</text>\n</svg>\n", chartLeft)
		return
	}
	for li, l := range r.Listeners {
		p := panel{
			top:   40 + li*(panelHeight+keyHeight),
			plotW: float64(chartWidth - chartLeft - chartRight), plotH: float64(panelHeight - chartTop - chartBottom),
			t0: r.From, span: max(r.To-r.From, time.Second),
		}
		fmt.Fprintf(w, "<g class=\"panel\" data-listener=\"%s\">\n", esc(l.Key))
		fmt.Fprintf(w, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", chartLeft, p.top+chartTop-52,
			esc(fmt.Sprintf("%s: %d simulated clients, sessions %s", l.Key, r.Clients, l.Sessions)))
		writeAxes(w, p, r.To)
		writeStepBands(w, p, r.Steps)
		names := chartSeries(l.Chart)
		writeSeries(w, p, l.Chart, names)
		writeSeriesLegend(w, p, names)
		writeStepKey(w, p, r.Steps)
		fmt.Fprintln(w, "</g>")
	}
	fmt.Fprintln(w, "</svg>")
}

// writeAxes draws the grid, the ticks up to end, and the axes with their titles.
func writeAxes(w io.Writer, p panel, end time.Duration) {
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(w, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d7de\" stroke-width=\"1\"/>\n", chartLeft, p.y(v), float64(chartLeft)+p.plotW, p.y(v))
		fmt.Fprintf(w, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f%%</text>\n", chartLeft-8, p.y(v)+4, 100*v)
	}
	tick := niceStep(p.span)
	// Ticks fall on whole multiples of tick from the first step, offset 0.
	for t := -(-p.t0 / tick * tick); t <= end; t += tick {
		fmt.Fprintf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#57606a\" stroke-width=\"1\"/>\n", p.x(t), p.y(0), p.x(t), p.y(0)+5)
		fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", p.x(t), p.y(0)+20, tickLabel(t))
	}
	fmt.Fprintf(w, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#24292f\" stroke-width=\"1.5\"/>\n", chartLeft, p.y(0), float64(chartLeft)+p.plotW, p.y(0))
	fmt.Fprintf(w, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#24292f\" stroke-width=\"1.5\"/>\n", chartLeft, p.y(0), chartLeft, p.y(1))
	fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">simulated time from the first step</text>\n", float64(chartLeft)+p.plotW/2, p.y(0)+40)
	fmt.Fprintf(w, "<text transform=\"translate(%d %.1f) rotate(-90)\" text-anchor=\"middle\">share of requests</text>\n", chartLeft-52, p.y(0.5))
}

// writeStepBands draws a band over each step's run, numbered at the top as the plan numbers
// it; an outage step's band is red.
func writeStepBands(w io.Writer, p panel, steps []rehearse.Step) {
	for i, s := range steps {
		x0, x1 := p.x(s.From), p.x(s.To)
		fill, opacity, class := "#8c959f", "0.12", "step"
		if s.Outage {
			fill, opacity, class = "#cf222e", "0.18", "step outage"
		}
		fmt.Fprintf(w, "<g class=\"%s\" data-step=\"%s\">\n", class, esc(s.ID))
		if x1-x0 >= 1 {
			fmt.Fprintf(w, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"%s\"/>\n", x0, p.y(1), x1-x0, p.plotH, fill, opacity)
		}
		fmt.Fprintf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#57606a\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>\n", x0, p.y(1)-4-float64(i%3)*13, x0, p.y(0))
		fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%d</text>\n</g>\n", x0, p.y(1)-7-float64(i%3)*13, s.N)
	}
}

// writeSeries draws the series from the last to the first, so that served lies on top.
func writeSeries(w io.Writer, p panel, pts []rehearse.Point, names []string) {
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
		for _, pt := range pts {
			v := pt.Stats.Value(name)
			py := p.y(v)
			if v == 0 {
				py -= lift
			}
			add(p.x(pt.From), py)
			add(p.x(pt.To), py)
		}
		attrs := ""
		if dash != "" {
			attrs = fmt.Sprintf(" stroke-dasharray=\"%s\"", dash)
		}
		fmt.Fprintf(w, "<polyline class=\"series\" data-series=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\"/>\n", esc(name), colour, attrs, strings.Join(coords, " "))
	}
}

// writeSeriesLegend keys the series right of the plot.
func writeSeriesLegend(w io.Writer, p panel, names []string) {
	lx := float64(chartLeft) + p.plotW + 20
	for i, name := range names {
		colour, dash := seriesColour(name)
		ly := float64(p.top+chartTop) + 10 + float64(i)*20
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
	fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#57606a\">lines at 0%% are drawn</text>\n", lx, float64(p.top+chartTop)+10+float64(len(names))*20+4)
	fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#57606a\">a few pixels apart</text>\n", lx, float64(p.top+chartTop)+10+float64(len(names))*20+18)
}

// writeStepKey lists the steps under the plot, numbered as the plan numbers them.
func writeStepKey(w io.Writer, p panel, steps []rehearse.Step) {
	ky := float64(p.top + panelHeight)
	fmt.Fprintf(w, "<text x=\"%d\" y=\"%.1f\" font-weight=\"bold\">Steps</text>\n", chartLeft, ky)
	for i, s := range steps {
		txt := fmt.Sprintf("%d  %s  (%s .. %s)", s.N, s.ID, offset(s.From), offset(s.To))
		if s.Outage {
			txt += "  OUTAGE"
		}
		if s.Failed {
			txt += "  failed"
		}
		fmt.Fprintf(w, "<text x=\"%d\" y=\"%.1f\">%s</text>\n", chartLeft, ky+float64(i+1)*keyLineEvery, esc(txt))
	}
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
