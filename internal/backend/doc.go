// Package backend opens the cloud a command acts on: the simulator with its world file, or
// AWS (or an AWS-API endpoint such as moto) through the SDK's configuration and credential
// chain, behind albctl's endpoint policy (docs/security.md), with the apply lock. It hands
// out the clients it built, never an SDK configuration, so that no command builds a client
// around the policy.
//
// The package holds no package-level mutable state: the resolver and the dial hook tests use
// are fields of Net, and a Backend holds the lock it took.
package backend
