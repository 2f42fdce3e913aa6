// Package bench measures what planning and applying cost as a fleet grows, on the simulator.
//
// Generate builds a large simulated world (N instances over three Availability Zones, several
// fleets, target groups and load balancers, every member already launched, registered and
// healthy) together with the spec under which that world is converged; More asks such a spec
// for K more instances in one fleet. Run measures, for each N, the API calls of one Observe,
// the time and allocations of Observe and Build, the memory a plan holds, the simulated time
// of applying K new instances, and the simulator's own throughput; Moto measures plans through
// the SDK against a moto server it resets and seeds. A Report writes the rows as a terminal
// table and as docs/benchmarks.md, whose prose is page.md.tmpl; `albctl bench` parses the
// flags and calls these. The Go benchmarks in this package (go test -bench .)
// give the same figures in the form benchstat compares.
//
// Figures only: nothing here asserts a time. This package is a measuring instrument; the
// product's plan and apply path (cloud, plan, engine, simulator) must never import it.
package bench
