package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// TestPreflightErrors: everything knowable before the first side effect fails the plan, naming
// the resource, instead of failing the apply after a reboot or a long wait.
func TestPreflightErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		stack  func(*specs.Stack)
		world  func(*cloud.World)
		wanted []string
	}{
		{"profile does not exist", func(s *specs.Stack) { s.Fleets[0].IAMInstanceProfile = "web-missing" }, nil,
			[]string{"IAM instance profile not found", `"web-missing"`}},
		{"source stopping", nil, func(w *cloud.World) { w.Instances[0].State = "stopping" }, []string{"Source instance is stopping", srcID}},
		{"source pending", nil, func(w *cloud.World) { w.Instances[0].State = "pending" }, []string{"Source instance is starting"}},
		{"stopped source alone in its zone", nil, func(w *cloud.World) { w.Instances[0].State = "stopped" }, []string{"Stopped source leaves its zone empty", "ap-northeast-1a"}},
		{"explicit zones leave out a fleet zone", func(s *specs.Stack) {
			s.LoadBalancers[0].ZonesFromTargets = false
			s.LoadBalancers[0].Zones = []string{"ap-northeast-1a", "ap-northeast-1c"}
		}, nil, []string{"Zones leave out targets", "ap-northeast-1d"}},
		{"instance type not offered", func(s *specs.Stack) { s.Fleets[0].InstanceType = "p5.48xlarge" }, func(w *cloud.World) {
			w.OfferingsRead = true
			w.Offerings = []cloud.Offering{{InstanceType: "p5.48xlarge", AZ: "ap-northeast-1a"}, {InstanceType: "t3.small", AZ: "ap-northeast-1d"}}
		}, []string{"Instance type not offered in zone", "p5.48xlarge in ap-northeast-1d"}},
		{"subnet full", nil, func(w *cloud.World) { w.Subnets[2].AvailableIPs = 0 }, []string{"Subnet has too few free addresses", "subnet-0d"}},
		{"region mismatch", nil, func(w *cloud.World) { w.Region = "us-east-1" }, []string{"Region mismatch", "us-east-1"}},
		{"image id missing", func(s *specs.Stack) { s.Fleets[0].Image = specs.Image{ID: "ami-0123456789abcdef0", Keep: 2} }, nil, []string{"Image not found", "ami-0123456789abcdef0"}},
		{"image id not available", func(s *specs.Stack) { s.Fleets[0].Image = specs.Image{ID: "ami-0123456789abcdef0", Keep: 2} }, func(w *cloud.World) {
			w.Images = append(w.Images, cloud.Image{ID: "ami-0123456789abcdef0", Name: "ci", State: "failed"})
		}, []string{"Image not available", "failed"}},
		{"member stopped", nil, func(w *cloud.World) {
			m := member("i-0bbbbbbbbbbbbbbb1", "ap-northeast-1d", "subnet-0d", 1)
			m.State = "stopped"
			w.Instances = append(w.Instances, m)
		}, []string{"Fleet member is stopped", "web-1d-1"}},
		{"member with another profile", nil, func(w *cloud.World) {
			m := member("i-0bbbbbbbbbbbbbbb1", "ap-northeast-1d", "subnet-0d", 1)
			m.IAMProfileARN = "arn:aws:iam::123456789012:instance-profile/other"
			w.Instances = append(w.Instances, m)
		}, []string{"Member has another IAM instance profile", "other"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, w := seedStack(), seedWorld()
			if c.stack != nil {
				c.stack(s)
			}
			if c.world != nil {
				c.world(w)
			}
			p, err := Build(s, w)
			var diags hcl.Diagnostics
			if !errors.As(err, &diags) || !diags.HasErrors() {
				t.Fatalf("Build = %v, %v; want diagnostics", p, err)
			}
			var text []string
			for _, d := range diags {
				text = append(text, d.Summary+": "+d.Detail)
			}
			all := strings.Join(text, "\n")
			for _, want := range c.wanted {
				if !strings.Contains(all, want) {
					t.Errorf("diagnostics %q do not contain %q", all, want)
				}
			}
		})
	}
}

