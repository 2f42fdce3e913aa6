package backend

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/lock"
	"github.com/albctl/albctl/internal/specs"
)

// Clients are the SDK clients of one AWS configuration, built behind the endpoint policy.
type Clients struct {
	EC2   *ec2.Client
	ELBV2 *elbv2.Client
	IAM   *iam.Client
	STS   *sts.Client
	CW    *cloudwatch.Client // the alarms and metrics a rollout's gates read
}

// Endpoint is an AWS-API endpoint (or AWS itself) opened without a spec, for sim seed, sim
// snapshot and bench -moto.
type Endpoint struct {
	Clients
	Region string
	// URL is the endpoint in use ("" : AWS itself); Named lists every endpoint the
	// environment and the shared config name (AWS_ENDPOINT_URL*, endpoint_url).
	URL   string
	Named []string
}

// Connect opens an AWS-API endpoint under the same configuration, credential and endpoint
// rules as Open, without a spec or a lock.
func (n Net) Connect(ctx context.Context, t Target) (*Endpoint, error) {
	cfg, named, err := n.loadConfig(ctx, t, nil, false)
	if err != nil {
		return nil, err
	}
	return &Endpoint{Clients: newClients(cfg), Region: cfg.Region, URL: aws.ToString(cfg.BaseEndpoint), Named: named}, nil
}

func newClients(cfg aws.Config) Clients {
	return Clients{EC2: ec2.NewFromConfig(cfg), ELBV2: elbv2.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg), CW: cloudwatch.NewFromConfig(cfg)}
}

// settings merges flags over the spec's cloud block; the SDK fills in the rest from the
// environment and shared config (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...). fromSpec
// says the endpoint is the spec's, not the user's.
func settings(t Target, stack *specs.Stack) (region, profile, endpoint string, fromSpec bool) {
	region, profile, endpoint = t.Region, t.Profile, t.Endpoint
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

// Where is where a command's requests go, as the operator's flags, environment, shared
// config and spec decide it: the cloud, the world file (absolute, symlink-free), and for AWS
// the region, the profile and the endpoint (credentials redacted).
type Where struct {
	Kind, World, Region, Profile, Endpoint string
}

// Resolve works out Where for t and stack. It makes no DNS query and no connection: loading
// the SDK's configuration reads files and the environment only, with the metadata service off.
func Resolve(ctx context.Context, t Target, stack *specs.Stack) (Where, error) {
	kind, err := ResolveCloud(t.Cloud, stack)
	if err != nil {
		return Where{}, err
	}
	w := Where{Kind: kind}
	if kind == "sim" {
		if t.World != "" {
			if w.World, err = WorldIdentity(t.World); err != nil {
				return Where{}, fmt.Errorf("world %s: %w", t.World, err)
			}
		}
		return w, nil
	}
	if t.World != "" {
		return Where{}, errors.New("--world is for the simulator; it cannot be used with --cloud aws")
	}
	region, profile, endpoint, _ := settings(t, stack)
	opts := []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return Where{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	for _, src := range cfg.ConfigSources {
		if ec, ok := src.(config.EnvConfig); ok && profile == "" {
			profile = ec.SharedConfigProfile
		}
	}
	if profile == "" {
		profile = "default"
	}
	if endpoint == "" {
		endpoint = aws.ToString(cfg.BaseEndpoint)
	}
	w.Region, w.Profile, w.Endpoint = cfg.Region, profile, RedactURL(endpoint)
	return w, nil
}

// loadConfig builds the SDK configuration with the standard credential chain, behind the
// endpoint rules of endpoints.go: a spec's endpoint must be on this machine unless the command
// line names it, plain HTTP only to this machine, every request checked before it is sent and
// every connection when it is made. With an endpoint on this machine in use (however named),
// the metadata service is off; without credentials, such an endpoint gets placeholders; an
// endpoint from the spec never gets the user's credentials. It also returns the endpoints the
// environment and shared config name.
func (n Net) loadConfig(ctx context.Context, t Target, stack *specs.Stack, forApply bool) (aws.Config, []string, error) {
	region, profile, endpoint, fromSpec := settings(t, stack)
	if err := n.checkEndpoints(ctx, t, stack, endpoint); err != nil {
		return aws.Config{}, nil, err
	}
	opts, err := sdkOptions(t, region, profile, forApply)
	if err != nil {
		return aws.Config{}, nil, err
	}
	// A first look at the operator's configuration (files and environment; no connection)
	// finds every endpoint in use: the flag's or spec's, AWS_ENDPOINT_URL*, the shared
	// config's endpoint_url and [services] sections.
	probe, err := config.LoadDefaultConfig(ctx, append(slices.Clone(opts), config.WithEC2IMDSClientEnableState(imds.ClientDisabled))...)
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	configured := namedEndpoints(probe)
	named := slices.Clone(configured)
	if t.Endpoint != "" {
		named = append(named, t.Endpoint)
	}
	if err := n.checkPlainHTTP(ctx, append(named, endpoint)); err != nil {
		return aws.Config{}, nil, err
	}
	local := ""
	for _, e := range append([]string{endpoint}, named...) {
		if e != "" && n.IsLocal(ctx, e) {
			local = e
			break
		}
	}
	// With an endpoint on this machine (or a spec's) in use, the metadata service is off in
	// the SDK and refused by the dialer: it would hand out the instance's real credentials.
	client := newGuardedClient(newEndpointPolicy(n, named, local == "" && !fromSpec))
	// The credential providers connect through it too, the container credential provider
	// included (it does not take the configuration's client by itself).
	opts = append(opts, config.WithHTTPClient(client), config.WithEndpointCredentialOptions(func(o *endpointcreds.Options) { o.HTTPClient = client }))
	if local != "" || fromSpec {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	// cfg.HTTPClient is client, or (with a custom CA bundle) the SDK's copy of it with the
	// bundle added to its transport: the guard's proxy hook and dialer are kept either way.
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	if fromSpec {
		// The spec chose this endpoint (on this machine, checked above); the user did not.
		cfg.Credentials = placeholderCredentials()
	} else {
		n.emulatorCredentials(ctx, &cfg, local, t)
	}
	if cfg.Region == "" {
		return aws.Config{}, nil, errors.New("no AWS region: set cloud.region in the spec, --region, or AWS_REGION")
	}
	return cfg, configured, nil
}

// checkEndpoints refuses a spec's endpoint off this machine that the command line does not
// name, and an endpoint that is not a URL.
func (n Net) checkEndpoints(ctx context.Context, t Target, stack *specs.Stack, endpoint string) error {
	if stack != nil {
		where := ""
		if r := stack.Cloud.DeclRange; r.Filename != "" {
			where = fmt.Sprintf("%s:%d:%d: ", r.Filename, r.Start.Line, r.Start.Column)
		}
		if err := n.checkSpecEndpoint(ctx, stack.Cloud.Endpoint, t.Endpoint, where); err != nil {
			return err
		}
	}
	if endpoint != "" {
		if u, err := url.Parse(endpoint); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("--endpoint %q is not a URL", RedactURL(endpoint))
		}
	}
	return nil
}

// sdkOptions are the SDK settings the flags and the spec choose: region, profile, retries.
func sdkOptions(t Target, region, profile string, forApply bool) ([]func(*config.LoadOptions) error, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if t.RetryMode != "" || forApply {
		rm, err := RetryMode(t.RetryMode, forApply)
		if err != nil {
			return nil, err
		}
		opts = append(opts, config.WithRetryMode(rm))
	}
	if t.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(t.MaxAttempts))
	}
	return opts, nil
}

