package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/specs"
)

// awsEnv empties the AWS settings of the environment for one test: no shared config, no
// credentials, no endpoints.
func awsEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_REGION", "ap-northeast-1")
}

func specWithEndpoint(t *testing.T, endpoint string) string {
	t.Helper()
	_, spec, _ := stage(t)
	data, _ := os.ReadFile(filepath.Join(spec, "alb.hcl"))
	src := strings.Replace(string(data), "cloud {", "cloud {\n  target   = \"aws\"\n  endpoint = \""+endpoint+"\"", 1)
	if src == string(data) {
		t.Fatal("no cloud block in the example")
	}
	os.WriteFile(filepath.Join(spec, "alb.hcl"), []byte(src), 0o644)
	return spec
}

// A spec cannot send credentials off this machine: plan and apply refuse before any call.
func TestSpecEndpointMustBeLoopback(t *testing.T) {
	awsEnv(t)
	ctx := context.Background()
	for _, ep := range []string{"http://any-host:5000", "https://collector.example.com", "http://evil.example.localhost.example.com"} {
		spec := specWithEndpoint(t, ep)
		for _, cmd := range [][]string{{"plan", spec}, {"apply", "-auto-approve", spec}} {
			code, _, stderr := run(t, ctx, t.TempDir(), nil, cmd...)
			if code != 1 || !strings.Contains(stderr, "refusing the spec's cloud.endpoint") || !strings.Contains(stderr, "alb.hcl:") {
				t.Errorf("%s with endpoint %s: exit %d\n%s", cmd[0], ep, code, stderr)
			}
		}
	}
}

func TestEndpointRules(t *testing.T) {
	awsEnv(t)
	ctx := context.Background()
	stack := func(ep string) *specs.Stack { return &specs.Stack{Cloud: specs.Cloud{Target: "aws", Endpoint: ep}} }

	// The flag naming the same endpoint is the user's consent (https only).
	if _, _, err := loadAWSConfig(ctx, targetFlags{endpoint: "https://aws-proxy.corp.example"}, stack("https://aws-proxy.corp.example"), false); err != nil {
		t.Errorf("flag naming the spec's endpoint: %v", err)
	}
	// Plain HTTP off this machine is refused, whoever names it.
	if _, _, err := loadAWSConfig(ctx, targetFlags{endpoint: "http://aws-proxy.corp.example"}, nil, false); err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Errorf("http flag endpoint: %v", err)
	}
	t.Setenv("AWS_ENDPOINT_URL_EC2", "http://10.0.0.5:4566")
	if _, _, err := loadAWSConfig(ctx, targetFlags{}, nil, false); err == nil || !strings.Contains(err.Error(), "plain HTTP endpoint http://10.0.0.5:4566") {
		t.Errorf("http env endpoint: %v", err)
	}
	os.Unsetenv("AWS_ENDPOINT_URL_EC2")
	// Shared-config [services] endpoints count too.
	cfgFile := os.Getenv("AWS_CONFIG_FILE")
	os.WriteFile(cfgFile, []byte("[default]\nservices = local\n\n[services local]\nec2 =\n  endpoint_url = http://192.0.2.10:5000\n"), 0o600)
	if _, _, err := loadAWSConfig(ctx, targetFlags{}, nil, false); err == nil || !strings.Contains(err.Error(), "192.0.2.10") {
		t.Errorf("shared config endpoint: %v", err)
	}
	os.WriteFile(cfgFile, nil, 0o600)

	// A spec endpoint on this machine gets placeholder credentials, never the user's, and no
	// metadata service.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
	cfg, _, err := loadAWSConfig(ctx, targetFlags{}, stack("http://localhost:5000"), false)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "testing" {
		t.Errorf("spec endpoint got credentials %q (%v), want placeholders", creds.AccessKeyID, err)
	}
	// A loopback --endpoint without credentials: placeholders, not IMDS.
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	cfg, _, err = loadAWSConfig(ctx, targetFlags{endpoint: "http://127.0.0.1:1"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if creds, err := cfg.Credentials.Retrieve(ctx); err != nil || creds.AccessKeyID != "testing" {
		t.Errorf("loopback endpoint got %q (%v), want placeholders", creds.AccessKeyID, err)
	}

	// Every request is checked before it is sent.
	p := newEndpointPolicy([]string{"https://aws-proxy.corp.example"}, false)
	for raw, ok := range map[string]bool{
		"https://ec2.ap-northeast-1.amazonaws.com/": true,
		"https://aws-proxy.corp.example/":           true,
		"http://127.0.0.1:5000/":                    true,
		"http://moto.localhost:5000/":               true,
		"http://ec2.ap-northeast-1.amazonaws.com/":  false,
		"https://collector.example.com/":            false,
		"http://aws-proxy.corp.example/":            false,
	} {
		u, _ := url.Parse(raw)
		if err := p.check(ctx, u); (err == nil) != ok {
			t.Errorf("%s: %v, want allowed=%v", raw, err, ok)
		}
	}
}

// Credentials inside an endpoint URL appear in no output and no file.
func TestEndpointCredentialsAreRedacted(t *testing.T) {
	awsEnv(t)
	ctx := context.Background()
	_, spec, _ := stage(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "x.plan")
	code, stdout, stderr := run(t, ctx, dir, nil, "plan", "-out", p, "--cloud", "aws", "--max-attempts", "1", "--endpoint", "http://alice:s3cr3t@127.0.0.1:1", spec)
	if code != 1 {
		t.Fatalf("plan against a closed port: exit %d", code)
	}
	if strings.Contains(stdout+stderr, "s3cr3t") || strings.Contains(stdout+stderr, "alice") {
		t.Errorf("credentials printed:\n%s%s", stdout, stderr)
	}
	if got := redactURL("http://alice:s3cr3t@127.0.0.1:1/?X-Amz-Security-Token=tok"); strings.Contains(got, "s3cr3t") || strings.Contains(got, "alice") || strings.Contains(got, "tok") {
		t.Errorf("redactURL = %s", got)
	}
}
