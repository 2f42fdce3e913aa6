// Package rehearse runs a plan on a copy of the world — the simulator's own, or a read-only
// snapshot of an AWS account — and records what simulated clients see before, during and
// after each step. apply on the simulator records the same timeline with a Recorder.
//
// What it returns is a Report: a value holding the phases, the routing model's windows, the
// worst moment, the sessions lost, the causes legend, the chart series and what the copy
// assumed (docs/simulator.md, "Rehearsal"; docs/apply.md, "What apply prints").
//
// This package must not print, write files or decide how anything looks: internal/views
// renders a Report (text, markdown, JSON, SVG) and cmd/albctl wires flags to Run. It must
// not import either of them.
package rehearse
