package specs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// stickyTG is a target group with stickiness, so any fleet count passes pitfall 3.
const stickyTG = `target_group "web" {
  name = "web-tg"
  stickiness { type = "lb_cookie" }
}
`

// fleet returns stickyTG followed by a fleet "web" whose body is body; the fleet's first
// body line is line 6.
func fleet(body string) string {
	return stickyTG + "fleet \"web\" {\n" + body + "\n}\n"
}

// okBody is a valid fleet body.
const okBody = `  source       = "web"
  target_group = target_group.web
  image { name = "web-1" }
  zone "ap-northeast-1a" { count = 1 }
  zone "ap-northeast-1c" { count = 1 }`

func TestFleet(t *testing.T) {
	t.Parallel()
	src := `variable "v" { default = "7" }
cloud { region = "ap-northeast-1" }
` + fleet(`  source               = "i-0123456789abcdef0"
  target_group         = target_group.web
  sessions             = "shared"
  iam_instance_profile = "arn:aws:iam::123456789012:instance-profile/app/web"
  image {
    name      = "web (v${var.v}) [x]/@'_."
    version   = var.v
    no_reboot = true
  }
  zone "ap-northeast-1d" {
    count  = 2
    subnet = "subnet-0123456789abcdef0"
  }
  zone "ap-northeast-1a" { count = 0 }
  zone "ap-northeast-1c" { count = 1 }`)
	f := mustLoad(t, src, Options{}).Fleets[0]
	if f.Source != "i-0123456789abcdef0" || f.TargetGroup != "web" || f.Sessions != "shared" ||
		f.IAMInstanceProfile != "arn:aws:iam::123456789012:instance-profile/app/web" {
		t.Errorf("Fleet = %+v", f)
	}
	if f.Image.Name != "web (v7) [x]/@'_." || f.Image.Version != "7" || !f.Image.NoReboot {
		t.Errorf("Image = %+v", f.Image)
	}
	var zones []string
	for _, z := range f.Zones {
		zones = append(zones, fmt.Sprintf("%s=%d%s", z.AZ, z.Count, z.Subnet))
	}
	if got := strings.Join(zones, " "); got != "ap-northeast-1a=0 ap-northeast-1c=1 ap-northeast-1d=2subnet-0123456789abcdef0" {
		t.Errorf("Zones = %s", got)
	}
	if f.SessionsRange.Start.Line != 10 || f.TargetGroupRange.Start.Line != 9 || f.SourceRange.Start.Line != 8 {
		t.Errorf("ranges: sessions %v, target_group %v, source %v", f.SessionsRange, f.TargetGroupRange, f.SourceRange)
	}
}

func TestFleetDefaultsAndReferenceForms(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{`target_group.web`, `"web"`, `target_group["web"]`, `local.tg`} {
		t.Run(ref, func(t *testing.T) {
			src := "locals { tg = \"web\" }\n" + fleet(strings.Replace(okBody, "target_group.web", ref, 1))
			f := mustLoad(t, src, Options{}).Fleets[0]
			if f.TargetGroup != "web" || f.Sessions != "local" || f.IAMInstanceProfile != "inherit" || f.Image.NoReboot {
				t.Errorf("Fleet = %+v", f)
			}
		})
	}
}

func TestFleetUsesTargetGroupAttributes(t *testing.T) {
	t.Parallel()
	src := fleet(strings.Replace(okBody, `name = "web-1"`, `name = "${target_group.web.name}-${target_group.web.port}"`, 1))
	if got := mustLoad(t, src, Options{}).Fleets[0].Image.Name; got != "web-tg-80" {
		t.Errorf("image name = %q", got)
	}
}

// TestFleetSourcePattern: source_pattern decodes to the pattern, marked as one; source is
// never a pattern, whatever characters it holds.
func TestFleetSourcePattern(t *testing.T) {
	t.Parallel()
	f := mustLoad(t, fleet(strings.Replace(okBody, `source       = "web"`, `source_pattern = "web-*-1?"`, 1)), Options{}).Fleets[0]
	if f.Source != "web-*-1?" || !f.SourceIsPattern || f.SourceRange.Start.Line != 6 {
		t.Errorf("source_pattern: Source %q, SourceIsPattern %v, range %v", f.Source, f.SourceIsPattern, f.SourceRange)
	}
	// A backslash in HCL is written twice: the pattern is web-\*, the literal "web-*".
	f = mustLoad(t, fleet(strings.Replace(okBody, `source       = "web"`, `source_pattern = "web-\\*"`, 1)), Options{}).Fleets[0]
	if f.Source != `web-\*` || !f.SourceIsPattern {
		t.Errorf("escaped source_pattern: Source %q", f.Source)
	}
	f = mustLoad(t, fleet(strings.Replace(okBody, `"web"`, `"web-*"`, 1)), Options{}).Fleets[0]
	if f.Source != "web-*" || f.SourceIsPattern {
		t.Errorf("source: Source %q, SourceIsPattern %v", f.Source, f.SourceIsPattern)
	}
}

