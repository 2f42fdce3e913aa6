package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/lock"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// backend is what a command talks to: AWS (or an AWS-API endpoint such as moto), or the
// simulator with its world.
type backend struct {
	kind   string // "sim" or "aws"
	api    cloud.API
	clock  engine.Clock
	header string // the first line of every plan: what it talks to (credentials redacted)
	// identity names the target for saved plans: a plan made for one target never applies
	// to another. For a world file it holds the file's absolute, symlink-free path.
	identity string

	sim       *simulator.Sim
	worldPath string // "" when the built-in world is used (nothing saved)
	// region is the region the clients talk to (the simulator world's, or the SDK
	// configuration's); observe records it in the World, so plan can compare it with the spec's.
	region string

	// lockStore is where apply's lock lives (nil: none configured).
	lockStore lock.Store

	// faults, set by --faults, are in the simulator's world while it runs; save writes the
	// world file's own faults (worldFaults) back instead.
	faults      string
	worldFaults simulator.Faults
	awsConfig   aws.Config // for a rehearsal's snapshot
	// observeOneAtATime makes Observe's calls one at a time, in a fixed order, where the
	// answers depend on that order (see openBackend).
	observeOneAtATime bool
}

// observe reads what exists for stack, in the backend's region.
func (b *backend) observe(ctx context.Context, stack *specs.Stack) (*cloud.World, error) {
	var opts cloud.ObserveOptions
	if b.observeOneAtATime {
		opts.MaxInFlight = 1
	}
	w, err := cloud.ObserveWith(ctx, b.api, stack, opts)
	if err != nil {
		return nil, err
	}
	w.Region = b.region
	return w, nil
}

// save writes the simulator's world back to its file; a no-op for AWS and the built-in world.
func (b *backend) save() error {
	if b.sim == nil || b.worldPath == "" {
		return nil
	}
	w := b.sim.World()
	if b.faults != "" {
		w.Faults = b.worldFaults
	}
	if err := w.Save(b.worldPath); err != nil {
		return fmt.Errorf("save world: %w", err)
	}
	return nil
}

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

// held are the locks each Main holds, released by releaseLocks when its command ends, on
// every path (error, Ctrl-C, success).
var (
	heldMu sync.Mutex
	held   = map[*Main][]*lock.Lock{}
)

// releaseLocks releases the locks m holds. Called with defer by commands that take one.
func (m *Main) releaseLocks() {
	heldMu.Lock()
	locks := held[m]
	delete(held, m)
	heldMu.Unlock()
	for _, l := range locks {
		// Released even after Ctrl-C: the context is done, the lock must still go.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := l.Release(ctx); err != nil {
			fmt.Fprintf(m.Stderr, "Warning: %v\n", err)
		}
		cancel()
	}
}

// takeLock takes be's lock for an apply, naming who, where and which plan.
func (m *Main) takeLock(ctx context.Context, be *backend, lf lockFlags) error {
	if lf.noLock || be.lockStore == nil {
		return nil
	}
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		who += "@" + h
	}
	op, planned := lf.operation, lf.plan
	if op == "" {
		op = "apply"
	}
	if planned == "" {
		planned = "a plan made by this apply"
	}
	l, err := lock.Acquire(ctx, be.lockStore, lock.Info{
		Operation: op, Who: who, Where: be.header, When: time.Now().UTC(), Plan: planned, Version: Version,
	}, lf.lockTimeout, engine.WallClock{})
	if err != nil {
		return err
	}
	heldMu.Lock()
	held[m] = append(held[m], l)
	heldMu.Unlock()
	return nil
}

// resolveCloud applies the precedence: --cloud, else the spec's cloud.target, else sim.
func resolveCloud(flagValue string, stack *specs.Stack) (string, error) {
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

// openBackend opens what a command talks to; for apply (forApply) it also takes the lock
// before anything is observed, so the plan apply carries out is made under the lock.
func (m *Main) openBackend(ctx context.Context, t targetFlags, stack *specs.Stack, forApply bool) (*backend, error) {
	kind, err := resolveCloud(t.cloud, stack)
	if err != nil {
		return nil, err
	}
	var be *backend
	if kind == "sim" {
		be, err = openSim(t.world)
		if err == nil {
			err = be.withFaults(t.faults)
		}
		if err == nil {
			w := be.sim.World()
			// The SDK's retryer is not in the simulator's path: put it in front.
			var mode aws.RetryMode
			if mode, err = retryMode(t, forApply); err != nil {
				return nil, err
			}
			be.api = retrying(be.sim, w.Seed, mode, t.maxAttempts)
			// A throttling fault fails the n-th call of an operation: with reads in flight
			// side by side, which request is the n-th would change from run to run.
			be.observeOneAtATime = len(w.Faults.Throttle)+len(w.Faults.ThrottleRates) > 0
		}
	} else if t.world != "" {
		return nil, errors.New("--world is for the simulator; it cannot be used with --cloud aws")
	} else {
		be, err = m.openAWS(ctx, t, stack, forApply)
	}
	if err != nil {
		return nil, err
	}
	if forApply {
		if be.kind == "aws" && be.lockStore == nil && !t.noLock {
			fmt.Fprintln(m.Stderr, "Warning: no apply lock is configured: another apply on this stack (a teammate, a CI job) could run at the same time. Set cloud { lock = \"s3://BUCKET/KEY\" } in the spec.")
		}
		if err := m.takeLock(ctx, be, t.lockFlags); err != nil {
			return nil, err
		}
	}
	return be, nil
}

// worldIdentity is a world file's absolute path with symlinks resolved, so that a saved plan
// names the file it was made for wherever apply runs from.
func worldIdentity(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs, nil
}

func openSim(worldPath string) (*backend, error) {
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
		abs, err := worldIdentity(worldPath)
		if err != nil {
			return nil, fmt.Errorf("world %s: %w", worldPath, err)
		}
		identity += abs
		store = lock.File{Path: abs + ".lock"}
	}
	region := w.Region
	sim := simulator.New(w)
	return &backend{
		kind:      "sim",
		region:    region,
		api:       cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM(), CW: sim.CloudWatch()},
		clock:     sim.Clock(),
		header:    header,
		identity:  identity,
		sim:       sim,
		worldPath: worldPath,
		lockStore: store,
	}, nil
}