func (o *Opener) openAWS(ctx context.Context, t Target, stack *specs.Stack, forApply bool) (*Backend, error) {
	cfg, _, err := o.Net.loadConfig(ctx, t, stack, forApply)
	if err != nil {
		return nil, err
	}
	endpoint := aws.ToString(cfg.BaseEndpoint)
	clients := newClients(cfg)
	header := "AWS"
	account := ""
	if id, err := clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		account = aws.ToString(id.Account)
		header += " account " + account
	}
	header += ", region " + cfg.Region
	if endpoint != "" {
		header += ", endpoint " + RedactURL(endpoint)
	}
	be := &Backend{
		Kind:     "aws",
		Region:   cfg.Region,
		API:      cloud.API{EC2: clients.EC2, ELBV2: clients.ELBV2, IAM: clients.IAM, CW: clients.CW},
		Clock:    clock.Wall{},
		Header:   header,
		Identity: fmt.Sprintf("aws:%s:%s:%s", account, cfg.Region, RedactURL(endpoint)),
		Clients:  &clients,
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
		be.LockStore = &lock.S3{API: client, Bucket: bucket, Key: key}
	}
	return be, nil
}

// placeholderCredentials are what an emulator gets: it accepts any, and the SDK refuses to
// sign without some.
func placeholderCredentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("testing", "testing", "")
}

// emulatorCredentials gives a local endpoint placeholder credentials when the user has none
// configured, instead of letting the SDK fall back to the instance metadata service.
func (n Net) emulatorCredentials(ctx context.Context, cfg *aws.Config, endpoint string, t Target) {
	if endpoint == "" || !n.IsLocal(ctx, endpoint) || t.Profile != "" {
		return
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if os.Getenv(k) != "" {
			return
		}
	}
	cfg.Credentials = placeholderCredentials()
}
