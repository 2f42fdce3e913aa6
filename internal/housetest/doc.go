// Package housetest holds no code, only tests of the repository's shape: the rules that keep
// the house easy to change (docs/design.md) and that no compiler checks. They parse the
// source of other packages with go/parser and fail naming each file and function that
// breaks a rule:
//
//   - no function of the module, tests included, runs over 80 lines, a table literal in it
//     counting as one line, unless its body is a single returned literal (funclen_test.go);
//   - every simulator operation starts with `unlock, err := s.begin(ctx, "Op", …)` and
//     never takes the lock, counts calls or settles time itself (operations_test.go);
//   - only internal/clock declares a clock interface (Now, Sleep) or a Duration over
//     time.Duration, and it imports nothing but context, encoding/json, fmt and time
//     (clock_test.go);
//   - every package imports only the albctl packages the package map of docs/design.md
//     allows it, the map and the docs table agree, and cmd/albctl wires the simulator in
//     sim.go and simserve.go only (layers_test.go).
//
// The rules live here, beside each other, rather than in the packages they check, so that
// one place lists them and a package moving (say under internal/) is one line to change.
package housetest
