package backend

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/lock"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// worldFile writes the simulator's seed world to a file in a temporary directory.
func worldFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "world.json")
	if err := simulator.SeedWorld().Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// The simulator opens on the built-in world (nothing saved, no lock) or on a world file
// (saved back, a lock beside it), and says which in its header and identity.
func TestOpenSim(t *testing.T) {
	t.Parallel()
	o := &Opener{Net: Net{LookupIP: testkit.LocalhostOnly}}
	be, err := o.Open(context.Background(), Target{}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if be.Kind != "sim" || be.Identity != "sim:" || be.LockStore != nil || be.Clients != nil ||
		be.Header != "simulator, built-in seed world (changes are not saved; use --world FILE to keep them)" {
		t.Errorf("built-in world: %+v", be)
	}
	if err := be.Save(); err != nil {
		t.Errorf("saving the built-in world: %v", err)
	}
	path := worldFile(t)
	be, err = o.Open(context.Background(), Target{World: path}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := WorldIdentity(path)
	if be.Header != "simulator, world "+path || be.Identity != "sim:"+abs || be.Region != simulator.SeedWorld().Region {
		t.Errorf("world file: header %q identity %q region %q", be.Header, be.Identity, be.Region)
	}
	if fl, ok := be.LockStore.(lock.File); !ok || fl.Path != abs+".lock" {
		t.Errorf("lock store %v, want the file beside the world", be.LockStore)
	}
	w, err := be.Observe(context.Background(), &specs.Stack{})
	if err != nil || w.Region != be.Region {
		t.Errorf("observe: %v (region %q)", err, w.Region)
	}
}

// Faults from the command line are in the simulator while it runs; Save writes the world
// file's own faults back, never the command line's.
func TestFaultsAreNotSaved(t *testing.T) {
	t.Parallel()
	path := worldFile(t)
	faults := filepath.Join(t.TempDir(), "faults.json")
	if err := os.WriteFile(faults, []byte(`{"throttle": {"DescribeInstances": 2}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	o := &Opener{}
	be, err := o.Open(context.Background(), Target{World: path, Faults: faults}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := be.Sim.World().Faults.Throttle["DescribeInstances"]; got != 2 {
		t.Errorf("throttle in the running simulator: %d, want 2", got)
	}
	if !be.observeOneAtATime {
		t.Error("a throttling fault must make observe's calls one at a time")
	}
	if err := be.Save(); err != nil {
		t.Fatal(err)
	}
	w, err := simulator.LoadWorld(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Faults.Throttle) != 0 {
		t.Errorf("the command line's faults were saved: %+v", w.Faults)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("an apply that did nothing changed the world file")
	}
	if _, err := o.Open(context.Background(), Target{World: path, Faults: filepath.Join(t.TempDir(), "none.json")}, nil, false); err == nil || !strings.HasPrefix(err.Error(), "--faults: ") {
		t.Errorf("missing faults file: %v", err)
	}
}

// Apply takes the lock beside the world file; a second apply is refused while it is held,
// and ReleaseLocks gives it back.
func TestOpenForApplyTakesTheLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := worldFile(t)
	o := &Opener{Version: "test"}
	first, err := o.Open(ctx, Target{World: path, Lock: LockOptions{Plan: "saved plan x.plan"}}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := WorldIdentity(path)
	data, err := os.ReadFile(abs + ".lock")
	if err != nil || !strings.Contains(string(data), "saved plan x.plan") {
		t.Fatalf("lock file: %v\n%s", err, data)
	}
	if _, err := o.Open(ctx, Target{World: path}, nil, true); err == nil || !strings.Contains(err.Error(), "is held by") {
		t.Errorf("second apply: %v, want the lock held", err)
	}
	if _, err := o.Open(ctx, Target{World: path, Lock: LockOptions{Disabled: true}}, nil, true); err != nil {
		t.Errorf("-lock=false: %v", err)
	}
	if errs := first.ReleaseLocks(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, err := os.Stat(abs + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock file after release: %v", err)
	}
	again, err := o.Open(ctx, Target{World: path}, nil, true)
	if err != nil {
		t.Fatalf("apply after release: %v", err)
	}
	again.ReleaseLocks()
}

// What Open refuses before it opens anything.
func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	o := &Opener{Net: Net{LookupIP: testkit.LocalhostOnly}}
	for _, tc := range []struct {
		t     Target
		stack *specs.Stack
		want  string
	}{
		{Target{Cloud: "gcp"}, nil, `--cloud must be sim or aws, not "gcp"`},
		{Target{}, &specs.Stack{Cloud: specs.Cloud{Target: "azure"}}, `--cloud must be sim or aws, not "azure"`},
		{Target{Cloud: "aws", World: "w.json"}, nil, "--world is for the simulator"},
		{Target{RetryMode: "eager"}, nil, "--retry-mode: "},
		{Target{World: filepath.Join(t.TempDir(), "none.json")}, nil, "none.json"},
	} {
		if _, err := o.Open(context.Background(), tc.t, tc.stack, false); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.t, err, tc.want)
		}
	}
}

func TestRetryMode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode     string
		forApply bool
		want     string
	}{
		{"", false, "standard"}, {"", true, "adaptive"}, {"standard", true, "standard"}, {"adaptive", false, "adaptive"},
	} {
		if got, err := RetryMode(tc.mode, tc.forApply); err != nil || string(got) != tc.want {
			t.Errorf("RetryMode(%q, %v) = %q, %v; want %q", tc.mode, tc.forApply, got, err, tc.want)
		}
	}
}

// On AWS (here an endpoint on this machine that answers 500), Open hands out the clients it
// built and says where they go, credentials redacted; the caller's identity is unknown, so
// the header has no account.
func TestOpenAWS(t *testing.T) {
	testkit.ClearAWSEnv(t)
	srv, got := testkit.Listener(t)
	count := testkit.CountNet(nil)
	o := &Opener{Net: netOf(count)}
	ep := strings.Replace(srv.URL, "http://", "http://u:secret@", 1)
	be, err := o.Open(context.Background(), Target{Cloud: "aws", Endpoint: ep, MaxAttempts: 1}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	redacted := strings.Replace(srv.URL, "http://", "http://REDACTED@", 1)
	if be.Kind != "aws" || be.Header != "AWS, region ap-northeast-1, endpoint "+redacted || be.Identity != "aws::ap-northeast-1:"+redacted {
		t.Errorf("header %q identity %q", be.Header, be.Identity)
	}
	if be.Clients == nil || be.Clients.EC2 == nil || be.Clients.STS == nil || be.API.EC2 != be.Clients.EC2 {
		t.Errorf("clients %+v", be.Clients)
	}
	if got.Load() == 0 {
		t.Error("the caller-identity request did not reach the endpoint")
	}
	if _, _, out := count.Snapshot(); len(out) > 0 {
		t.Errorf("dialled %v", out)
	}
}
