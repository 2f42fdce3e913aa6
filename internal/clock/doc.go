// Package clock holds albctl's one notion of time: the Clock interface the engine, the retry
// layer and the state lock read and wait with, Wall (the real clock), and Duration, the
// time.Duration that saved plans and world files write as a Go duration string ("5m0s").
//
// It must stay a leaf: no I/O and no imports of other albctl packages, so that plan (the
// functional core) can use Duration and the simulator can satisfy Clock with its virtual
// clock. The only thing here that touches the outside world is Wall, which reads and waits
// on the wall clock; everything else must be deterministic. See docs/design.md.
package clock