func TestFleetSourceAndProfile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		source, profile string
		ok              bool
	}{
		{"i-01234567", "inherit", true},
		{"i-0123456789abcdef0", "web-role+x=,.@_", true},
		{"blog server", "arn:aws-cn:iam::123456789012:instance-profile/web", true},
		{"i-0123", "inherit", false},
		{"i-0123456789ABCDEF0", "inherit", false},
		{"", "inherit", false},
		{"web", "has space", false},
		{"web", "arn:aws:iam::123:instance-profile/web", false},
		{"web", "arn:aws:iam::123456789012:role/web", false},
	} {
		body := strings.Replace(okBody, `"web"`, fmt.Sprintf("%q\n  iam_instance_profile = %q", tc.source, tc.profile), 1)
		_, _, diags := Load(writeFiles(t, map[string]string{"spec.hcl": fleet(body)}), Options{})
		if diags.HasErrors() == tc.ok {
			t.Errorf("source %q, profile %q: diagnostics:\n%s", tc.source, tc.profile, formatDiags(diags))
		}
	}
}

func TestFleetErrors(t *testing.T) {
	t.Parallel()
	twoTargets := "  zone \"ap-northeast-1a\" { count = 1 }\n  zone \"ap-northeast-1c\" { count = 1 }"
	runBadCases(t, []badCase{
		{
			"unknown target group", fleet(strings.Replace(okBody, "target_group.web", "target_group.nope", 1)), Options{},
			[]string{"bad.hcl:7:18:", `Reference to undeclared target group; fleet "web" refers to target_group.nope, which is not declared`},
		},
		{
			"unknown target group label string", fleet(strings.Replace(okBody, "target_group.web", `"nope"`, 1)), Options{},
			[]string{"bad.hcl:7:18:", "Reference to undeclared target group"},
		},
		{
			"target group attribute", fleet(strings.Replace(okBody, "target_group.web", "target_group.web.name", 1)), Options{},
			[]string{"bad.hcl:7:18:", "Invalid target group reference"},
		},
		{
			"load balancer as target group", "load_balancer \"web\" {\n  name  = \"a\"\n  zones = \"targets\"\n}\n" + fleet(strings.Replace(okBody, "target_group.web", "load_balancer.web", 1)), Options{},
			[]string{"bad.hcl:11:18:", "Incorrect attribute value type"},
		},
		{"missing source", fleet(strings.Replace(okBody, `source       = "web"`, "", 1)), Options{}, []string{"bad.hcl:5:1:", "Missing fleet source", "source_pattern"}},
		{"source and source_pattern", fleet(okBody + "\n  source_pattern = \"web-*\""), Options{}, []string{"bad.hcl:11:3:", "Conflicting fleet source"}},
		{"source_pattern of wildcards only", fleet(strings.Replace(okBody, `source       = "web"`, `source_pattern = "*?*"`, 1)), Options{}, []string{"bad.hcl:6:20:", "Invalid fleet source_pattern", `"*?*" matches every named instance`}},
		{"source_pattern too long", fleet(strings.Replace(okBody, `source       = "web"`, `source_pattern = "`+strings.Repeat("w", 513)+`"`, 1)), Options{}, []string{"bad.hcl:6:20:", "Invalid fleet source_pattern", "513 characters"}},
		{"long bad source quoted in part", fleet(strings.Replace(okBody, `"web"`, `"i-`+strings.Repeat("z", 200)+`"`, 1)), Options{}, []string{"bad.hcl:6:18:", `"i-zzzzz`, "… (202 bytes in all) begins with"}},
		{"empty source", fleet(strings.Replace(okBody, `"web"`, `""`, 1)), Options{}, []string{"bad.hcl:6:18:", "Invalid fleet source"}},
		{"bad instance id", fleet(strings.Replace(okBody, `"web"`, `"i-12345"`, 1)), Options{}, []string{"bad.hcl:6:18:", "Invalid fleet source", "not an instance ID"}},
		{"sessions", fleet(okBody + "\n  sessions = \"redis\""), Options{}, []string{"bad.hcl:11:14:", "Invalid sessions value"}},
		{"profile", fleet(okBody + "\n  iam_instance_profile = \"a b\""), Options{}, []string{"bad.hcl:11:26:", "Invalid IAM instance profile"}},
		{"missing image", fleet(strings.Replace(okBody, `image { name = "web-1" }`, "", 1)), Options{}, []string{"bad.hcl:5:1:", "Missing image block"}},
		{"two images", fleet(okBody + "\n  image { name = \"web-2\" }"), Options{}, []string{"bad.hcl:11:3:", "Duplicate image block"}},
		{"image name short", fleet(strings.Replace(okBody, `"web-1"`, `"ab"`, 1)), Options{}, []string{"bad.hcl:8:18:", "Invalid image name"}},
		{"image name chars", fleet(strings.Replace(okBody, `"web-1"`, `"web:1"`, 1)), Options{}, []string{"bad.hcl:8:18:", "Invalid image name"}},
		{"image no_reboot type", fleet(strings.Replace(okBody, `image { name = "web-1" }`, "image {\n    name      = \"web-1\"\n    no_reboot = \"maybe\"\n  }", 1)), Options{}, []string{"bad.hcl:10:17:", "Incorrect attribute value type", "a bool is required"}},
		{"image unknown attribute", fleet(strings.Replace(okBody, `image { name = "web-1" }`, "image {\n    name = \"web-1\"\n    ami  = \"ami-1\"\n  }", 1)), Options{}, []string{"bad.hcl:10:5:", "Unsupported argument", `"ami"`}},
		{"no zones", fleet(strings.Replace(okBody, twoTargets, "", 1)), Options{}, []string{"bad.hcl:5:1:", "Missing zone block"}},
		{"unknown AZ name", fleet(strings.Replace(okBody, `"ap-northeast-1c"`, `"tokyo-1c"`, 1)), Options{}, []string{"bad.hcl:10:8:", "Invalid Availability Zone", "unknown AZ name"}},
		{"AZ ID is not a name", fleet(strings.Replace(okBody, `"ap-northeast-1c"`, `"apne1-az1"`, 1)), Options{}, []string{"bad.hcl:10:8:", "unknown AZ name"}},
		{
			"AZ outside region", "cloud {\n  region = \"ap-northeast-1\"\n}\n" + fleet(strings.Replace(okBody, `"ap-northeast-1c"`, `"us-east-1a"`, 1)), Options{},
			[]string{"bad.hcl:13:8:", `Availability Zone "us-east-1a" is not in region ap-northeast-1`},
		},
		{"duplicate zone", fleet(okBody + "\n  zone \"ap-northeast-1a\" { count = 2 }"), Options{}, []string{"bad.hcl:11:8:", "Duplicate zone block"}},
		{"negative count", fleet(strings.Replace(okBody, "count = 1 }\n  zone", "count = -1 }\n  zone", 1)), Options{}, []string{"bad.hcl:9:36:", "Invalid count"}},
		{"count missing", fleet(strings.Replace(okBody, "{ count = 1 }\n  zone", "{}\n  zone", 1)), Options{}, []string{"bad.hcl:9:26:", "Missing required argument"}},
		{"subnet", fleet(strings.Replace(okBody, "{ count = 1 }\n  zone", "{\n    count  = 1\n    subnet = \"sn-1\"\n  }\n  zone", 1)), Options{}, []string{"bad.hcl:11:14:", "Invalid subnet ID"}},
		{"unknown attribute", fleet(okBody + "\n  instance_size = \"t3.micro\""), Options{}, []string{"bad.hcl:11:3:", "Unsupported argument", `"instance_size"`}},
		{"instance type", fleet(okBody + "\n  instance_type = \"big\""), Options{}, []string{"bad.hcl:11:19:", "Invalid instance type"}},
		{"image id", fleet(strings.Replace(okBody, `image { name = "web-1" }`, `image { id = "ami-1" }`, 1)), Options{}, []string{"bad.hcl:8:16:", "Invalid image ID"}},
		{"image id and name", fleet(strings.Replace(okBody, `image { name = "web-1" }`, `image {
    id   = "ami-0123456789abcdef0"
    name = "web-1"
  }`, 1)), Options{}, []string{"bad.hcl:10:5:", "Conflicting image settings", "name applies to an image albctl bakes"}},
		{"image neither", fleet(strings.Replace(okBody, `image { name = "web-1" }`, `image { version = "1" }`, 1)), Options{}, []string{"bad.hcl:8:3:", "Missing image name or id"}},
		{"image keep", fleet(strings.Replace(okBody, `image { name = "web-1" }`, `image {
    name = "web-1"
    keep = 0
  }`, 1)), Options{}, []string{"bad.hcl:10:12:", "Invalid keep"}},
		{"rollout percent", fleet(okBody + "\n  rollout { min_healthy_percent = 120 }"), Options{}, []string{"bad.hcl:11:35:", "Invalid min_healthy_percent"}},
		{"rollout stuck", fleet(okBody + "\n  rollout { max_surge = 0 }"), Options{}, []string{"bad.hcl:11:25:", "Rollout cannot make progress"}},
		{"rollout bake", fleet(okBody + "\n  rollout { bake_time = \"2d\" }"), Options{}, []string{"bad.hcl:11:25:", "Invalid bake_time"}},
		{"checkpoints not ending at 100", fleet(okBody + "\n  rollout { checkpoints = [25, 50] }"), Options{}, []string{"Invalid checkpoints", "must be 100"}},
		{"checkpoints not increasing", fleet(okBody + "\n  rollout { checkpoints = [50, 25, 100] }"), Options{}, []string{"Invalid checkpoints", "25 follows 50"}},
		{"max 5xx percent", fleet(okBody + "\n  rollout { max_5xx_percent = 100 }"), Options{}, []string{"Invalid max_5xx_percent"}},
		{"keep_old", fleet(okBody + "\n  rollout { keep_old = \"forever\" }"), Options{}, []string{"Invalid keep_old"}},
		{"alarm twice", fleet(okBody + "\n  rollout { alarms = [\"a\", \"a\"] }"), Options{}, []string{"Invalid alarms", "listed twice"}},
		{"rollout timeout", fleet(okBody + "\n  rollout { health_timeout = \"5s\" }"), Options{}, []string{"bad.hcl:11:30:", "Invalid health_timeout"}},
		{"two rollouts", fleet(okBody + "\n  rollout {}\n  rollout {}"), Options{}, []string{"bad.hcl:12:3:", "Duplicate rollout block"}},
		{"unknown block", fleet(okBody + "\n  launch_template {}"), Options{}, []string{"bad.hcl:11:3:", "Unsupported block type"}},
		{
			"no target anywhere", fleet(strings.Replace(okBody, twoTargets, `  zone "ap-northeast-1a" { count = 0 }`, 1)), Options{},
			[]string{"bad.hcl:9:3:", "No targets", "needs at least one target"},
		},
		{
			"local sessions without stickiness",
			"target_group \"web\" {\n  name = \"web-tg\"\n}\nfleet \"web\" {\n" + okBody + "\n  sessions = \"local\"\n}\n", Options{},
			[]string{"bad.hcl:10:14:", "Sticky sessions required", "target_group.web"},
		},
		{
			"default local sessions without stickiness",
			"target_group \"web\" {\n  name = \"web-tg\"\n}\nfleet \"web\" {\n" + okBody + "\n}\n", Options{},
			[]string{"bad.hcl:4:1:", "Sticky sessions required"},
		},
		{"duplicate label", fleet(okBody) + "fleet \"web\" {\n" + okBody + "\n}\n", Options{}, []string{"bad.hcl:12:7:", "Duplicate fleet block"}},
	})
}

