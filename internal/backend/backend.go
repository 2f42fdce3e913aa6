package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/lock"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// Target is what the operator's flags say about where a command acts; the spec's cloud block,
// the environment and the shared config fill in the rest.
type Target struct {
	Cloud       string // --cloud: "sim", "aws", or "" (the spec's cloud.target, else sim)
	World       string // --world: the simulator's world file ("" : the built-in seed world)
	Region      string
	Profile     string
	Endpoint    string
	RetryMode   string // "" : adaptive for apply, standard otherwise
	MaxAttempts int    // 0 : the SDK's default
	// Faults is --faults FILE: faults put into the simulator for this command only, not saved.
	Faults string
	Lock   LockOptions
}

// LockOptions are apply's lock settings, as in Terraform.
type LockOptions struct {
	Disabled bool // -lock=false
	Timeout  time.Duration
	// Operation and Plan describe the apply in the lock ("apply", "saved plan x.plan").
	Operation, Plan string
}

// Backend is what a command talks to: AWS (or an AWS-API endpoint such as moto), or the
// simulator with its world.
type Backend struct {
	Kind   string // "sim" or "aws"
	API    cloud.API
	Clock  clock.Clock
	Header string // the first line of every plan: what it talks to (credentials redacted)
	// Identity names the target for saved plans: a plan made for one target never applies
	// to another. For a world file it holds the file's absolute, symlink-free path.
	Identity string

	Sim       *simulator.Sim // nil on AWS
	WorldPath string         // "" when the built-in world is used (nothing saved)
	// Region is the region the clients talk to (the simulator world's, or the SDK
	// configuration's); Observe records it in the World, so plan can compare it with the spec's.
	Region string

	// LockStore is where apply's lock lives (nil: none configured).
	LockStore lock.Store
	// Clients are the SDK clients built for AWS (nil on the simulator), with the
	// configuration's credentials and endpoint policy: commands use these, never their own.
	Clients *Clients

	// faults, set by --faults, are in the simulator's world while it runs; Save writes the
	// world file's own faults (worldFaults) back instead.
	faults      string
	worldFaults simulator.Faults
	// observeOneAtATime makes Observe's calls one at a time, in a fixed order, where the
	// answers depend on that order (see Open).
	observeOneAtATime bool

	mu    sync.Mutex
	locks []*lock.Lock // taken by TakeLock, released by ReleaseLocks
}

// Opener opens backends. Its fields are what the process gives every command: the network
// (resolver, dial hook), where warnings go, and albctl's version for the lock.
type Opener struct {
	Net      Net
	Warnings io.Writer
	Version  string
}

// Observe reads what exists for stack, in the backend's region.
func (b *Backend) Observe(ctx context.Context, stack *specs.Stack) (*cloud.World, error) {
	var opts cloud.ObserveOptions
	if b.observeOneAtATime {
		opts.MaxInFlight = 1
	}
	w, err := cloud.ObserveWith(ctx, b.API, plan.QueryOf(stack), opts)
	if err != nil {
		return nil, err
	}
	w.Region = b.Region
	return w, nil
}

// Save writes the simulator's world back to its file; a no-op for AWS and the built-in world.
func (b *Backend) Save() error {
	if b.Sim == nil || b.WorldPath == "" {
		return nil
	}
	w := b.Sim.World()
	if b.faults != "" {
		w.Faults = b.worldFaults
	}
	if err := w.Save(b.WorldPath); err != nil {
		return fmt.Errorf("save world: %w", err)
	}
	return nil
}

// ResolveCloud applies the precedence: --cloud, else the spec's cloud.target, else sim.
func ResolveCloud(flagValue string, stack *specs.Stack) (string, error) {
	v := flagValue
	if v == "" && stack != nil {
		v = stack.Cloud.Target
	}
	switch v {
	case "", "sim":
		return "sim", nil
	case "aws":
		return "aws", nil
	}
	return "", fmt.Errorf("--cloud must be sim or aws, not %q", v)
}

// Open opens what a command talks to; for apply (forApply) it also takes the lock before
// anything is observed, so the plan apply carries out is made under the lock.
func (o *Opener) Open(ctx context.Context, t Target, stack *specs.Stack, forApply bool) (*Backend, error) {
	kind, err := ResolveCloud(t.Cloud, stack)
	if err != nil {
		return nil, err
	}
	var be *Backend
	switch {
	case kind == "sim":
		be, err = openSimFor(t, forApply)
	case t.World != "":
		return nil, errors.New("--world is for the simulator; it cannot be used with --cloud aws")
	default:
		be, err = o.openAWS(ctx, t, stack, forApply)
	}
	if err != nil {
		return nil, err
	}
	if forApply {
		if be.Kind == "aws" && be.LockStore == nil && !t.Lock.Disabled && o.Warnings != nil {
			fmt.Fprintln(o.Warnings, "Warning: no apply lock is configured: another apply on this stack (a teammate, a CI job) could run at the same time. Set cloud { lock = \"s3://BUCKET/KEY\" } in the spec.")
		}
		if err := be.TakeLock(ctx, t.Lock, o.Version); err != nil {
			return nil, err
		}
	}
	return be, nil
}

