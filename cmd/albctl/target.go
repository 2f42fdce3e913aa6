package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/specs"
)

// Opening the cloud is internal/backend's; this file turns the command line into its
// settings and keeps, per Main, the backends whose locks the command must release.

// lockFlags are apply's lock settings, as in Terraform.
type lockFlags struct {
	noLock      bool // -lock=false
	lockTimeout time.Duration
	// operation and plan describe the apply in the lock ("apply", "saved plan x.plan").
	operation, plan string
}

// register adds -lock and -lock-timeout to an apply-like command.
func (l *lockFlags) register(fs *flag.FlagSet) {
	fs.Func("lock", "take the apply lock (default true; -lock=false only when you know no other apply runs)", func(v string) error {
		switch v {
		case "true", "1":
			l.noLock = false
		case "false", "0":
			l.noLock = true
		default:
			return fmt.Errorf("want true or false")
		}
		return nil
	})
	fs.DurationVar(&l.lockTimeout, "lock-timeout", 0, "how long to wait for a held lock before failing (e.g. 5m; default: fail at once)")
}

// settings is what the flags say about the target, for internal/backend.
func (t targetFlags) settings() backend.Target {
	return backend.Target{
		Cloud: t.cloud, World: t.world, Region: t.region, Profile: t.profile, Endpoint: t.endpoint,
		RetryMode: t.retryMode, MaxAttempts: t.maxAttempts, Faults: t.faults,
		Lock: backend.LockOptions{Disabled: t.noLock, Timeout: t.lockTimeout, Operation: t.operation, Plan: t.plan},
	}
}

// retryMode is the SDK retry mode of --retry-mode (backend.RetryMode).
func retryMode(t targetFlags, forApply bool) (aws.RetryMode, error) {
	return backend.RetryMode(t.retryMode, forApply)
}

// defaultNet is the network of a Main that names none: the system's resolver, no dial hook.
// This package's tests set a loopback-only one (netguard_test.go).
var defaultNet backend.Net

// net is the resolver and dial hook m's AWS clients use.
func (m *Main) net() backend.Net {
	if m.Net.LookupIP != nil || m.Net.DialHook != nil {
		return m.Net
	}
	return defaultNet
}

// openBackend opens what a command talks to; for apply (forApply) it also takes the lock
// before anything is observed, and m releases it when the command ends (releaseLocks).
func (m *Main) openBackend(ctx context.Context, t targetFlags, stack *specs.Stack, forApply bool) (*backend.Backend, error) {
	o := backend.Opener{Net: m.net(), Warnings: m.Stderr, Version: Version}
	be, err := o.Open(ctx, t.settings(), stack, forApply)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.opened = append(m.opened, be)
	m.mu.Unlock()
	return be, nil
}

// releaseLocks releases the locks of the backends m opened. Called with defer by commands
// that take one, so it runs on every path (error, Ctrl-C, success).
func (m *Main) releaseLocks() {
	m.mu.Lock()
	opened := m.opened
	m.opened = nil
	m.mu.Unlock()
	for _, be := range opened {
		for _, err := range be.ReleaseLocks() {
			fmt.Fprintf(m.Stderr, "Warning: %v\n", err)
		}
	}
}