func TestFleetCrossChecksPass(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"two fleets, two AZs between them, no ALB spanning targets": `target_group "web" { name = "web-tg" }
fleet "a" {
  source       = "a"
  target_group = target_group.web
  sessions     = "shared"
  image { name = "aaa" }
  zone "ap-northeast-1a" { count = 1 }
}
fleet "b" {
  source       = "b"
  target_group = target_group.web
  sessions     = "shared"
  image { name = "bbb" }
  zone "ap-northeast-1c" { count = 1 }
}
load_balancer "web" {
  name  = "web"
  zones = "targets"
}
`,
		"one instance behind an ALB spanning its targets (the plan checks the zones can serve)": `target_group "web" { name = "web-tg" }
fleet "a" {
  source       = "a"
  target_group = target_group.web
  sessions     = "shared"
  image { name = "aaa" }
  zone "ap-northeast-1a" { count = 1 }
}
load_balancer "web" {
  name  = "web"
  zones = "targets"
}
`,
		"local sessions with one target": `target_group "web" { name = "web-tg" }
target_group "api" { name = "api-tg" }
fleet "a" {
  source       = "a"
  target_group = target_group.web
  image { name = "aaa" }
  zone "ap-northeast-1a" { count = 1 }
  zone "ap-northeast-1c" { count = 0 }
}
fleet "b" {
  source       = "b"
  target_group = target_group.api
  image { name = "bbb" }
  zone "ap-northeast-1c" { count = 1 }
}
`,
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) { mustLoad(t, src, Options{}) })
	}
}

