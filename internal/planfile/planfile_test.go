package planfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/bench"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// fixture is a saved plan with something to do (a generated world and a stack that asks for
// two more instances), made from a spec directory and a var file in a temporary directory.
type fixture struct {
	dir, specDir, varFile string
	stack                 *specs.Stack
	world                 *cloud.World
	sp                    *Plan
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.specDir = filepath.Join(f.dir, "spec")
	f.varFile = filepath.Join(f.dir, "prod.albvars")
	if err := os.Mkdir(f.specDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"main.hcl": "# main\n", "vars.hcl": "# vars\n", ".hidden.hcl": "x", "notes.txt": "x"} {
		write(t, filepath.Join(f.specDir, name), content)
	}
	write(t, f.varFile, "app_version = \"1\"\n")
	sw, stack := bench.Generate(3, 7)
	f.stack = bench.More(stack, 2)
	sim := simulator.New(sw)
	var err error
	f.world, err = cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(f.stack))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(f.stack, f.world)
	if err != nil || p.Empty() {
		t.Fatalf("build: %v (empty: %v)", err, p == nil || p.Empty())
	}
	f.sp, err = New("v1.2.3", Inputs{Dir: f.specDir, Stack: f.stack, Vars: []string{"a=b"}, VarFiles: []string{f.varFile}}, f.world, p)
	if err != nil {
		t.Fatal(err)
	}
	f.sp.Target = Target{Kind: "sim", Identity: "sim:/w.json", Header: "simulator, world /w.json", World: "/w.json"}
	return f
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The file plan -out writes is read back whole by apply and show, private to its owner,
// and still valid once re-indented (the checksum covers the compact payload).
func TestWriteReadRoundTrip(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(f.dir, "change.plan")
	if err := Write(path, f.sp); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(f.sp, got); d != "" {
		t.Errorf("read back differs (-wrote +read):\n%s", d)
	}
	if names := []string{got.Spec.Files[0].Path, got.Spec.Files[1].Path}; len(got.Spec.Files) != 2 ||
		names[0] != filepath.Join(f.specDir, "main.hcl") || names[1] != filepath.Join(f.specDir, "vars.hcl") {
		t.Errorf("spec files %v, want main.hcl and vars.hcl only", got.Spec.Files)
	}
	data, _ := os.ReadFile(path)
	var flat bytes.Buffer
	if err := json.Compact(&flat, data); err != nil {
		t.Fatal(err)
	}
	write(t, path, flat.String())
	if _, err := Read(path); err != nil {
		t.Errorf("compact copy: %v", err)
	}
}

