package views

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/rehearse"
)

// svgNode is any SVG element, with its attributes and children.
type svgNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []svgNode  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n svgNode) walk(f func(svgNode)) {
	f(n)
	for _, c := range n.Children {
		c.walk(f)
	}
}

type point struct{ x, y float64 }

func parsePoints(t *testing.T, s string) []point {
	t.Helper()
	var out []point
	for _, f := range strings.Fields(s) {
		xs, ys, ok := strings.Cut(f, ",")
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad point %q", f)
		}
		out = append(out, point{x, y})
	}
	return out
}

func chartOf(r *rehearse.Report) []byte {
	var b bytes.Buffer
	RenderChart(&b, r, "the blog")
	return b.Bytes()
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// chartReport is a rehearsal of the blog's shape: a third of the clients get 504 before the
// trim, all of them during the first minute of the reboot (an outage step), connection
// errors after the trim; validate and stickiness are instant, numbered 1 and 4 as the plan
// numbers them though they start together.
func chartReport() *rehearse.Report {
	r := &rehearse.Report{Clients: 200, RequestEvery: time.Second, From: -time.Minute, To: 10 * time.Minute,
		Steps: []rehearse.Step{{ID: "validate_launch.web", N: 1}, {ID: "enable_stickiness.web", N: 4},
			{ID: "create_image.web", N: 2, Outage: true, To: 276 * time.Second}, {ID: "trim_zones.web", N: 6, From: 5 * time.Minute, To: 5 * time.Minute}}}
	l := rehearse.Listener{Key: "web-alb -> web-tg", LoadBalancer: "web-alb", TargetGroup: "web-tg", Sessions: "local"}
	for t := -time.Minute; t < 10*time.Minute; t += rehearse.ChartEvery {
		st := rehearse.Stats{Requests: 1000}
		switch {
		case t < 0:
			st.Status504 = 1.0 / 3
		case t < time.Minute:
			st.Status504, st.SessionsLost = 1, 0.5
		case t < 5*time.Minute:
			st.Status504 = 1.0 / 3
		case t < 6*time.Minute:
			st.ConnErrors = 0.03
		}
		st.Served = 1 - st.Failed()
		l.Chart = append(l.Chart, rehearse.Point{From: t, To: t + rehearse.ChartEvery, Stats: st})
	}
	r.Listeners = []rehearse.Listener{l}
	return r
}

// The chart of a rehearsal: one polyline per series, points in time order, every step marked
// and numbered as the plan numbers it, the outage shaded, the 504s gone at the end; the same
// bytes for the same report, and the bytes of the golden file.
func TestTrafficChart(t *testing.T) {
	r := chartReport()
	data := chartOf(r)
	if !bytes.Equal(data, chartOf(r)) {
		t.Error("the same report drew different charts")
	}
	checkChartGolden(t, data)
	parts := readChart(t, data)
	series, steps, panels, outages, numbers := parts.series, parts.steps, parts.panels, parts.outages, parts.numbers
	if !slices.Equal(panels, []string{"web-alb -> web-tg"}) {
		t.Errorf("panels %v, want one for web-alb -> web-tg", panels)
	}
	if _, ok := series["app errors"]; ok {
		t.Error("an app errors series is drawn, though no app error happened")
	}
	for _, want := range []string{"served", "conn errors", "502", "503", "504", "sessions lost"} {
		pts, ok := series[want]
		if !ok {
			t.Errorf("no %q series (have %v)", want, series)
			continue
		}
		if len(pts) < 2 {
			t.Errorf("series %q has %d points", want, len(pts))
		}
		for i := 1; i < len(pts); i++ {
			if pts[i].x < pts[i-1].x {
				t.Errorf("series %q goes back in time at point %d: %v then %v", want, i, pts[i-1], pts[i])
				break
			}
		}
	}
	// Every step of the plan is marked, in the order the steps started.
	if want := []string{"validate_launch.web", "enable_stickiness.web", "create_image.web", "trim_zones.web"}; !slices.Equal(steps, want) {
		t.Errorf("steps marked %v, want %v", steps, want)
	}
	// Steps are numbered as the plan numbers them (validate_launch and enable_stickiness
	// start together, but the plan calls enable_stickiness step 4), and the outage is shaded.
	for id, n := range map[string]string{"validate_launch.web": "1", "create_image.web": "2", "enable_stickiness.web": "4", "trim_zones.web": "6"} {
		if numbers[id] != n {
			t.Errorf("step %s is numbered %q on the chart; the plan numbers it %s", id, numbers[id], n)
		}
	}
	if !slices.Equal(outages, []string{"create_image.web"}) {
		t.Errorf("outage bands %v, want create_image.web's alone", outages)
	}
	// At the end 502 and 503 are both 0%: drawn apart, so that neither hides the other.
	if a, b := series["502"][len(series["502"])-1].y, series["503"][len(series["503"])-1].y; a == b {
		t.Errorf("502 and 503 end at 0%% on the same line (y=%v): one hides the other", a)
	}
	// The seed's 504s (a third, from the 1c node) are there before the trim, and gone at the
	// end; the served line ends at the top.
	top, bottom := series["served"][len(series["served"])-1].y, series["504"][len(series["504"])-1].y
	if top >= bottom {
		t.Errorf("at the end, served is drawn at y=%v and 504 at y=%v: want served at the top, 504 at the bottom", top, bottom)
	}
	first504 := series["504"][0].y
	if first504 >= bottom {
		t.Errorf("504 starts at y=%v, the same as at the end (%v): the seed's 504s before the trim are missing", first504, bottom)
	}
}

// checkChartGolden compares the chart with testdata/chart.golden.svg (-update rewrites it).
func checkChartGolden(t *testing.T, data []byte) {
	t.Helper()
	golden := filepath.Join("testdata", "chart.golden.svg")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(data, want) {
		t.Errorf("the chart differs from %s (go test -run TestTrafficChart -update rewrites it): %v", golden, err)
	}
}

// chartParts is what a test reads back out of a chart's SVG.
type chartParts struct {
	series                 map[string][]point
	steps, panels, outages []string
	numbers                map[string]string
}

// readChart parses the chart and collects its series, step marks, panels and outage bands.
func readChart(t *testing.T, data []byte) chartParts {
	t.Helper()
	var root svgNode
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatalf("the chart is not XML: %v", err)
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root element %v, want svg in the SVG namespace", root.XMLName)
	}
	series := map[string][]point{}
	var steps, panels, outages []string
	numbers := map[string]string{}
	root.walk(func(n svgNode) {
		switch {
		case n.XMLName.Local == "polyline" && n.attr("class") == "series":
			name := n.attr("data-series")
			if _, dup := series[name]; dup {
				t.Errorf("series %q drawn twice", name)
			}
			series[name] = parsePoints(t, n.attr("points"))
		case n.XMLName.Local == "g" && strings.HasPrefix(n.attr("class"), "step"):
			steps = append(steps, n.attr("data-step"))
			for _, c := range n.Children {
				if c.XMLName.Local == "text" {
					numbers[n.attr("data-step")] = c.Text
				}
			}
			if n.attr("class") == "step outage" {
				outages = append(outages, n.attr("data-step"))
			}
		case n.XMLName.Local == "g" && n.attr("class") == "panel":
			panels = append(panels, n.attr("data-listener"))
		}
	})
	return chartParts{series: series, steps: steps, panels: panels, outages: outages, numbers: numbers}
}
