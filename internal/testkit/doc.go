// Package testkit holds the helpers that the tests of several packages share, written once
// instead of copied into each test package: the simulator as albctl's cloud.API, a plan and
// apply to convergence, and the network guard every test that opens AWS clients runs under
// (docs/testing.md, "The test kit").
//
// Import it only from _test.go files: it is test code, and it imports the simulator and the
// engine, which albctl's own packages must not drag along. internal/housetest's
// TestTestkitOnlyInTests keeps it so. Nothing here holds package-level state, so tests that
// use it can run in parallel.
package testkit