// Whatever is wrong with a file, Parse refuses it with a message that says what.
func TestParseRefuses(t *testing.T) {
	f := newFixture(t)
	reseal := func(edit func(sp *Plan)) []byte {
		sp := *f.sp
		sp.Spec.Files = append([]File(nil), sp.Spec.Files...)
		edit(&sp)
		data, err := Encode(&sp)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	good := reseal(func(*Plan) {})
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"edited without reseal", []byte(strings.Replace(string(good), "v1.2.3", "v1.2.4", 1)), "x.plan is corrupt: its checksum does not match"},
		{"truncated", good[:len(good)/2], "is not a saved albctl plan, or it is truncated"},
		{"format", reseal(func(sp *Plan) { sp.Format = "tfplan" }), `is not a saved albctl plan (format "tfplan")`},
		{"version", reseal(func(sp *Plan) { sp.FormatVersion = 2 }), "has plan format version 2; this albctl reads version 3"},
		{"no plan", reseal(func(sp *Plan) { sp.Plan = nil }), "has no plan or no world"},
		{"relative dir", reseal(func(sp *Plan) { sp.Spec.Dir = "spec" }), "names a relative path"},
		{"relative file", reseal(func(sp *Plan) { sp.Spec.Files[0].Path = "main.hcl" }), "names its files by absolute path"},
		{"long header", reseal(func(sp *Plan) { sp.Target.Header = strings.Repeat("h", 5000) }), "target.header is 5000 bytes long, more than any real one (4096)"},
		{"step graph", reseal(func(sp *Plan) {
			p := *sp.Plan
			p.Steps = append([]plan.Step(nil), p.Steps...)
			p.Steps[0].DependsOn = []string{"nowhere"}
			sp.Plan = &p
		}), `unknown step "nowhere"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.plan", tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want it to say %q", err, tc.want)
			}
		})
	}
	if _, err := Parse("x.plan", good); err != nil {
		t.Errorf("the unedited plan: %v", err)
	}
}

// A spec or var file that changed, went away or appeared makes the plan stale, before
// anything parses them.
func TestCheckFiles(t *testing.T) {
	tests := []struct {
		name string
		edit func(f *fixture)
		want string
	}{
		{"unchanged", func(*fixture) {}, ""},
		{"spec file changed", func(f *fixture) { write(t, filepath.Join(f.specDir, "main.hcl"), "# edited\n") }, "spec file " + "SPEC/main.hcl changed since the plan was made"},
		{"spec file gone", func(f *fixture) { os.Remove(filepath.Join(f.specDir, "vars.hcl")) }, "spec file SPEC/vars.hcl is gone"},
		{"spec file new", func(f *fixture) { write(t, filepath.Join(f.specDir, "more.hcl"), "") }, "spec file SPEC/more.hcl is new since the plan was made"},
		{"ignored file new", func(f *fixture) { write(t, filepath.Join(f.specDir, "#draft.hcl"), "") }, ""},
		{"var file changed", func(f *fixture) { write(t, f.varFile, "app_version = \"2\"\n") }, "var file DIR/prod.albvars changed"},
		{"var file gone", func(f *fixture) { os.Remove(f.varFile) }, "a var file cannot be read"},
		{"spec dir gone", func(f *fixture) { os.RemoveAll(f.specDir) }, "the spec in SPEC cannot be read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.edit(f)
			want := strings.NewReplacer("SPEC", f.specDir, "DIR", f.dir).Replace(tc.want)
			vars, err := f.sp.CheckFiles("x.plan")
			switch {
			case want == "" && err != nil:
				t.Fatal(err)
			case want == "" && (len(vars) != 1 || vars[0] != f.varFile):
				t.Errorf("var paths %v", vars)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Errorf("got %v, want it to say %q", err, want)
			}
		})
	}
}

// The other checks apply runs: version, spec, identity, world, steps.
func TestChecks(t *testing.T) {
	f := newFixture(t)
	sp := f.sp
	if err := sp.CheckVersion("x.plan", "v1.2.3"); err != nil {
		t.Error(err)
	}
	if err := sp.CheckVersion("x.plan", "v2"); err == nil || err.Error() != `plan x.plan was made by albctl "v1.2.3"; this is v2. Make a new plan` {
		t.Errorf("version: %v", err)
	}
	if err := sp.CheckSpec("x.plan", f.stack); err != nil {
		t.Error(err)
	}
	if err := sp.CheckSpec("x.plan", bench.More(f.stack, 1)); err == nil || !strings.Contains(err.Error(), "the spec in "+f.specDir+" changed") {
		t.Errorf("spec: %v", err)
	}
	if err := sp.CheckIdentity("x.plan", "sim:/w.json", "h"); err != nil {
		t.Error(err)
	}
	if err := sp.CheckIdentity("x.plan", "sim:/other.json", "simulator, world /other.json"); err == nil ||
		err.Error() != `plan x.plan was made for "simulator, world /w.json", but this apply talks to "simulator, world /other.json"; make a new plan for this target` {
		t.Errorf("identity: %v", err)
	}
	if err := sp.CheckWorld("x.plan", f.world); err != nil {
		t.Error(err)
	}
	again, _ := plan.Build(f.stack, f.world)
	if err := sp.CheckSteps("x.plan", again); err != nil {
		t.Error(err)
	}
	other, _ := plan.Build(bench.More(f.stack, 1), f.world)
	if err := sp.CheckSteps("x.plan", other); err == nil || !strings.Contains(err.Error(), "does not hold the steps albctl plans") {
		t.Errorf("steps: %v", err)
	}
}

// A world that changed since the plan was made gives a StaleError listing every change, and
// a message of a few lines; so does a world whose recorded fingerprint was forged.
func TestCheckWorldStale(t *testing.T) {
	f := newFixture(t)
	now := cloneWorld(t, f.world)
	now.Instances[0].State = "stopped"
	err := f.sp.CheckWorld("x.plan", now)
	var stale *StaleError
	if !errors.As(err, &stale) {
		t.Fatalf("got %v, want a StaleError", err)
	}
	id := now.Instances[0].ID
	want := []Change{{Path: "instances[" + id + "].state", Before: ptr(`"running"`), After: ptr(`"stopped"`)}}
	if d := cmp.Diff(want, stale.Changes); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	wantMsg := "stale plan x.plan: the world changed since the plan was made:\n  - instance " + id + `: state "running" -> "stopped"` + "\nMake a new plan: albctl never re-plans silently."
	if err.Error() != wantMsg {
		t.Errorf("message:\n%s\nwant:\n%s", err, wantMsg)
	}
	forged := *f.sp
	forged.WorldFingerprint = "sha256:00"
	if err := forged.CheckWorld("x.plan", f.world); !errors.As(err, &stale) || len(stale.Changes) != 0 {
		t.Errorf("forged fingerprint: %v", err)
	}
}

func ptr(s string) *string { return &s }

func cloneWorld(t *testing.T, w *cloud.World) *cloud.World {
	t.Helper()
	data, _ := json.Marshal(w)
	var out cloud.World
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// The recorded target is compared field by field, and the file's values are quoted in short.
func TestTargetDiff(t *testing.T) {
	here := Target{Kind: "aws", Region: "eu-west-1", Profile: "default"}
	if d := TargetDiff(here, here); len(d) != 0 {
		t.Errorf("same target: %v", d)
	}
	recorded := Target{Kind: "aws", Region: "us-east-1", Profile: "default", Endpoint: strings.Repeat("e", 5000)}
	got := TargetDiff(recorded, here)
	want := []string{`region: the plan says "us-east-1", this apply "eu-west-1"`, `endpoint: the plan says "` + strings.Repeat("e", 4096) + `… (5000 bytes in all)", this apply none`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	sp := &Plan{Target: recorded}
	if err := sp.CheckTarget("x.plan", here); err == nil || !strings.Contains(err.Error(), "was made for another target") {
		t.Errorf("CheckTarget: %v", err)
	}
	sp.Target.Header = "a\x1b[2Jb"
	if h := sp.RecordedHeader(); h != "a\uFFFD[2Jb" {
		t.Errorf("RecordedHeader %q", h)
	}
}

// endless is '{' and then white space for ever: a pipe that never ends.
type endless struct{ started bool }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	if !e.started && len(p) > 0 {
		p[0], e.started = '{', true
	}
	return len(p), nil
}

// A pipe has no size to look at: the read stops one byte past the limit, in bounded memory.
func TestReadBoundedPipe(t *testing.T) {
	var err error
	n := testkit.Allocated(func() { _, err = readBounded("pipe", &endless{}, 1<<20) })
	if err == nil || err.Error() != "pipe: byte 1048577: larger than the 1 MiB a saved albctl plan may have" {
		t.Errorf("endless pipe: %v", err)
	}
	if n > 8<<20 {
		t.Errorf("endless pipe: allocated %d bytes for a 1 MiB limit", n)
	}
	for _, tc := range []struct{ in, want string }{
		{"", "p is empty: not a saved albctl plan"},
		{"  x", `p: byte 3: 'x' where a saved albctl plan starts with '{'`},
		{strings.Repeat(" ", maxLeadingSpace+1) + "{}", `p: byte 4097: ' ' where a saved albctl plan starts with '{'`},
	} {
		if _, err := readBounded("p", strings.NewReader(tc.in), 1<<20); err == nil || err.Error() != tc.want {
			t.Errorf("%.20q: got %v, want %q", tc.in, err, tc.want)
		}
	}
}
