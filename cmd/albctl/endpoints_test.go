package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/testkit"
)

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
	testkit.ClearAWSEnv(t)
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
	testkit.ClearAWSEnv(t)
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
