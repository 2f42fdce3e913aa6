package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// initRun is one albctl init against a world file, in-process.
type initRun struct {
	code           int
	stdout, stderr string
	spec           string // the file's content ("" when none was written)
	dir, world     string
}

func runInit(t *testing.T, w *simulator.World, args ...string) initRun {
	t.Helper()
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	if err := w.Save(world); err != nil {
		t.Fatalf("save the world: %v", err)
	}
	specDir := filepath.Join(dir, "spec")
	if err := os.Mkdir(specDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(specDir, "alb.hcl")
	var stdout, stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	code := m.Run(context.Background(), append([]string{"init", "--world", world, "-o", out}, args...))
	r := initRun{code: code, stdout: stdout.String(), stderr: stderr.String(), dir: specDir, world: world}
	if data, err := os.ReadFile(out); err == nil {
		r.spec = string(data)
	}
	return r
}

// planOf loads the spec init wrote (specs.Load, as plan does) and plans it on the world.
func (r initRun) planOf(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := r.tryPlan(t)
	if err != nil {
		t.Fatalf("plan the spec init wrote: %v\n%s", err, r.spec)
	}
	return p
}

// tryPlan plans the spec init wrote against its world.
func (r initRun) tryPlan(t *testing.T) (*plan.Plan, error) {
	t.Helper()
	stack, _, diags := specs.Load(r.dir, specs.Options{})
	if diags.HasErrors() {
		t.Fatalf("the spec init wrote does not load: %v\n%s", diags, r.spec)
	}
	be, err := backend.OpenSim(r.world)
	if err != nil {
		t.Fatal(err)
	}
	w, err := be.Observe(context.Background(), stack)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	return plan.Build(stack, w)
}

func stepIDs(p *plan.Plan) []string {
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	return ids
}

// unwrapComments joins wrapped comment lines, so a test can look for a sentence.
var wrappedComment = regexp.MustCompile(`\n *# +`)

func unwrapComments(spec string) string {
	return wrappedComment.ReplaceAllString(spec, " ")
}

func seedTG(w *simulator.World) *simulator.TargetGroup { return &w.TargetGroups[0] }

func webSG(w *simulator.World) *simulator.SecurityGroup {
	for i := range w.SecurityGroups {
		if w.SecurityGroups[i].ID == simulator.SeedWebSG {
			return &w.SecurityGroups[i]
		}
	}
	panic("no web-sg in the seed world")
}

// TestInitScenarios runs init on variations of the seed world: the spec it writes must say
// what it found, load, and plan the change the world needs — nothing more.
func TestInitScenarios(t *testing.T) {
	tests := []struct {
		name   string
		change func(w *simulator.World)
		source string
		want   []string // in the spec
		absent []string // not in the spec
		steps  []string // plan step IDs that must be there
		not    []string // plan step IDs that must not
	}{
		{
			name: "seed", source: "web",
			want: []string{
				`source       = "web"`, `zone "ap-northeast-1a" {`, `zone "ap-northeast-1d" {`,
				"stickiness is off on web-tg now",
				"type     = \"lb_cookie\"\n    duration = \"24h\"",
				"- ap-northeast-1c: security group sg-0a1b2c3d4e5f60010 admits no TCP 80 from 10.0.2.0/24",
				"instance profile, web-app (arn:aws:iam::123456789012:instance-profile/web-app)",
				`name      = "web-${var.app_version}"`, `zones = "targets"`, "plan trims ap-northeast-1c",
				`path                = "/health"`, `timeout             = "6s"`,
			},
			absent: []string{`zone "ap-northeast-1c"`, "subnet =", "\n  target = "},
			steps: []string{"create_image.web", "launch_instance.web.ap-northeast-1d.1", "enable_stickiness.web",
				"register_target.web.ap-northeast-1d.1", "trim_zones.web"},
		},
		{
			name: "app cookie stickiness already on", source: "web",
			change: func(w *simulator.World) {
				a := seedTG(w).Attributes
				a["stickiness.enabled"], a["stickiness.type"] = "true", "app_cookie"
				a["stickiness.app_cookie.cookie_name"], a["stickiness.app_cookie.duration_seconds"] = "SESSIONID", "43200"
			},
			want: []string{
				`stickiness is already on for web-tg (app_cookie "SESSIONID" for 12h)`,
				"type        = \"app_cookie\"\n    cookie_name = \"SESSIONID\"\n    duration    = \"12h\"",
			},
			absent: []string{"stickiness is off", "lb_cookie"},
			steps:  []string{"launch_instance.web.ap-northeast-1d.1", "trim_zones.web"},
			not:    []string{"enable_stickiness.web"},
		},
		{
			name: "lb_cookie stickiness on for 90 minutes", source: "i-0a1b2c3d4e5f60001",
			change: func(w *simulator.World) {
				a := seedTG(w).Attributes
				a["stickiness.enabled"], a["stickiness.lb_cookie.duration_seconds"] = "true", "5400"
			},
			want: []string{`duration = "90m"`, `source       = "web"`},
			not:  []string{"enable_stickiness.web"},
		},
		{
			name: "web-sg admits the load balancer's group: every zone reaches, 1c is first",
			change: func(w *simulator.World) {
				webSG(w).Ingress = &[]simulator.IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, SourceGroups: []string{simulator.SeedALBSG}}}
			},
			source: "web",
			want: []string{`zone "ap-northeast-1c" {`, "the source's security groups admit the load balancer's node in each",
				"plan trims ap-northeast-1d"},
			absent: []string{`zone "ap-northeast-1d"`, "Not chosen"},
			steps:  []string{"launch_instance.web.ap-northeast-1c.1", "trim_zones.web"},
		},
		{
			name: "no IAM instance profile", source: "web",
			change: func(w *simulator.World) {
				w.Instances[0].IAMProfileARN, w.Instances[0].IAMAssociation = "", ""
			},
			want:   []string{"the source has no IAM instance profile, so new members get none either", `iam_instance_profile = "inherit"`},
			absent: []string{"web-app"},
		},
		{
			name: "two subnets in 1d: the load balancer's, as the source is in the load balancer's", source: "web",
			change: func(w *simulator.World) {
				w.Subnets = append(w.Subnets, simulator.Subnet{ID: "subnet-0a1b2c3d4e5f61d02", VPC: simulator.SeedVPC, AZ: "ap-northeast-1d", CIDR: "10.0.4.0/24"})
			},
			want:  []string{`subnet = "subnet-0a1b2c3d4e5f61d01"`, "ap-northeast-1d has 2 subnets of vpc-0a1b2c3d4e5f60001: init names subnet-0a1b2c3d4e5f61d01 (web-public-1d), the load balancer's subnet there"},
			steps: []string{"launch_instance.web.ap-northeast-1d.1"},
		},
		{
			name: "a Name tag shared with another live instance: the ID", source: "i-0a1b2c3d4e5f60001",
			change: func(w *simulator.World) {
				twin := w.Instances[0]
				twin.ID, twin.Reservation, twin.IAMAssociation = "i-0a1b2c3d4e5f60099", "r-0a1b2c3d4e5f60099", ""
				twin.IAMProfileARN = ""
				w.Instances = append(w.Instances, twin)
			},
			want:  []string{`source       = "i-0a1b2c3d4e5f60001"`, `other live instances share the Name tag "web"`},
			steps: []string{"launch_instance.web.ap-northeast-1d.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := simulator.SeedWorld()
			if tt.change != nil {
				tt.change(w)
			}
			r := runInit(t, w, tt.source)
			if r.code != 0 {
				t.Fatalf("init exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			flat := unwrapComments(r.spec)
			for _, s := range tt.want {
				if !strings.Contains(flat, s) {
					t.Errorf("the spec lacks %q:\n%s", s, r.spec)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(flat, s) {
					t.Errorf("the spec has %q:\n%s", s, r.spec)
				}
			}
			ids := stepIDs(r.planOf(t))
			for _, id := range tt.steps {
				if !slices.Contains(ids, id) {
					t.Errorf("the plan lacks step %s: %v", id, ids)
				}
			}
			for _, id := range tt.not {
				if slices.Contains(ids, id) {
					t.Errorf("the plan has step %s, which the world does not need: %v", id, ids)
				}
			}
		})
	}
}

// TestInitRefuses covers the sources init must not write a spec for.
func TestInitRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(w *simulator.World)
		args   []string
		want   string
	}{
		{"not registered anywhere", func(w *simulator.World) { seedTG(w).Targets = nil }, []string{"web"},
			"i-0a1b2c3d4e5f60001 \"web\" is not a registered target of any target group behind an Application Load Balancer"},
		{"no candidates at all", func(w *simulator.World) { seedTG(w).Targets = nil }, nil,
			"no instance in ap-northeast-1 is a registered target of a target group behind an Application Load Balancer"},
		{"a Name tag two live instances share", func(w *simulator.World) {
			twin := w.Instances[0]
			twin.ID, twin.Reservation, twin.IAMAssociation = "i-0a1b2c3d4e5f60099", "r-0a1b2c3d4e5f60099", ""
			twin.IAMProfileARN = ""
			w.Instances = append(w.Instances, twin)
		}, []string{"web"}, `2 live instances have the Name tag "web": i-0a1b2c3d4e5f60001 (ap-northeast-1a), i-0a1b2c3d4e5f60099 (ap-northeast-1a). Give the source's instance ID instead`},
		{"a member albctl launched", func(w *simulator.World) {
			w.Instances[0].Tags["albctl:fleet"], w.Instances[0].Tags["albctl:stack"] = "web", "web-tg"
		}, []string{"i-0a1b2c3d4e5f60001"}, `i-0a1b2c3d4e5f60001 was launched by albctl (fleet "web" of target group web-tg): it is a member, not a source`},
		{"a terminated source", func(w *simulator.World) { w.Instances[0].State = "terminated"; seedTG(w).Targets = nil }, []string{"i-0a1b2c3d4e5f60001"},
			`no live instance has the ID or exact Name tag "i-0a1b2c3d4e5f60001"`},
		{"-target-group that does not hold the source", nil, []string{"-target-group", "api-tg", "web"},
			"-target-group api-tg: i-0a1b2c3d4e5f60001 is not registered in it; it is in web-tg"},
		{"the load balancer has no other zone", func(w *simulator.World) {
			w.LoadBalancers[0].Subnets = w.LoadBalancers[0].Subnets[:1]
		}, []string{"web"}, "no second zone for i-0a1b2c3d4e5f60001: the load balancer web-alb has no other zone a member could go to"},
		// Zones whose node could reach no member: plan would refuse the spec, so init
		// writes none (docs/init.md, "The second zone").
		{"web-sg admits nothing", func(w *simulator.World) { webSG(w).Ingress = &[]simulator.IngressRule{} }, []string{"web"},
			"no second zone for i-0a1b2c3d4e5f60001 that plan would accept: ap-northeast-1c: security group sg-0a1b2c3d4e5f60010 admits no TCP 80 from 10.0.2.0/24"},
		{"1d does not offer t3.small, and 1c is not admitted", func(w *simulator.World) {
			w.InstanceTypeOfferings = map[string][]string{"ap-northeast-1d": {"m5.large"}}
		}, []string{"web"}, "so its load balancer node could not reach a member; ap-northeast-1d: t3.small is not offered there. Let the source's security groups admit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := simulator.SeedWorld()
			if tt.change != nil {
				tt.change(w)
			}
			r := runInit(t, w, tt.args...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, want 1 with %q\nstderr:\n%s", r.code, tt.want, r.stderr)
			}
			if r.spec != "" {
				t.Errorf("init wrote a spec although it failed:\n%s", r.spec)
			}
		})
	}
}

