package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
}
