package rehearse

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/simulator"
)

// Window is a stretch of the apply in which one listener's routing model failed (and
// switched servers for) the same share of requests, to the percent, with the causes seen
// in it. Times count from the apply's start.
type Window struct {
	From, To          time.Duration
	Failed, Switching float64
	Causes            []string
	// Refs number the causes in the report's Legend (1-based, sorted); set when requests
	// failed in the window.
	Refs []int
}

// window is a Window as recorded, with the sample that failed most.
type window struct {
	from, to          time.Time
	failed, switching float64
	causes            []string
	worst             simulator.Traffic
}

// Percent is a share to the whole percent, as windows compare and print shares.
func Percent(v float64) int { return int(math.Round(100 * v)) }

// windows merges the listener's samples into windows of equal shares; a window that lasts no
// time (two changes at one instant) is dropped, as no request falls in it.
func (r *Recorder) windows(key string) []window {
	var out []window
	for _, e := range r.entries {
		if listenerKey(e.Traffic) != key {
			continue
		}
		t := e.Traffic
		if n := len(out); n > 0 {
			out[n-1].to = e.At
			cur := &out[n-1]
			if Percent(cur.failed) == Percent(t.Failed) && Percent(cur.switching) == Percent(t.SwitchServer) {
				cur.causes = addCauses(cur.causes, t.Why)
				if t.Failed > cur.worst.Failed {
					cur.worst = t
				}
				continue
			}
			if !cur.to.After(cur.from) {
				out = out[:n-1]
			}
		}
		out = append(out, window{from: e.At, to: r.end, failed: t.Failed, switching: t.SwitchServer, causes: addCauses(nil, t.Why), worst: t})
	}
	if n := len(out); n > 0 {
		out[n-1].to = r.end
	}
	return out
}

// addCauses adds the causes of a Why ("a; b (c; d)") not yet in list, in order: the
// simulator joins causes with "; ", which may also appear inside a cause's parentheses.
func addCauses(list []string, why string) []string {
	depth, start := 0, 0
	add := func(c string) {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(list, c) {
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

// keys lists the listeners of the apply's samples, in order of first appearance (the
// simulator reports them sorted).
func (r *Recorder) keys() []string {
	var out []string
	for _, e := range r.entries {
		if k := listenerKey(e.Traffic); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// routing is every listener's windows, with the causes of failing windows numbered once
// in a legend, in the order they are first met.
func (r *Recorder) routing() ([]Routing, []string) {
	var out []Routing
	var legend []string
	for _, key := range r.keys() {
		rt := Routing{Key: key}
		for _, w := range r.windows(key) {
			win := Window{From: w.from.Sub(r.start), To: w.to.Sub(r.start), Failed: w.failed, Switching: w.switching, Causes: w.causes}
			if len(w.causes) > 0 && w.failed > 0 {
				win.Refs, legend = refs(legend, w.causes)
			}
			rt.Windows = append(rt.Windows, win)
		}
		out = append(out, rt)
	}
	return out, legend
}

// refs numbers causes in legend, adding those not in it yet.
func refs(legend, causes []string) ([]int, []string) {
	var ns []int
	for _, c := range causes {
		i := slices.Index(legend, c)
		if i < 0 {
			legend = append(legend, c)
			i = len(legend) - 1
		}
		ns = append(ns, i+1)
	}
	slices.Sort(ns)
	return ns, legend
}