// TestInitDeterministic: the same world gives the same bytes.
func TestInitDeterministic(t *testing.T) {
	a := runInit(t, simulator.SeedWorld(), "web")
	b := runInit(t, simulator.SeedWorld(), "web")
	// The world file's path is in the spec's first comment; it differs between temp dirs.
	strip := func(s, dir string) string { return strings.ReplaceAll(s, filepath.Dir(dir), "DIR") }
	if a.code != 0 || strip(a.spec, a.dir) != strip(b.spec, b.dir) {
		t.Errorf("two inits of the same world differ (exit %d):\n%s\n----\n%s", a.code, a.spec, b.spec)
	}
}

// TestInitCandidatesLeaveOutMembers: without SOURCE, the list names sources only — not the
// instances albctl launched (tagged albctl:fleet), which are registered targets too.
func TestInitCandidatesLeaveOutMembers(t *testing.T) {
	w := simulator.SeedWorld()
	member := w.Instances[0]
	member.ID, member.Reservation, member.IAMAssociation = "i-0a1b2c3d4e5f60077", "r-0a1b2c3d4e5f60077", ""
	member.AZ, member.Subnet = "ap-northeast-1d", simulator.SeedSubnet1d
	member.Tags = map[string]string{"Name": "web-1d-1", "albctl:fleet": "web", "albctl:stack": "web-tg"}
	w.Instances = append(w.Instances, member)
	seedTG(w).Targets = append(seedTG(w).Targets, simulator.Target{ID: member.ID, Port: 80, RegisteredAt: seedTG(w).Targets[0].RegisteredAt})
	r := runInit(t, w)
	if r.code != 1 || !strings.Contains(r.stderr, "  1.  i-0a1b2c3d4e5f60001  \"web\"") {
		t.Fatalf("exit %d, want 1 listing the source\nstderr:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, member.ID) {
		t.Errorf("the candidates include %s, a member albctl launched:\n%s", member.ID, r.stderr)
	}
}

// TestWriteNewRefusesExisting: the write itself refuses a file that appeared after init's
// first check (O_EXCL), and leaves it as it was.
func TestWriteNewRefusesExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alb.hcl")
	if err := os.WriteFile(path, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeNew(path, []byte("init's\n"))
	if err == nil || !strings.Contains(err.Error(), path+" already exists: init never overwrites a file") {
		t.Errorf("writeNew over an existing file: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "mine\n" {
		t.Errorf("the file was changed to %q", data)
	}
	fresh := filepath.Join(filepath.Dir(path), "new.hcl")
	if err := writeNew(fresh, []byte("init's\n")); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(fresh); string(data) != "init's\n" {
		t.Errorf("a new file holds %q", data)
	}
}

// maxLabel is the longest label init derives (docs/init.md; internal/discover holds the bound).
const maxLabel = 64

// TestInitAnyNameTag: init takes SOURCE as an exact Name tag — a decoy whose name a wildcard
// reading would also match is never taken — and writes a spec that loads, validates and plans
// whatever the tag holds: 200 or 256 characters, quotes, HCL template sequences, wildcards.
// The image name it derives stays within AWS's 3-128 characters (issue 17).
func TestInitAnyNameTag(t *testing.T) {
	amiName := regexp.MustCompile(`^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$`)
	for _, name := range []string{
		strings.Repeat("a", 200),
		strings.Repeat("é", 128), // 256 bytes, AWS's longest tag value
		`we"b ${var.x} %{ if true }x%{ endif } \n`,
		`"`,
		`web*?`,
		`\*`,
		"127 characters " + strings.Repeat("x", 112),
	} {
		t.Run(fmt.Sprintf("%.20q", name), func(t *testing.T) {
			w := simulator.SeedWorld()
			w.Instances[0].Tags["Name"] = name
			decoy := w.Instances[0]
			decoy.ID, decoy.Reservation, decoy.IAMAssociation, decoy.IAMProfileARN = "i-0a1b2c3d4e5f60098", "r-0a1b2c3d4e5f60098", "", ""
			decoy.Tags = map[string]string{"Name": name + "zz"}
			w.Instances = append(w.Instances, decoy)
			r := runInit(t, w, name)
			if r.code != 0 {
				t.Fatalf("init exit %d\nstderr:\n%s", r.code, r.stderr)
			}
			stack, _, diags := specs.Load(r.dir, specs.Options{})
			if diags.HasErrors() {
				t.Fatalf("the spec does not load: %v\n%s", diags, r.spec)
			}
			f := stack.Fleets[0]
			if f.Source != name || f.SourceIsPattern {
				t.Errorf("source = %q (pattern %v), want exactly %q:\n%s", f.Source, f.SourceIsPattern, name, r.spec)
			}
			if !amiName.MatchString(f.Image.Name) || len(f.Label) > maxLabel {
				t.Errorf("image name %q (label %q) is not a valid AMI name within limits", f.Image.Name, f.Label)
			}
			var out, errb bytes.Buffer
			if code := (&Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}).Run(context.Background(), []string{"validate", r.dir}); code != 0 {
				t.Errorf("validate: exit %d\n%s", code, errb.String())
			}
			if ids := stepIDs(r.planOf(t)); !slices.Contains(ids, "create_image."+f.Label) {
				t.Errorf("the plan does not image the source: %v", ids)
			}
		})
	}
}
