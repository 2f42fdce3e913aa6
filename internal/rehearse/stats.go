package rehearse

import (
	"slices"

	"github.com/albctl/albctl/internal/simulator"
)

// FailureCodes are the columns of failed requests, in the order the tables show them:
// connection errors (a node address that no longer answers, held from DNS), which have no
// HTTP status, apart from the load balancer's 5xx, then the app's own errors.
var FailureCodes = []string{"conn errors", "502", "503", "504", "app errors"}

// Stats is what clients of one listener saw over a window, as shares of requests.
type Stats struct {
	Requests int // 0 for an instant, which reports the routing model's shares
	Served   float64
	// The shares of failed requests, one per FailureCodes.
	ConnErrors, Status502, Status503, Status504, AppErrors float64
	// SessionsLost is the share of served requests that reached a server without the
	// client's session, when sessions are local.
	SessionsLost float64
	Why          []string
}

// Code is the share of one of FailureCodes.
func (s Stats) Code(name string) float64 {
	switch name {
	case "conn errors":
		return s.ConnErrors
	case "502":
		return s.Status502
	case "503":
		return s.Status503
	case "504":
		return s.Status504
	case "app errors":
		return s.AppErrors
	}
	return 0
}

// Failed is the share of requests that failed: the sum of the failure columns, added in
// their order so that every view prints the same figure.
func (s Stats) Failed() float64 {
	var f float64
	for _, code := range FailureCodes {
		f += s.Code(code)
	}
	return f
}

// Value is the share of a chart series: "served", "sessions lost" or one of FailureCodes.
func (s Stats) Value(series string) float64 {
	switch series {
	case "served":
		return s.Served
	case "sessions lost":
		return s.SessionsLost
	}
	return s.Code(series)
}

// fromCounts turns the client model's counts into shares.
func fromCounts(c simulator.Counts) Stats {
	return Stats{
		Requests:     c.Requests,
		Served:       c.Share(c.Served),
		ConnErrors:   c.Share(c.ConnectionErrors),
		Status502:    c.Share(c.Status502),
		Status503:    c.Share(c.Status503),
		Status504:    c.Share(c.Status504),
		AppErrors:    c.Share(c.TargetErrors),
		SessionsLost: c.LostShare(),
		Why:          c.Why,
	}
}

// fromTraffic turns one sample of the routing model into the same shares: a request that
// reaches another server than the client's last loses a session kept on local disk.
func fromTraffic(t simulator.Traffic) Stats {
	s := Stats{Served: t.Served, Status502: t.Status502, Status503: t.Status503, Status504: t.Status504, AppErrors: t.TargetErrors}
	if t.Why != "" {
		s.Why = []string{t.Why}
	}
	if t.Sessions == "local" {
		s.SessionsLost = t.SwitchServer
	}
	return s
}

// sum adds b's counts to a; the causes once each, in order of first appearance.
func sum(a *simulator.Counts, b simulator.Counts) {
	a.Requests += b.Requests
	a.Served += b.Served
	a.ConnectionErrors += b.ConnectionErrors
	a.Status502 += b.Status502
	a.Status503 += b.Status503
	a.Status504 += b.Status504
	a.TargetErrors += b.TargetErrors
	a.SessionsLost += b.SessionsLost
	a.SessionsStarted += b.SessionsStarted
	for _, w := range b.Why {
		if !slices.Contains(a.Why, w) {
			a.Why = append(a.Why, w)
		}
	}
}

func listenerKey(t simulator.Traffic) string { return t.LoadBalancer + " -> " + t.TargetGroup }
