// Package clients runs real AWS clients other than the Go SDK — the AWS CLI and boto3 —
// against albctl sim serve (docs/sim-serve.md). They need a Python virtualenv with both, at
// the versions scripts/moto.sh pins and installs into .venv (make test, scripts/test.sh):
//
//	scripts/test.sh go test -count=1 ./integration/clients/
//
// Without it (ALBCTL_CLIENTS_VENV, default .venv at the repository root) the tests skip, and
// fail under CI=true, where they must run (docs/testing.md).
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
		missing(t, "no %s in %s (scripts/test.sh installs the clients scripts/moto.sh pins into .venv)", tool, dir)
	}
	return path
}

// missing skips a test whose client is not installed, or fails it under CI=true: CI installs
// the clients (scripts/test.sh), so a missing one there is a broken install, not a choice.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: the client checks must run)", args...)
	}
	t.Skipf(format, args...)
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
		missing(t, "%s has no boto3 with conditional writes: %v", python, err)
	}
	runScript(t, exec.Command(python, "boto3_check.py"), 15)
}

func TestAWSCLI(t *testing.T) {
	aws := venv(t, "aws")
	if _, err := exec.LookPath("curl"); err != nil {
		missing(t, "no curl: cli_check.sh moves the clock with curl")
	}
	cmd := exec.Command("bash", "cli_check.sh")
	cmd.Env = append(cmd.Env, "AWS="+aws)
	runScript(t, cmd, 15)
}
