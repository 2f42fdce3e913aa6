// Package specs reads albctl spec files: HCL that says what the topology behind an
// Application Load Balancer should be (target groups, load balancers, fleets of copies of a
// source instance, per Availability Zone), and turns it into a validated [Stack].
//
// Decoding is staged, as in Packer's hcl2template: parse the files, decode variables (with
// values from defaults, the environment, var files and -var), evaluate locals in dependency
// order, then decode the blocks that may refer to them, then check the rules that span blocks
// (two zones behind an ALB, stickiness for local sessions). Every problem is an
// [hcl.Diagnostic] with a source range; all of them are collected and returned sorted.
//
// The package must stay pure: it reads the spec and var files and nothing else. It makes no
// cloud calls, reads no clock, no randomness and no environment of its own (the caller passes
// the environment in [Options]), and its function allow-list leaves out anything that would.
// Whether the resources named exist is for the cloud and plan packages to find out.
package specs
