package views

import (
	"io"
	"time"
)

// Traffic is what simulated clients saw during an apply. The rehearsal records it
// (docs/simulator.md, "Rehearsal"); the apply view only prints it, so this interface is all
// a view needs of it, and views stays clear of the simulator.
type Traffic interface {
	// WriteText prints the report for people: the windows, the phase table, the verdict.
	WriteText(w io.Writer)
	// Samples are the changes of every listener's traffic during the apply, in time order:
	// apply -json prints a "traffic" line for each.
	Samples() []TrafficSample
}

// TrafficSample is one listener's traffic from the moment At on, Elapsed after the apply
// began.
type TrafficSample struct {
	At       time.Time
	Elapsed  time.Duration
	Listener ListenerTraffic
}

// ListenerTraffic has the fields of simulator.Traffic, in its order and with its JSON names
// (docs/plan-json.md), so that a simulator.Traffic converts to it directly: a
// field added there fails that conversion until it is added here too.
type ListenerTraffic struct {
	LoadBalancer string  `json:"load_balancer"`
	TargetGroup  string  `json:"target_group"`
	Served       float64 `json:"served"`        // 0..1
	Failed       float64 `json:"failed"`        // 0..1: the sum of the four shares below
	SwitchServer float64 `json:"switch_server"` // 0..1 of served requests
	Why          string  `json:"why,omitempty"` // the causes of failures, for people
	Status502    float64 `json:"status_502"`
	Status503    float64 `json:"status_503"`
	Status504    float64 `json:"status_504"`
	TargetErrors float64 `json:"target_errors"`
	Sessions     string  `json:"sessions"` // the target group's sessions setting: local or shared
}
