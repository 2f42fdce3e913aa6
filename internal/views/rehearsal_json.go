package views

import (
	"encoding/json"
	"math"
	"time"

	"github.com/albctl/albctl/internal/rehearse"
)

// RehearsalJSON is the `rehearsal` object of plan -json (docs/plan-json.md).
type RehearsalJSON struct {
	World       string                  `json:"world"`
	Seed        uint64                  `json:"seed"`
	Faults      string                  `json:"faults,omitempty"`
	Clients     int                     `json:"clients"`
	RequestEach time.Duration           `json:"request_every_ns"`
	Outcome     string                  `json:"outcome"`
	Error       string                  `json:"error,omitempty"`
	Elapsed     time.Duration           `json:"elapsed_ns"`
	Listeners   []RehearsalListenerJSON `json:"listeners"`
	// Assumptions are what a copy of an account assumed or left out (empty for a world
	// file, which is the simulator's own world).
	Assumptions []rehearse.Assumption `json:"assumptions"`
}

// RehearsalListenerJSON is what clients of one listener saw, by phase.
type RehearsalListenerJSON struct {
	LoadBalancer string               `json:"load_balancer"`
	TargetGroup  string               `json:"target_group"`
	Sessions     string               `json:"sessions"`
	Phases       []RehearsalPhaseJSON `json:"phases"`
}

// RehearsalPhaseJSON is one phase: shares of requests, rounded to four decimals.
type RehearsalPhaseJSON struct {
	Phase        string        `json:"phase"`
	Step         string        `json:"step,omitempty"`
	Failed       bool          `json:"failed,omitempty"`
	From         time.Duration `json:"from_ns"`
	To           time.Duration `json:"to_ns"`
	Requests     int           `json:"requests"`
	Served       float64       `json:"served"`
	ConnErrors   float64       `json:"connection_errors"`
	Status502    float64       `json:"status_502"`
	Status503    float64       `json:"status_503"`
	Status504    float64       `json:"status_504"`
	AppErrors    float64       `json:"target_errors"`
	SessionsLost float64       `json:"sessions_lost"`
	Why          []string      `json:"why,omitempty"`
}

// share rounds a share to four decimals, so that JSON does not print float noise.
func share(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// NewRehearsalJSON is the rehearsal object of r.
func NewRehearsalJSON(r *rehearse.Report) *RehearsalJSON {
	out := &RehearsalJSON{World: r.World, Seed: r.Seed, Faults: r.Faults, Clients: r.Clients, RequestEach: r.RequestEvery,
		Outcome: "complete", Elapsed: r.Elapsed, Listeners: []RehearsalListenerJSON{},
		Assumptions: append([]rehearse.Assumption{}, r.Assumptions...)}
	if r.Error != "" {
		out.Outcome, out.Error = "stopped", r.Error
	}
	for _, l := range r.Listeners {
		lj := RehearsalListenerJSON{LoadBalancer: l.LoadBalancer, TargetGroup: l.TargetGroup, Sessions: l.Sessions, Phases: []RehearsalPhaseJSON{}}
		for _, p := range l.Phases {
			st := p.Stats
			lj.Phases = append(lj.Phases, RehearsalPhaseJSON{
				Phase: p.Name, Step: p.Step, Failed: p.Failed, From: p.From, To: p.To,
				Requests: st.Requests, Served: share(st.Served), ConnErrors: share(st.ConnErrors),
				Status502: share(st.Status502), Status503: share(st.Status503), Status504: share(st.Status504), AppErrors: share(st.AppErrors),
				SessionsLost: share(st.SessionsLost), Why: st.Why,
			})
		}
		out.Listeners = append(out.Listeners, lj)
	}
	return out
}

// trafficLineJSON is a line of apply -json: a change of the routing model's shares.
type trafficLineJSON struct {
	Type    string        `json:"type"`
	Time    time.Time     `json:"time"`
	Elapsed time.Duration `json:"elapsed_ns"`
	rehearse.Traffic
}

// EncodeTraffic writes the routing model's changes during an apply, a JSON object each
// (docs/apply.md, "What apply prints").
func EncodeTraffic(enc *json.Encoder, r *rehearse.Report) error {
	for _, c := range r.Changes {
		if err := enc.Encode(trafficLineJSON{"traffic", c.At, c.Elapsed, c.Traffic}); err != nil {
			return err
		}
	}
	return nil
}
