// Package views turns what albctl computed into what people and programs read: a plan as
// text for a terminal or a CI log, as a markdown pull-request comment, as the JSON document
// of docs/plan-json.md, or as a DOT or mermaid graph; an apply's progress events and its
// outcome as lines or as one JSON object per line. Each view writes to the io.Writer it is
// given and to nothing else.
//
// A view decides nothing and fetches nothing: it does no I/O beyond that writer, never calls
// AWS or the simulator, reads no flag, environment variable or clock, and holds no state but
// what it needs to lay out the lines it has printed (the live "still waiting" line, the
// step numbers). The command (cmd/albctl) parses the flags, runs the plan or the apply and
// passes the results in; the same inputs give the same bytes (docs/design.md).
//
// Every import points down: views imports plan, engine and the model packages, never
// cmd/albctl, the backend or the simulator. What a view needs from above comes through a
// small type or interface declared here, such as Traffic for what simulated clients saw.
package views
