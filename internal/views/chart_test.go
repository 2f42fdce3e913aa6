package views

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/plan"
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

// The chart of the seed's rehearsal: one polyline per series, points in time order, every
// step of the plan marked, the 504s of the 1c node gone after the trim, and the same bytes
// twice.
func TestTrafficChart(t *testing.T) {
	r, p := blogRehearsal(t, "")
	data := chartOf(r)
	if !bytes.Equal(data, chartOf(r)) {
		t.Error("the same report drew different charts")
	}
	if again, _ := blogRehearsal(t, ""); !bytes.Equal(data, chartOf(again)) {
		t.Error("two rehearsals of the same world drew different charts")
	}
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
	if !slices.Equal(panels, []string{"web-alb -> web-tg"}) {
		t.Errorf("panels %v, want one for web-alb -> web-tg", panels)
	}
	for _, want := range []string{"served", "502", "503", "504", "sessions lost"} {
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
	for _, id := range []string{"create_image.web", "enable_stickiness.web", "launch_instance.web.ap-northeast-1d.1", "register_target.web.ap-northeast-1d.1", "trim_zones.web"} {
		if !slices.Contains(steps, id) {
			t.Errorf("step %s is not marked (marked: %v)", id, steps)
		}
		if !slices.ContainsFunc(p.Steps, func(s plan.Step) bool { return s.ID == id }) {
			t.Errorf("the plan has no step %s", id)
		}
	}
	// Steps are numbered as the plan numbers them (validate_launch and enable_stickiness
	// start together, but the plan calls enable_stickiness step 4), and the outage is shaded.
	for id, n := range map[string]string{"validate_launch.web.ap-northeast-1d": "1", "create_image.web": "2", "enable_stickiness.web": "4", "trim_zones.web": "6"} {
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
