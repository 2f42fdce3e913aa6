package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/planfile"
	"github.com/albctl/albctl/internal/testkit"
)

// run runs albctl in-process in dir and returns its exit code, stdout and stderr.
func run(t *testing.T, ctx context.Context, dir string, stdout *syncBuffer, args ...string) (int, string, string) {
	t.Helper()
	if stdout == nil {
		stdout = &syncBuffer{}
	}
	var stderr syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: &stderr, Env: os.Environ()}
	code := m.Run(ctx, args)
	return code, stdout.String(), stderr.String()
}

// syncBuffer is a bytes.Buffer safe for a concurrent reader; onWrite, when set, sees every
// write (to pause an apply at a chosen point).
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	onWrite func(p []byte)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	if s.onWrite != nil {
		s.onWrite(p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stage copies the blog example into a temporary directory: spec in DIR/blog, world in
// DIR/world.json.
func stage(t *testing.T) (dir, spec, world string) {
	t.Helper()
	dir = t.TempDir()
	spec = filepath.Join(dir, "blog")
	if err := copyDir(filepath.Join("..", "..", "examples", "blog"), spec); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(spec, "world.json"))
	world = filepath.Join(dir, "world.json")
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "blog", "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(world, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, spec, world
}

// reseal rewrites a saved plan's payload with edit and recomputes its checksum, as anyone
// can: the checksum is no signature.
func reseal(t *testing.T, path string, edit func(sp *planfile.Plan)) {
	t.Helper()
	sp, err := planfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(sp)
	data, err := planfile.Encode(sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func stepOf(p *plan.Plan, k plan.Kind) *plan.Step {
	for i := range p.Steps {
		if p.Steps[i].Kind == k {
			return &p.Steps[i]
		}
	}
	return nil
}

// A resealed plan is refused whatever was edited, and the world file stays byte-identical.
func TestTamperedSavedPlansAreRefused(t *testing.T) {
	ctx := context.Background()
	dir, spec, world := stage(t)
	varFile := filepath.Join(dir, "prod.albvars")
	os.WriteFile(varFile, []byte("app_version = \"2023-05-14\"\n"), 0o600)
	secret := filepath.Join(dir, "secret.txt")
	os.WriteFile(secret, []byte("app_version = \"TOP SECRET LINE\"\n"), 0o600)
	source := "i-0a1b2c3d4e5f60001"

	tests := []struct {
		name string
		edit func(sp *planfile.Plan)
		want string
	}{
		{"edited instance type", func(sp *planfile.Plan) { stepOf(sp.Plan, plan.LaunchInstance).Launch.InstanceType = "p5.48xlarge" }, "does not hold the steps albctl plans"},
		{"terminate the source", func(sp *planfile.Plan) {
			sp.Plan.Steps = append(sp.Plan.Steps, plan.Step{ID: "terminate_instance.x", Kind: plan.TerminateInstance, Terminate: &plan.TerminateParams{InstanceID: source}})
		}, "does not hold the steps albctl plans"},
		{"cycle", func(sp *planfile.Plan) {
			s := &sp.Plan.Steps[0]
			s.DependsOn = append(s.DependsOn, sp.Plan.Steps[len(sp.Plan.Steps)-1].ID)
		}, "dependency cycle"},
		{"dangling dependency", func(sp *planfile.Plan) { sp.Plan.Steps[0].DependsOn = []string{"nowhere"} }, `unknown step "nowhere"`},
		{"duplicate IDs", func(sp *planfile.Plan) { sp.Plan.Steps[1].ID = sp.Plan.Steps[0].ID }, "duplicate step ID"},
		{"missing parameters", func(sp *planfile.Plan) { stepOf(sp.Plan, plan.LaunchInstance).Launch = nil }, `needs its "launch" parameters`},
		{"edited var_files", func(sp *planfile.Plan) { sp.Spec.VarFiles[0].Path = secret }, "var file " + secret + " changed"},
		{"var file is /dev/zero", func(sp *planfile.Plan) { sp.Spec.VarFiles[0].Path = "/dev/zero" }, "/dev/zero: byte 67108865: larger than the 64 MiB albctl hashes"},
		{"relative world path", func(sp *planfile.Plan) { sp.Target.World = "world.json" }, "relative path"},
		{"edited world and fingerprint", func(sp *planfile.Plan) {
			sp.World.Instances = sp.World.Instances[:0]
			sp.WorldFingerprint, _ = planfile.Hash(sp.World)
		}, "stale plan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "change.plan")
			if code, _, stderr := run(t, ctx, dir, nil, "plan", "-out", p, "-var-file", varFile, "--world", world, spec); code != 0 {
				t.Fatalf("plan: %s", stderr)
			}
			before, _ := os.ReadFile(world)
			reseal(t, p, tc.edit)
			code, _, stderr := run(t, ctx, dir, nil, "apply", "--world", world, p)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant it to say %q", code, stderr, tc.want)
			}
			if strings.Contains(stderr, "TOP SECRET") {
				t.Errorf("apply printed another file's lines:\n%s", stderr)
			}
			after, _ := os.ReadFile(world)
			if !bytes.Equal(before, after) {
				t.Errorf("the world file changed")
			}
			if _, err := os.Stat(world + ".lock"); err == nil {
				t.Errorf("the lock was left behind")
			}
		})
	}

	// The untouched plan applies from another directory: its paths are absolute.
	p := filepath.Join(dir, "good.plan")
	if code, _, stderr := run(t, ctx, dir, nil, "plan", "-out", p, "--world", world, spec); code != 0 {
		t.Fatal(stderr)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode %v, want 0600", fi.Mode().Perm())
	}
	t.Chdir(t.TempDir())
	if code, stdout, stderr := run(t, ctx, dir, nil, "apply", "--world", world, p); code != 0 || !strings.Contains(stdout, "The world now matches the spec.") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// A resealed plan cannot choose where apply sends requests: whatever endpoint, profile,
// region, cloud or world it names, apply compares it with what the operator's flags and
// configuration name and refuses before any DNS query or connection. The operator's real
// credentials are in the environment, and a listener on this machine, named only by the
// file, counts what reaches it.
func TestResealedTargetIsRefusedBeforeAnyLookup(t *testing.T) {
	testkit.ClearAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAOPERATORKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "operator-secret")
	t.Setenv("AWS_SESSION_TOKEN", "operator-token")
	ctx := context.Background()
	dir, spec, world := stage(t)
	srv, reached := testkit.Listener(t)
	elsewhere := filepath.Join(dir, "elsewhere.json")
	copyFile(t, world, elsewhere)
	aws := func(endpoint, region, profile string) func(*planfile.Target) {
		return func(st *planfile.Target) {
			*st = planfile.Target{Kind: "aws", Identity: st.Identity, Header: st.Header, Region: region, Profile: profile, Endpoint: endpoint}
		}
	}
	tests := []struct {
		name  string
		edit  func(*planfile.Target)
		flags []string
		want  string
	}{
		{"loopback listener, sim flags", aws(srv.URL, "ap-northeast-1", "default"), []string{"--world", world}, `cloud: the plan says "aws", this apply "sim"`},
		{"loopback listener, aws flags", aws(srv.URL, "ap-northeast-1", "default"), []string{"--cloud", "aws"}, `endpoint: the plan says "` + srv.URL + `", this apply none`},
		{"remote name", aws("https://attacker.example.net", "ap-northeast-1", "default"), []string{"--cloud", "aws"}, `endpoint: the plan says "https://attacker.example.net"`},
		{"profile", aws("", "ap-northeast-1", "attacker"), []string{"--cloud", "aws"}, `profile: the plan says "attacker", this apply "default"`},
		{"region", aws("", "us-east-1", "default"), []string{"--cloud", "aws"}, `region: the plan says "us-east-1", this apply "ap-northeast-1"`},
		{"world", func(st *planfile.Target) { st.World = elsewhere }, []string{"--world", world}, `world: the plan says "` + elsewhere + `"`},
		{"world, no flags", func(st *planfile.Target) {}, nil, `world: the plan says "` + world + `", this apply none`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "forged.plan")
			if code, _, stderr := run(t, ctx, dir, nil, "plan", "-out", p, "--world", world, spec); code != 0 {
				t.Fatalf("plan: %s", stderr)
			}
			reseal(t, p, func(sp *planfile.Plan) { tc.edit(&sp.Target) })
			before, _ := os.ReadFile(world)
			count, was := testkit.CountNet(nil), reached.Load()
			var out, errb syncBuffer
			m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: os.Environ(),
				Net: backend.Net{LookupIP: count.LookupIP, DialHook: count.DialHook}}
			code := m.Run(ctx, append(append([]string{"apply"}, tc.flags...), p))
			stdout, stderr := out.String(), errb.String()
			if code != 1 || !strings.Contains(stderr, "was made for another target") || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant it to say %q", code, stderr, tc.want)
			}
			if lookups, dials, _ := count.Snapshot(); len(lookups)+len(dials) > 0 || reached.Load() != was {
				t.Errorf("before refusing, apply looked up %v, dialled %v, reached the listener %d times", lookups, dials, reached.Load()-was)
			}
			if strings.Contains(stdout+stderr, "AKIAOPERATORKEY") {
				t.Error("the access key ID was printed")
			}
			if after, _ := os.ReadFile(world); !bytes.Equal(before, after) {
				t.Error("the world file changed")
			}
			if _, err := os.Stat(world + ".lock"); err == nil {
				t.Error("a lock was taken")
			}
		})
	}
}

