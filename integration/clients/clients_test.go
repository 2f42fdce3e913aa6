// Package clients runs real AWS clients other than the Go SDK — the AWS CLI and boto3 —
// against albctl sim serve (docs/sim-serve.md). They need a Python virtualenv with both:
//
//	python3 -m venv .venv && .venv/bin/pip install boto3 awscli
//	go test ./integration/clients/
//
// Without it (ALBCTL_CLIENTS_VENV, default .venv at the repository root) the tests skip.
package clients

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/simserve"
	"github.com/albctl/albctl/internal/simulator"
)

func venv(t *testing.T, tool string) string {
	t.Helper()
	dir := os.Getenv("ALBCTL_CLIENTS_VENV")
	if dir == "" {
		dir = filepath.Join("..", "..", ".venv")
	}
	path, err := filepath.Abs(filepath.Join(dir, "bin", tool))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s in %s (python3 -m venv .venv && .venv/bin/pip install boto3 awscli)", tool, dir)
	}
	return path
}

// serve starts sim serve's handler on 127.0.0.1 with the blog world and the bucket locks.
func serve(t *testing.T) string {
	t.Helper()
	w, err := simulator.LoadWorld(filepath.Join("..", "..", "examples", "blog", "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(simserve.New(simulator.New(w), simserve.Options{Buckets: []string{"locks"}}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// runScript runs a client script against a fresh server; every check must print "ok".
func runScript(t *testing.T, cmd *exec.Cmd, wantChecks int) {
	t.Helper()
	url := serve(t)
	home := t.TempDir()
	cmd.Env = append(append(os.Environ(), cmd.Env...), "ALBCTL_SERVE_URL="+url, "HOME="+home,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd.Args, err, out.String())
	}
	if n := strings.Count(out.String(), "ok "); n != wantChecks || strings.Contains(out.String(), "FAIL") {
		t.Errorf("%d checks passed, want %d:\n%s", n, wantChecks, out.String())
	}
}

func TestBoto3(t *testing.T) {
	python := venv(t, "python")
	// A .venv made for moto has Python but may lack boto3's IfNoneMatch (boto3 1.35.x and later).
	probe := "import boto3, botocore.session; s = botocore.session.get_session(); assert 'IfNoneMatch' in s.get_service_model('s3').operation_model('PutObject').input_shape.members"
	if err := exec.Command(python, "-c", probe).Run(); err != nil {
		t.Skipf("%s has no boto3 with conditional writes: %v", python, err)
	}
	runScript(t, exec.Command(python, "boto3_check.py"), 15)
}

func TestAWSCLI(t *testing.T) {
	aws := venv(t, "aws")
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("cli_check.sh moves the clock with curl")
	}
	cmd := exec.Command("bash", "cli_check.sh")
	cmd.Env = append(cmd.Env, "AWS="+aws)
	runScript(t, cmd, 12)
}
