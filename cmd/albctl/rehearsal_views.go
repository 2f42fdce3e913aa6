package main

import (
	"io"
	"time"

	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/views"
)

// This file joins the rehearsal's records (rehearse.go, traffic.go) to internal/views until
// the rehearsal's rendering moves there too.

// applyTraffic is a trafficLog as the apply view reads it (views.Traffic).
type applyTraffic struct {
	log   *trafficLog
	stack *specs.Stack
}

func (a applyTraffic) WriteText(w io.Writer) { a.log.write(w, a.stack) }

func (a applyTraffic) Samples() []views.TrafficSample {
	var out []views.TrafficSample
	for _, e := range a.log.entries {
		out = append(out, views.TrafficSample{At: e.at, Elapsed: e.at.Sub(a.log.start), Listener: views.ListenerTraffic(e.t)})
	}
	return out
}

// plural and round are the views' own, for the rehearsal's rendering still in this package.
func plural(n int, noun string) string { return views.Plural(n, noun) }

func round(d time.Duration) time.Duration { return views.Round(d) }
