package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/simulator"
)

// albctl builds the CLI once per test into a temporary directory.
func albctl(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the CLI test builds albctl and needs the go command: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "albctl")
	cmd := exec.Command(goBin, "build", "-o", bin, "../cmd/albctl")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/albctl: %v\n%s", err, out)
	}
	return bin
}

// cliEnv is the environment of the CLI runs: the process's, without any AWS setting, plus
// what is given. Shared config files point nowhere, so a developer's profile cannot leak in.
func cliEnv(dir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return append(env, extra...)
}

type run struct {
	stdout, stderr string
	code           int
}

func runCLI(t *testing.T, bin string, env []string, args ...string) run {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := run{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("albctl %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("albctl %s: exit %d", strings.Join(args, " "), r.code)
	return r
}

func (r run) must(t *testing.T, code int, want string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stdout, want) {
		t.Fatalf("exit %d, want %d; stdout should contain %q\nstdout:\n%s\nstderr:\n%s", r.code, code, want, r.stdout, r.stderr)
	}
}

// TestCLIAgainstMoto is the journey of the issue, through the real binary: seed moto with
// the blog world, plan and apply the blog spec against it, snapshot it, and plan the same
// spec on the simulator over the snapshot: "No changes".
func TestCLIAgainstMoto(t *testing.T) {
	m := newMoto(t)
	bin := albctl(t)
	dir := t.TempDir()
	world, err := filepath.Abs(repoPath("examples/blog/world.json"))
	if err != nil {
		t.Fatal(err)
	}
	blog, err := filepath.Abs(repoPath("examples/blog"))
	if err != nil {
		t.Fatal(err)
	}
	// Seeding a local endpoint needs no credentials: albctl uses placeholders.
	noCreds := cliEnv(dir)
	creds := cliEnv(dir, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION="+motoRegion)
	ep := m.endpoint

	// One thing is there already: the VPC's default network ACL, which the world's copies.
	runCLI(t, bin, noCreds, "sim", "seed", "--endpoint", ep, world).must(t, 0, "resources created, 1 already there")
	runCLI(t, bin, noCreds, "sim", "seed", "--endpoint", ep, world).must(t, 0, ": 0 resources created")

	aws := []string{"--cloud", "aws", "--endpoint", ep}
	// A rehearsal against the account runs on a read-only snapshot: it prints what clients
	// would see, and the account is left as it was (the plan below still has every step).
	reh := runCLI(t, bin, creds, append([]string{"plan", "-rehearse"}, append(aws, blog)...)...)
	reh.must(t, 0, "Rehearsal on a copy of a snapshot of AWS account 123456789012, region ap-northeast-1, endpoint "+ep)
	reh.must(t, 0, "What clients see, by phase: web-alb -> web-tg")
	reh.must(t, 0, "The plan ran to the end in ")
	plan := runCLI(t, bin, creds, append([]string{"plan", "-detailed-exitcode"}, append(aws, blog)...)...)
	plan.must(t, 2, "AWS account 123456789012, region ap-northeast-1, endpoint "+ep)
	for _, step := range []string{"create_image", "launch_instance", "enable_stickiness", "register_target", "trim_zones"} {
		if !strings.Contains(plan.stdout, step) {
			t.Errorf("the plan against moto lacks a %s step:\n%s", step, plan.stdout)
		}
	}
	// Saved and applied: the plan records the target, and apply resolves its own from its
	// flags; without them it is refused before it talks to anything.
	changePlan := filepath.Join(dir, "change.plan")
	runCLI(t, bin, creds, append([]string{"plan", "-out", changePlan}, append(aws, blog)...)...).must(t, 0, "albctl apply --cloud aws --endpoint "+ep+" "+changePlan)
	if r := runCLI(t, bin, creds, "apply", changePlan); r.code != 1 || !strings.Contains(r.stderr, `cloud: the plan says "aws", this apply "sim"`) {
		t.Fatalf("apply of a plan for moto without the target flags: exit %d\n%s", r.code, r.stderr)
	}
	runCLI(t, bin, creds, append(append([]string{"apply"}, aws...), changePlan)...).must(t, 0, "The world now matches the spec.")
	runCLI(t, bin, creds, append([]string{"plan", "-detailed-exitcode"}, append(aws, blog)...)...).must(t, 0, "No changes")

	snap := filepath.Join(dir, "snapshot.json")
	wrote := runCLI(t, bin, noCreds, "sim", "snapshot", "--endpoint", ep, "--region", motoRegion, "-o", snap)
	wrote.must(t, 0, "Wrote "+snap)
	// The copy says what it assumed (docs/simulator.md, "Snapshot").
	wrote.must(t, 0, "The copy assumed or left out ")
	wrote.must(t, 0, "  - sessions web-tg: the account does not say where the app keeps sessions")
	if _, err := simulator.LoadWorld(snap); err != nil {
		t.Fatalf("the simulator does not load the snapshot: %v", err)
	}
	again := runCLI(t, bin, noCreds, "sim", "snapshot", "--endpoint", ep, "--region", motoRegion)
	saved, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again.stderr, "The copy assumed or left out ") {
		t.Errorf("sim snapshot to stdout does not say on stderr what the copy assumed:\n%s", again.stderr)
	}
	if again.code != 0 || again.stdout != string(saved) {
		t.Errorf("a second snapshot of the same account differs from the first (exit %d)\nstderr: %s", again.code, again.stderr)
	}
	runCLI(t, bin, noCreds, "plan", "-detailed-exitcode", "--world", snap, blog).must(t, 0, "No changes. The world matches the spec.")
}
