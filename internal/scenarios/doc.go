// Package scenarios holds end-to-end tests of albctl's core on the simulator: a spec is
// loaded, the simulator observed, a plan built and applied by the engine, and the simulated
// world (and what its clients saw) checked. They prove the promises of docs/plans.md — a
// rollout never drops serving capacity below the minimum, a broken image is rolled back,
// scale-in drains before it terminates and trims after — where the plan and engine tests
// each see only half of the story. The package has no code outside its tests.
package scenarios
