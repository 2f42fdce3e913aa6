package rehearse

import (
	"time"

	"github.com/albctl/albctl/internal/simulator"
)

const (
	// ChartEvery is the width of a point of Listener.Chart: five seconds of requests.
	ChartEvery = 5 * time.Second
	// BarEvery is the width of a bucket of Listener.Bars: a ten-minute run in about 45.
	BarEvery = 15 * time.Second
)

// points groups the listener's per-second counts into ChartEvery buckets from t0; a bucket
// ends at its last request's tick (the end of the record at the latest).
func (tl *timeline) points(key string, t0 time.Time) []Point {
	var out []Point
	var cur simulator.Counts
	var from, to time.Time
	flush := func() {
		if cur.Requests > 0 {
			out = append(out, Point{From: from.Sub(tl.origin), To: to.Sub(tl.origin), Stats: fromCounts(cur)})
		}
		cur = simulator.Counts{}
	}
	for _, iv := range tl.intervals[key] {
		b := t0.Add(iv.Start.Sub(t0) / ChartEvery * ChartEvery)
		if cur.Requests > 0 && !b.Equal(from) {
			flush()
		}
		if cur.Requests == 0 {
			from = b
		}
		to = minTime(b.Add(ChartEvery), maxTime(iv.End, iv.Start.Add(clientOptions.Every)))
		sum(&cur, iv.Counts)
	}
	flush()
	return out
}

// bars counts the listener's requests in BarEvery buckets from t0, as many as cover t1.
func (tl *timeline) bars(key string, t0, t1 time.Time) []Stats {
	n := int((t1.Sub(t0) + BarEvery - 1) / BarEvery)
	if n <= 0 {
		return nil
	}
	buckets := make([]simulator.Counts, n)
	for _, iv := range tl.intervals[key] {
		if i := int(iv.Start.Sub(t0) / BarEvery); i >= 0 && i < n {
			sum(&buckets[i], iv.Counts)
		}
	}
	out := make([]Stats, n)
	for i, b := range buckets {
		out[i] = fromCounts(b)
	}
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