// TestEveryDriftIsAStep: each kind of difference the spec covers gives a non-empty plan (so
// plan -detailed-exitcode exits 2), never a warning followed by "No changes".
func TestEveryDriftIsAStep(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		stack func(*specs.Stack)
		world func(*cloud.World)
		kind  Kind
		in    string // in the step's reason
	}{
		{"stickiness off", nil, func(w *cloud.World) { w.TargetGroups[0].Attributes["stickiness.enabled"] = "false" }, EnableStickiness,
			"stickiness is off on web-tg; the spec wants lb_cookie for 24h"},
		{"stickiness duration", nil, func(w *cloud.World) { w.TargetGroups[0].Attributes["stickiness.lb_cookie.duration_seconds"] = "3600" }, EnableStickiness,
			"stickiness is lb_cookie for 1h on web-tg; the spec wants lb_cookie for 24h"},
		{"health check", func(s *specs.Stack) { s.TargetGroups[0].HealthCheck = &specs.HealthCheck{Matcher: "200-299"} }, nil, ModifyHealthCheck,
			"matcher is (none), the spec wants 200-299"},
		{"member missing", nil, func(w *cloud.World) {
			w.Instances = w.Instances[:1]
			w.TargetGroups[0].Targets = w.TargetGroups[0].Targets[:1]
		}, LaunchInstance, "fleet \"web\" wants 1 in ap-northeast-1d"},
		{"member not registered", nil, func(w *cloud.World) { w.TargetGroups[0].Targets = w.TargetGroups[0].Targets[:1] }, RegisterTarget, "not a target of web-tg"},
		{"member without profile", nil, func(w *cloud.World) { w.Instances[1].IAMProfileARN = "" }, AssociateInstanceProfile, "runs without the IAM instance profile web-app"},
		{"extra zone on the ALB", nil, func(w *cloud.World) { w.LoadBalancers[0].Zones = seedWorld().LoadBalancers[0].Zones }, TrimZones, "ap-northeast-1c has no targets"},
		{"zone missing on the ALB", func(s *specs.Stack) {
			s.LoadBalancers[0].ZonesFromTargets = false
			s.LoadBalancers[0].Zones = []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}
		}, nil, AddZones, "ap-northeast-1c"},
		{"older image version", func(s *specs.Stack) { bump(s) }, nil, LaunchInstance, "runs image version \"2023-05-14\"; the spec wants \"2024-01-01\""},
		{"extra member", nil, func(w *cloud.World) {
			w.Instances = append(w.Instances, member("i-0ccccccccccccccc1", "ap-northeast-1d", "subnet-0d", 2))
		}, TerminateInstance, "wants 1 in ap-northeast-1d and has 2"},
		{"image beyond keep", nil, func(w *cloud.World) {
			for _, id := range []string{"ami-0a", "ami-0b"} {
				w.Images = append(w.Images, cloud.Image{ID: id, Name: "web-" + id, State: "available", Tags: map[string]string{cloud.TagFleet: "web", cloud.TagStack: "web-tg"}})
			}
		}, DeregisterImage, "keeps its 2 newest images"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, w := seedStack(), converged()
			if c.stack != nil {
				c.stack(s)
			}
			if c.world != nil {
				c.world(w)
			}
			p := build(t, s, w)
			st := step(t, p, c.kind)
			if !strings.Contains(st.Reason, c.in) {
				t.Errorf("reason %q does not say %q", st.Reason, c.in)
			}
		})
	}
}

// Free addresses: as many as the launches is enough; one fewer is an error that points at
// the zone block launching into the subnet.
func TestFreeAddressesAtTheLimit(t *testing.T) {
	t.Parallel()
	zoneRange := hcl.Range{Filename: "web.hcl", Start: hcl.Pos{Line: 40, Column: 3}, End: hcl.Pos{Line: 40, Column: 30}}
	fleetRange := hcl.Range{Filename: "web.hcl", Start: hcl.Pos{Line: 20, Column: 1}, End: hcl.Pos{Line: 20, Column: 12}}
	stack := func() *specs.Stack {
		s := seedStack()
		s.Fleets[0].DeclRange = fleetRange
		s.Fleets[0].Zones[0].DeclRange = hcl.Range{Filename: "web.hcl", Start: hcl.Pos{Line: 37, Column: 3}}
		s.Fleets[0].Zones[1].Count = 2
		s.Fleets[0].Zones[1].DeclRange = zoneRange
		return s
	}
	w := seedWorld()
	w.Subnets[2].AvailableIPs = 2
	build(t, stack(), w)
	w.Subnets[2].AvailableIPs = 1
	_, err := Build(stack(), w)
	var diags hcl.Diagnostics
	if !errors.As(err, &diags) || len(diags) != 1 {
		t.Fatalf("Build = %v, want one diagnostic", err)
	}
	d := diags[0]
	if d.Summary != "Subnet has too few free addresses" || !strings.Contains(d.Detail, "has 1 free IP addresses; the plan launches 2") {
		t.Errorf("diagnostic %q: %q", d.Summary, d.Detail)
	}
	if d.Subject == nil || *d.Subject != zoneRange {
		t.Errorf("diagnostic points at %v, want the 1d zone block %v", d.Subject, zoneRange)
	}
}

// profileName takes an ARN's last path element and leaves a name as it is.
func TestProfileName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{profile: "web-app", "web-app": "web-app", "arn:aws:iam::1:instance-profile/path/x": "x"} {
		if got := profileName(in); got != want {
			t.Errorf("profileName(%q) = %q, want %q", in, got, want)
		}
	}
}