func TestFleetLocalSessionsCountAcrossFleets(t *testing.T) {
	t.Parallel()
	// Two fleets of one target each behind one target group: two targets, so local
	// sessions need stickiness.
	src := `target_group "web" { name = "web-tg" }
fleet "a" {
  source       = "a"
  target_group = target_group.web
  image { name = "aaa" }
  zone "ap-northeast-1a" { count = 1 }
}
fleet "b" {
  source       = "b"
  target_group = target_group.web
  sessions     = "shared"
  image { name = "bbb" }
  zone "ap-northeast-1c" { count = 1 }
}
`
	_, _, diags := Load(writeFiles(t, map[string]string{"spec.hcl": src}), Options{})
	if got := formatDiags(diags); !strings.Contains(got, "spec.hcl:2:1: Sticky sessions required") || len(diags) != 1 {
		t.Errorf("diagnostics:\n%s", got)
	}
}

func TestFleetRolloutImageAndType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		check      func(f Fleet) string
	}{
		{"defaults", okBody, func(f Fleet) string {
			want := Rollout{MinHealthyPercent: 100, MaxSurge: 1, HealthTimeout: 10 * time.Minute, AutoRollback: true}
			got := f.Rollout
			got.DeclRange = want.DeclRange
			if diff := cmp.Diff(want, got); diff != "" || f.Image.Keep != 2 || f.InstanceType != "" {
				return fmt.Sprintf("rollout (-want +got):\n%s keep %d type %q", diff, f.Image.Keep, f.InstanceType)
			}
			return ""
		}},
		{"set", okBody + `
  instance_type = "m7i-flex.large"
  rollout {
    min_healthy_percent = 50
    max_surge           = 2
    bake_time           = "5m"
    health_timeout      = "20m"
    auto_rollback       = false
  }`, func(f Fleet) string {
			r := f.Rollout
			if r.MinHealthyPercent != 50 || r.MaxSurge != 2 || r.BakeTime != 5*time.Minute || r.HealthTimeout != 20*time.Minute || r.AutoRollback || f.InstanceType != "m7i-flex.large" {
				return fmt.Sprintf("%+v %q", r, f.InstanceType)
			}
			return ""
		}},
		{"gates", okBody + `
  rollout {
    bake_time       = "5m"
    alarms          = ["web-5xx", "web-latency"]
    max_5xx_percent = 1.5
    max_p95_latency = "800ms"
    checkpoints     = [25, 50, 100]
    keep_old        = "until_done"
  }`, func(f Fleet) string {
			g := f.Rollout.Gates
			want := Gates{Alarms: []string{"web-5xx", "web-latency"}, MaxP95Latency: 800 * time.Millisecond, Checkpoints: []int{25, 50, 100}, KeepOld: KeepOldUntilDone}
			if g.Max5xxPercent == nil || *g.Max5xxPercent != 1.5 {
				return fmt.Sprintf("max_5xx_percent %v", g.Max5xxPercent)
			}
			// The plan points at the list when an alarm is not found: line 13, its value.
			if r := g.AlarmsRange; r.Start.Line != 13 || r.Start.Column != 23 || !strings.HasSuffix(r.Filename, "spec.hcl") {
				return fmt.Sprintf("alarms range %v", r)
			}
			g.Max5xxPercent, g.AlarmsRange = nil, hcl.Range{}
			if diff := cmp.Diff(want, g); diff != "" || !f.Rollout.Gates.Any() {
				return fmt.Sprintf("gates (-want +got):\n%s", diff)
			}
			return ""
		}},
		{"image id", strings.Replace(okBody, `image { name = "web-1" }`, `image {
    id   = "ami-0123456789abcdef0"
    keep = 5
  }`, 1), func(f Fleet) string {
			if f.Image.ID != "ami-0123456789abcdef0" || f.Image.Name != "" || f.Image.Version != f.Image.ID || f.Image.Keep != 5 {
				return fmt.Sprintf("%+v", f.Image)
			}
			return ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, diags := Load(writeFiles(t, map[string]string{"spec.hcl": fleet(tc.body)}), Options{})
			if diags.HasErrors() {
				t.Fatalf("diagnostics:\n%s", formatDiags(diags))
			}
			if msg := tc.check(s.Fleets[0]); msg != "" {
				t.Error(msg)
			}
		})
	}
}
