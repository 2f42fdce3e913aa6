// Package discover is the mind of `albctl init`: from a region read by cloud.ReadRegion (the
// read path plan and snapshots share) it finds the instance to scale out, its target group
// and its load balancers (Account.Facts), proposes a spec for them as a value (Propose: the
// second zone with its reasons, what the security groups admit, warnings), and renders that
// proposal as HCL with hclwrite (Render). Reading is the only I/O; proposing and rendering
// are pure. The CLI (cmd/albctl/init.go) keeps the flags, the questions and the printing.
// See docs/init.md and docs/design.md.
package discover