// What is not a plan is refused in bounded memory, with a positioned error naming the limit:
// /dev/zero and a sparse 1 GB file (made with Truncate: nothing is written); the endless
// pipe is internal/planfile's test.
func TestSavedPlanReadIsBounded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sparse := filepath.Join(dir, "big.plan")
	if err := os.WriteFile(sparse, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, 1<<30); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"/dev/zero", `/dev/zero: byte 1: '\x00' where a saved albctl plan starts with '{'`},
		{sparse, sparse + ": byte 67108865: larger than the 64 MiB a saved albctl plan may have (the file has 1073741824 bytes)"},
	} {
		if _, err := os.Stat(tc.path); err != nil {
			t.Skipf("%s: %v", tc.path, err)
		}
		for _, cmd := range []string{"apply", "show"} {
			var code int
			var stderr string
			n := testkit.Allocated(func() { code, _, stderr = run(t, ctx, dir, nil, cmd, tc.path) })
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("%s %s: exit %d, stderr %q; want exit 1 and %q", cmd, tc.path, code, stderr, tc.want)
			}
			if n > 8<<20 {
				t.Errorf("%s %s allocated %d bytes", cmd, tc.path, n)
			}
		}
	}

}

// A field hundreds of megabytes long, in a plan with a valid checksum, is quoted in a short
// excerpt by whatever refuses it, never whole.
func TestHugeFieldsAreQuotedInShort(t *testing.T) {
	ctx := context.Background()
	dir, spec, world := stage(t)
	huge := strings.Repeat("A", 2<<20)
	raw := func(edit func(payload map[string]json.RawMessage)) func(path string) {
		return func(path string) {
			sp, err := planfile.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(sp)
			var m map[string]json.RawMessage
			json.Unmarshal(b, &m)
			edit(m)
			payload, _ := json.Marshal(m)
			data, _ := planfile.Seal(payload)
			os.WriteFile(path, data, 0o600)
		}
	}
	edit := func(f func(sp *planfile.Plan)) func(path string) { return func(path string) { reseal(t, path, f) } }
	for _, tc := range []struct {
		name string
		edit func(path string)
		want string
	}{
		{"format", edit(func(sp *planfile.Plan) { sp.Format = huge }), "is not a saved albctl plan (format \"AAAA"},
		{"unknown field", raw(func(m map[string]json.RawMessage) { m[huge] = json.RawMessage("1") }), "unknown field"},
		{"step ID", edit(func(sp *planfile.Plan) { sp.Plan.Steps[0].ID, sp.Plan.Steps[1].ID = huge, huge }), "duplicate step ID"},
		{"spec dir", edit(func(sp *planfile.Plan) { sp.Spec.Dir = "/" + huge }), "spec.dir is 2097153 bytes long"},
		{"header", edit(func(sp *planfile.Plan) { sp.Target.Header = huge }), "target.header is 2097152 bytes long"},
		{"version", edit(func(sp *planfile.Plan) { sp.AlbctlVersion = huge }), "albctl_version is 2097152 bytes long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "huge.plan")
			if code, _, stderr := run(t, ctx, dir, nil, "plan", "-out", p, "--world", world, spec); code != 0 {
				t.Fatalf("plan: %s", stderr)
			}
			tc.edit(p)
			for _, cmd := range []string{"apply", "show"} {
				code, stdout, stderr := run(t, ctx, dir, nil, cmd, "--world", world, p)
				if cmd == "show" {
					code, stdout, stderr = run(t, ctx, dir, nil, cmd, p)
				}
				if code != 1 || !strings.Contains(stderr, tc.want) {
					t.Errorf("%s: exit %d, stderr %.300q; want %q", cmd, code, stderr, tc.want)
				}
				if len(stdout)+len(stderr) > 2000 {
					t.Errorf("%s printed %d bytes", cmd, len(stdout)+len(stderr))
				}
			}
		})
	}
}