// awsSettings merges flags over the spec's cloud block; the SDK fills in the rest from the
// environment and shared config (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...). fromSpec
// says the endpoint is the spec's, not the user's.
func awsSettings(t targetFlags, stack *specs.Stack) (region, profile, endpoint string, fromSpec bool) {
	region, profile, endpoint = t.region, t.profile, t.endpoint
	if stack != nil {
		if region == "" {
			region = stack.Cloud.Region
		}
		if profile == "" {
			profile = stack.Cloud.Profile
		}
		if endpoint == "" && stack.Cloud.Endpoint != "" {
			endpoint, fromSpec = stack.Cloud.Endpoint, true
		}
	}
	return region, profile, endpoint, fromSpec
}

// loadAWSConfig builds the SDK configuration with the standard credential chain, behind the
// endpoint rules of endpoints.go: a spec's endpoint must be on this machine unless the command
// line names it, plain HTTP only to this machine, every request checked before it is sent.
// Against this machine, without credentials, the SDK gets placeholders and never asks the
// instance metadata service; an endpoint from the spec never gets the user's credentials.
func loadAWSConfig(ctx context.Context, t targetFlags, stack *specs.Stack, forApply bool) (aws.Config, string, error) {
	region, profile, endpoint, fromSpec := awsSettings(t, stack)
	if stack != nil {
		where := ""
		if r := stack.Cloud.DeclRange; r.Filename != "" {
			where = fmt.Sprintf("%s:%d:%d: ", r.Filename, r.Start.Line, r.Start.Column)
		}
		if err := checkSpecEndpoint(ctx, stack.Cloud.Endpoint, t.endpoint, where); err != nil {
			return aws.Config{}, "", err
		}
	}
	if endpoint != "" {
		if u, err := url.Parse(endpoint); err != nil || u.Scheme == "" || u.Host == "" {
			return aws.Config{}, "", fmt.Errorf("--endpoint %q is not a URL", redactURL(endpoint))
		}
	}
	candidate := endpoint
	if candidate == "" {
		candidate = os.Getenv("AWS_ENDPOINT_URL")
	}
	local := candidate != "" && isLocalEndpoint(ctx, candidate)

	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if local || fromSpec {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if t.retryMode != "" || forApply {
		rm, err := retryMode(t, forApply)
		if err != nil {
			return aws.Config{}, "", err
		}
		opts = append(opts, config.WithRetryMode(rm))
	}
	if t.maxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(t.maxAttempts))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, "", fmt.Errorf("load AWS configuration: %w", err)
	}
	named := namedEndpoints(cfg)
	if t.endpoint != "" {
		named = append(named, t.endpoint)
	}
	if err := checkPlainHTTP(ctx, append(named, endpoint)); err != nil {
		return aws.Config{}, "", err
	}
	cfg.HTTPClient = newGuardedClient(newEndpointPolicy(named))
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	if fromSpec {
		// The spec chose this endpoint (on this machine, checked above); the user did not.
		cfg.Credentials = placeholderCredentials
	} else {
		emulatorCredentials(ctx, &cfg, aws.ToString(cfg.BaseEndpoint), t)
	}
	if cfg.Region == "" {
		return aws.Config{}, "", errors.New("no AWS region: set cloud.region in the spec, --region, or AWS_REGION")
	}
	return cfg, aws.ToString(cfg.BaseEndpoint), nil
}

func (m *Main) openAWS(ctx context.Context, t targetFlags, stack *specs.Stack, forApply bool) (*backend, error) {
	cfg, endpoint, err := loadAWSConfig(ctx, t, stack, forApply)
	if err != nil {
		return nil, err
	}
	header := "AWS"
	account := ""
	if id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		account = aws.ToString(id.Account)
		header += " account " + account
	}
	header += ", region " + cfg.Region
	if endpoint != "" {
		header += ", endpoint " + redactURL(endpoint)
	}
	be := &backend{
		kind:      "aws",
		region:    cfg.Region,
		api:       cloud.API{EC2: ec2.NewFromConfig(cfg), ELBV2: elbv2.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg), CW: cloudwatch.NewFromConfig(cfg)},
		clock:     engine.WallClock{},
		header:    header,
		identity:  fmt.Sprintf("aws:%s:%s:%s", account, cfg.Region, redactURL(endpoint)),
		awsConfig: cfg,
	}
	if stack != nil && stack.Cloud.Lock != "" {
		bucket, key, err := lock.ParseS3URL(stack.Cloud.Lock)
		if err != nil {
			return nil, err
		}
		client := s3.NewFromConfig(cfg, func(o *s3.Options) {
			// Emulators serve buckets by path, not by DNS name.
			o.UsePathStyle = endpoint != ""
		})
		be.lockStore = &lock.S3{API: client, Bucket: bucket, Key: key}
	}
	return be, nil
}

// retryMode is the SDK retry mode of --retry-mode: by default adaptive for apply, which
// makes bursts of calls and should let the client pace itself, and standard otherwise.
func retryMode(t targetFlags, forApply bool) (aws.RetryMode, error) {
	mode := t.retryMode
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