// openSimFor opens the simulator with --faults in its world and the SDK's retryer in front.
func openSimFor(t Target, forApply bool) (*Backend, error) {
	be, err := OpenSim(t.World)
	if err != nil {
		return nil, err
	}
	if err := be.withFaults(t.Faults); err != nil {
		return nil, err
	}
	w := be.Sim.World()
	// The SDK's retryer is not in the simulator's path: put it in front.
	mode, err := RetryMode(t.RetryMode, forApply)
	if err != nil {
		return nil, err
	}
	be.API = Retrying(be.Sim, w.Seed, mode, t.MaxAttempts)
	// A throttling fault fails the n-th call of an operation: with reads in flight side by
	// side, which request is the n-th would change from run to run.
	be.observeOneAtATime = len(w.Faults.Throttle)+len(w.Faults.ThrottleRates) > 0
	return be, nil
}

// WorldIdentity is a world file's absolute path with symlinks resolved, so that a saved plan
// names the file it was made for wherever apply runs from.
func WorldIdentity(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs, nil
}

// OpenSim opens the simulator on the world file at worldPath, or on the built-in seed world
// when worldPath is "", without faults from the command line or a retryer in front.
func OpenSim(worldPath string) (*Backend, error) {
	var w *simulator.World
	header := "simulator, built-in seed world (changes are not saved; use --world FILE to keep them)"
	identity := "sim:"
	var store lock.Store
	if worldPath == "" {
		w = simulator.SeedWorld()
	} else {
		var err error
		w, err = simulator.LoadWorld(worldPath)
		if err != nil {
			return nil, err
		}
		header = "simulator, world " + worldPath
		abs, err := WorldIdentity(worldPath)
		if err != nil {
			return nil, fmt.Errorf("world %s: %w", worldPath, err)
		}
		identity += abs
		store = lock.File{Path: abs + ".lock"}
	}
	region := w.Region
	sim := simulator.New(w)
	return &Backend{
		Kind:      "sim",
		Region:    region,
		API:       cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM(), CW: sim.CloudWatch()},
		Clock:     sim.Clock(),
		Header:    header,
		Identity:  identity,
		Sim:       sim,
		WorldPath: worldPath,
		LockStore: store,
	}, nil
}

// withFaults puts the faults of --faults FILE into the simulator, keeping the world file's
// own to write back: faults given on the command line are not saved into the world.
func (b *Backend) withFaults(path string) error {
	if path == "" || b.Sim == nil {
		return nil
	}
	f, err := simulator.LoadFaults(path)
	if err != nil {
		return fmt.Errorf("--faults: %w", err)
	}
	w := b.Sim.World()
	b.faults, b.worldFaults = path, w.Faults
	w.Faults = f
	b.Sim = simulator.New(w)
	b.Clock = b.Sim.Clock()
	return nil
}

// Retrying puts the SDK's retryer in mode in front of the simulator, as the SDK does in
// front of AWS, sleeping on the simulated clock; maxAttempts is --max-attempts (0: the SDK's
// default).
func Retrying(sim *simulator.Sim, seed uint64, mode aws.RetryMode, maxAttempts int) cloud.API {
	r := cloud.NewRetrier(sim.Clock(), cloud.RetryPolicy{Mode: mode, MaxAttempts: maxAttempts, Seed: seed})
	return r.Wrap(cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM(), CW: sim.CloudWatch()})
}

// RetryMode is the SDK retry mode of --retry-mode (mode): by default adaptive for apply,
// which makes bursts of calls and should let the client pace itself, and standard otherwise.
func RetryMode(mode string, forApply bool) (aws.RetryMode, error) {
	if mode == "" {
		mode = string(aws.RetryModeStandard)
		if forApply {
			mode = string(aws.RetryModeAdaptive)
		}
	}
	rm, err := aws.ParseRetryMode(mode)
	if err != nil {
		return "", fmt.Errorf("--retry-mode: %w", err)
	}
	return rm, nil
}

// TakeLock takes the backend's lock for an apply, naming who, where and which plan; a no-op
// when the lock is disabled or none is configured. ReleaseLocks gives it back.
func (b *Backend) TakeLock(ctx context.Context, lo LockOptions, version string) error {
	if lo.Disabled || b.LockStore == nil {
		return nil
	}
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		who += "@" + h
	}
	op, planned := lo.Operation, lo.Plan
	if op == "" {
		op = "apply"
	}
	if planned == "" {
		planned = "a plan made by this apply"
	}
	l, err := lock.Acquire(ctx, b.LockStore, lock.Info{
		Operation: op, Who: who, Where: b.Header, When: time.Now().UTC(), Plan: planned, Version: version,
	}, lo.Timeout, clock.Wall{})
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.locks = append(b.locks, l)
	b.mu.Unlock()
	return nil
}

// ReleaseLocks releases the locks the backend took, even after Ctrl-C (ctx is not used for
// that reason: the lock must still go), and returns what failed.
func (b *Backend) ReleaseLocks() []error {
	b.mu.Lock()
	locks := b.locks
	b.locks = nil
	b.mu.Unlock()
	var errs []error
	for _, l := range locks {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := l.Release(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	return errs
}
