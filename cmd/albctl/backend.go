package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/albctl/albctl/cloud"
	"github.com/albctl/albctl/engine"
	"github.com/albctl/albctl/simulator"
	"github.com/albctl/albctl/specs"
)

// backend is what a command talks to: AWS (or an AWS-API endpoint such as moto), or the
// simulator with its world.
type backend struct {
	kind   string // "sim" or "aws"
	api    cloud.API
	clock  engine.Clock
	header string // the first line of every plan: what it talks to
	// identity names the target for saved plans: a plan made for one target never applies
	// to another.
	identity string

	sim       *simulator.Sim
	worldPath string // "" when the built-in world is used (nothing saved)
	// region is the region the clients talk to (the simulator world's, or the SDK
	// configuration's); observe records it in the World, so plan can compare it with the spec's.
	region string
	// faults, set by --faults, are in the simulator's world while it runs; save writes the
	// world file's own faults (worldFaults) back instead.
	faults      string
	worldFaults simulator.Faults
	awsConfig   aws.Config // for a rehearsal's snapshot
}

// observe reads what exists for stack, in the backend's region.
func (b *backend) observe(ctx context.Context, stack *specs.Stack) (*cloud.World, error) {
	w, err := cloud.Observe(ctx, b.api, stack)
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

func (m *Main) openBackend(ctx context.Context, t targetFlags, stack *specs.Stack, forApply bool) (*backend, error) {
	kind, err := resolveCloud(t.cloud, stack)
	if err != nil {
		return nil, err
	}
	if kind == "sim" {
		be, err := openSim(t.world)
		if err != nil {
			return nil, err
		}
		if err := be.withFaults(t.faults); err != nil {
			return nil, err
		}
		// The SDK's retryer is not in the simulator's path: put its policy in front.
		be.api = retrying(be.sim, be.sim.World().Seed, t.maxAttempts)
		return be, nil
	}
	if t.world != "" {
		return nil, errors.New("--world is for the simulator; it cannot be used with --cloud aws")
	}
	return m.openAWS(ctx, t, stack, forApply)
}

func openSim(worldPath string) (*backend, error) {
	var w *simulator.World
	header := "simulator, built-in seed world (changes are not saved; use --world FILE to keep them)"
	if worldPath == "" {
		w = simulator.SeedWorld()
	} else {
		var err error
		w, err = simulator.LoadWorld(worldPath)
		if err != nil {
			return nil, err
		}
		header = "simulator, world " + worldPath
	}
	region := w.Region
	sim := simulator.New(w)
	return &backend{
		kind:      "sim",
		region:    region,
		api:       cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()},
		clock:     sim.Clock(),
		header:    header,
		identity:  "sim:" + worldPath,
		sim:       sim,
		worldPath: worldPath,
	}, nil
}

// awsSettings merges flags over the spec's cloud block; the SDK fills in the rest from the
// environment and shared config (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...).
func awsSettings(t targetFlags, stack *specs.Stack) (region, profile, endpoint string) {
	region, profile, endpoint = t.region, t.profile, t.endpoint
	if stack != nil {
		if region == "" {
			region = stack.Cloud.Region
		}
		if profile == "" {
			profile = stack.Cloud.Profile
		}
		if endpoint == "" {
			endpoint = stack.Cloud.Endpoint
		}
	}
	return region, profile, endpoint
}

// loadAWSConfig builds the SDK configuration with the standard credential chain.
func loadAWSConfig(ctx context.Context, t targetFlags, stack *specs.Stack, forApply bool) (aws.Config, string, error) {
	region, profile, endpoint := awsSettings(t, stack)
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	mode := t.retryMode
	if mode == "" && forApply {
		mode = "adaptive" // apply makes bursts of calls; let the client pace itself
	}
	if mode != "" {
		rm, err := aws.ParseRetryMode(mode)
		if err != nil {
			return aws.Config{}, "", fmt.Errorf("--retry-mode: %w", err)
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
	if endpoint != "" {
		if u, err := url.Parse(endpoint); err != nil || u.Scheme == "" || u.Host == "" {
			return aws.Config{}, "", fmt.Errorf("--endpoint %q is not a URL", endpoint)
		}
		cfg.BaseEndpoint = aws.String(endpoint)
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
		header += ", endpoint " + endpoint
	}
	return &backend{
		kind:      "aws",
		region:    cfg.Region,
		api:       cloud.API{EC2: ec2.NewFromConfig(cfg), ELBV2: elbv2.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg)},
		clock:     engine.WallClock{},
		header:    header,
		identity:  fmt.Sprintf("aws:%s:%s:%s", account, cfg.Region, endpoint),
		awsConfig: cfg,
	}, nil
}
