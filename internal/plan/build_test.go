package plan

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

const (
	tgARN   = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/web-tg/0123456789abcdef"
	lbARN   = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/web-alb/0123456789abcdef"
	profile = "arn:aws:iam::123456789012:instance-profile/web-app"
	srcID   = "i-0aaaaaaaaaaaaaaa1"
)

// seedStack is the blog scenario's spec: two instances (1a, 1d), lb_cookie stickiness, ALB
// spanning exactly the zones with targets.
func seedStack() *specs.Stack {
	return &specs.Stack{
		Cloud: specs.Cloud{Target: "sim", Region: "ap-northeast-1"},
		TargetGroups: []specs.TargetGroup{{
			Label: "web", Name: "web-tg", Port: 80, Protocol: "HTTP",
			Stickiness: &specs.Stickiness{Type: "lb_cookie", Duration: 24 * time.Hour},
		}},
		LoadBalancers: []specs.LoadBalancer{{Label: "web", Name: "web-alb", ZonesFromTargets: true}},
		Fleets: []specs.Fleet{{
			Label: "web", Source: "web", TargetGroup: "web", Sessions: "local",
			Image:              specs.Image{Name: "web-2023-05-14", Version: "2023-05-14", Keep: 2},
			IAMInstanceProfile: "inherit",
			Rollout:            specs.Rollout{MinHealthyPercent: 100, MaxSurge: 1, HealthTimeout: 10 * time.Minute, AutoRollback: true},
			Zones:              []specs.FleetZone{{AZ: "ap-northeast-1a", Count: 1}, {AZ: "ap-northeast-1d", Count: 1}},
		}},
	}
}

// seedWorld is the blog scenario before the change: one instance in 1a, the ALB in 1a, 1c, 1d.
func seedWorld() *cloud.World {
	return &cloud.World{
		Instances: []cloud.Instance{{
			ID: srcID, State: "running", AZ: "ap-northeast-1a", SubnetID: "subnet-0a", VpcID: "vpc-1",
			ImageID: "ami-0old", InstanceType: "t3.small", IAMProfileARN: profile,
			SecurityGroupIDs: []string{"sg-1"}, Tags: map[string]string{"Name": "web", "team": "blog"},
		}},
		Images: []cloud.Image{{ID: "ami-0old", Name: "web-base", State: "available"}},
		Subnets: []cloud.Subnet{
			{ID: "subnet-0a", AZ: "ap-northeast-1a", VpcID: "vpc-1", AvailableIPs: 250, CIDR: "10.0.1.0/24"},
			{ID: "subnet-0c", AZ: "ap-northeast-1c", VpcID: "vpc-1", AvailableIPs: 250, CIDR: "10.0.2.0/24"},
			{ID: "subnet-0d", AZ: "ap-northeast-1d", VpcID: "vpc-1", AvailableIPs: 250, CIDR: "10.0.3.0/24"},
		},
		// The instances' sg-1 admits HTTP from the load balancer's sg-alb; the VPC's default
		// ACL lets everything through: every node reaches every target.
		SecurityGroups: []cloud.SecurityGroup{
			{ID: "sg-1", Name: "web-sg", VpcID: "vpc-1", Ingress: []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, Groups: []string{"sg-alb"}}}, Egress: allTraffic()},
			{ID: "sg-alb", Name: "web-alb-sg", VpcID: "vpc-1", Ingress: []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"0.0.0.0/0"}}}, Egress: allTraffic()},
		},
		NetworkACLs: []cloud.NetworkACL{{ID: "acl-1", VpcID: "vpc-1", IsDefault: true, Subnets: []string{"subnet-0a", "subnet-0c", "subnet-0d"}, Entries: []cloud.ACLEntry{
			{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
			{Number: 32767, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "deny"},
			{Number: 100, Egress: true, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
			{Number: 32767, Egress: true, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "deny"},
		}}},
		NetworkRead:      true,
		Region:           "ap-northeast-1",
		InstanceProfiles: []cloud.InstanceProfile{{Name: "web-app", ARN: profile}},
		TargetGroups: []cloud.TargetGroup{{
			ARN: tgARN, Name: "web-tg", VpcID: "vpc-1", Protocol: "HTTP", Port: 80,
			Attributes:       map[string]string{"stickiness.enabled": "false", "stickiness.type": "lb_cookie", "stickiness.lb_cookie.duration_seconds": "86400"},
			Targets:          []cloud.Target{{ID: srcID, Port: 80, State: "healthy"}},
			LoadBalancerARNs: []string{lbARN},
		}},
		LoadBalancers: []cloud.LoadBalancer{{
			ARN: lbARN, Name: "web-alb", VpcID: "vpc-1", State: "active",
			Zones:          []cloud.LBZone{{AZ: "ap-northeast-1a", SubnetID: "subnet-0a"}, {AZ: "ap-northeast-1c", SubnetID: "subnet-0c"}, {AZ: "ap-northeast-1d", SubnetID: "subnet-0d"}},
			SecurityGroups: []string{"sg-alb"},
		}},
	}
}

func allTraffic() []cloud.SGRule {
	return []cloud.SGRule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}
}

// member is an instance albctl launched earlier.
func member(id, az, subnet string, slot int) cloud.Instance {
	return cloud.Instance{
		ID: id, State: "running", AZ: az, SubnetID: subnet, VpcID: "vpc-1", ImageID: "ami-0new",
		InstanceType: "t3.small", IAMProfileARN: profile, SecurityGroupIDs: []string{"sg-1"},
		Tags: map[string]string{"Name": "web-" + az[len(az)-2:] + "-" + itoa(slot), cloud.TagFleet: "web", cloud.TagStack: "web-tg", cloud.TagSlot: az + "/" + itoa(slot), cloud.TagImageVersion: "2023-05-14"},
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// converged is the seed world after a successful apply.
func converged() *cloud.World {
	w := seedWorld()
	w.Instances = append(w.Instances, member("i-0bbbbbbbbbbbbbbb1", "ap-northeast-1d", "subnet-0d", 1))
	w.Images = append(w.Images, cloud.Image{ID: "ami-0new", Name: "web-2023-05-14", State: "available", Created: time.Date(2023, 5, 14, 0, 0, 0, 0, time.UTC),
		Tags: map[string]string{cloud.TagFleet: "web", cloud.TagStack: "web-tg", cloud.TagImageVersion: "2023-05-14"}, SnapshotIDs: []string{"snap-0new"}})
	// Its snapshot carries albctl's tag, as the engine tags the snapshots of what it bakes.
	w.Snapshots = append(w.Snapshots, cloud.Snapshot{ID: "snap-0new", State: "completed", Tags: map[string]string{cloud.TagStack: "web-tg"}})
	tg := &w.TargetGroups[0]
	tg.Attributes["stickiness.enabled"] = "true"
	tg.Targets = append(tg.Targets, cloud.Target{ID: "i-0bbbbbbbbbbbbbbb1", Port: 80, State: "healthy"})
	lb := &w.LoadBalancers[0]
	lb.Zones = []cloud.LBZone{{AZ: "ap-northeast-1a", SubnetID: "subnet-0a"}, {AZ: "ap-northeast-1d", SubnetID: "subnet-0d"}}
	return w
}

func build(t *testing.T, s *specs.Stack, w *cloud.World) *Plan {
	t.Helper()
	p, err := Build(s, w)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	checkInvariants(t, w, p)
	return p
}

// checkInvariants runs the production checker on a plan the test expects to be valid.
func checkInvariants(t *testing.T, w *cloud.World, p *Plan) {
	t.Helper()
	for _, err := range Check(w, p) {
		t.Error(err)
	}
}

func dependsOn(p *Plan, step, on string) bool {
	deps := map[string][]string{}
	for _, s := range p.Steps {
		deps[s.ID] = s.DependsOn
	}
	seen := map[string]bool{}
	var walk func(string) bool
	walk = func(id string) bool {
		for _, d := range deps[id] {
			if d == on || (!seen[d] && func() bool { seen[d] = true; return walk(d) }()) {
				return true
			}
		}
		return false
	}
	return walk(step)
}

func kinds(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, string(s.Kind))
	}
	return out
}

func step(t *testing.T, p *Plan, kind Kind) *Step {
	t.Helper()
	for i := range p.Steps {
		if p.Steps[i].Kind == kind {
			return &p.Steps[i]
		}
	}
	t.Fatalf("no %s step in %v", kind, kinds(p))
	return nil
}

func TestSeedScenario(t *testing.T) {
	t.Parallel()
	p := build(t, seedStack(), seedWorld())
	want := []string{"validate_launch", "create_image", "launch_instance", "enable_stickiness", "register_target", "trim_zones"}
	if got := kinds(p); !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	launch := step(t, p, LaunchInstance)
	if launch.Launch.IAMProfile != profile {
		t.Errorf("launch IAM profile = %q, want the source's %q", launch.Launch.IAMProfile, profile)
	}
	if launch.Launch.AZ != "ap-northeast-1d" || launch.Launch.SubnetID != "subnet-0d" {
		t.Errorf("launch placement = %s/%s", launch.Launch.AZ, launch.Launch.SubnetID)
	}
	if launch.Launch.Tags["team"] != "blog" || launch.Launch.Tags[cloud.TagFleet] != "web" {
		t.Errorf("launch tags = %v", launch.Launch.Tags)
	}
	trim := step(t, p, TrimZones)
	if !slices.Equal(trim.Zones.Removed, []string{"ap-northeast-1c"}) || !slices.Equal(trim.Zones.AZs, []string{"ap-northeast-1a", "ap-northeast-1d"}) {
		t.Errorf("trim = %+v", trim.Zones)
	}
	if !strings.Contains(trim.Reason, "ap-northeast-1c has no targets") {
		t.Errorf("trim reason = %q", trim.Reason)
	}
	img := step(t, p, CreateImage)
	if !strings.HasPrefix(img.Warning, "OUTAGE") {
		t.Errorf("image of the only healthy target with a reboot must warn loudly, got %q", img.Warning)
	}
}

func TestNoRebootHasNoOutageWarning(t *testing.T) {
	t.Parallel()
	s := seedStack()
	s.Fleets[0].Image.NoReboot = true
	p := build(t, s, seedWorld())
	if w := step(t, p, CreateImage).Warning; w != "" {
		t.Errorf("warning = %q", w)
	}
}

func TestConvergedWorldHasNoChanges(t *testing.T) {
	t.Parallel()
	p := build(t, seedStack(), converged())
	if !p.Empty() {
		t.Fatalf("steps = %v", kinds(p))
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	t.Parallel()
	a, _ := json.Marshal(build(t, seedStack(), seedWorld()))
	for range 20 {
		b, _ := json.Marshal(build(t, seedStack(), seedWorld()))
		if string(a) != string(b) {
			t.Fatalf("two builds differ:\n%s\n%s", a, b)
		}
	}
}

func TestResume(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		world func() *cloud.World
		want  []string
	}{
		{"image pending from an interrupted run", func() *cloud.World {
			w := seedWorld()
			w.Images = append(w.Images, cloud.Image{ID: "ami-0new", Name: "web-2023-05-14", State: "pending"})
			return w
		}, []string{"launch_instance", "enable_stickiness", "register_target", "trim_zones"}},
		{"launched but not registered", func() *cloud.World {
			w := seedWorld()
			w.Images = append(w.Images, cloud.Image{ID: "ami-0new", Name: "web-2023-05-14", State: "available"})
			w.Instances = append(w.Instances, member("i-0bbbbbbbbbbbbbbb1", "ap-northeast-1d", "subnet-0d", 1))
			w.TargetGroups[0].Attributes["stickiness.enabled"] = "true"
			return w
		}, []string{"register_target", "trim_zones"}},
		{"registered, zones not trimmed", func() *cloud.World {
			w := converged()
			w.LoadBalancers[0].Zones = seedWorld().LoadBalancers[0].Zones
			return w
		}, []string{"trim_zones"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.world()
			p := build(t, seedStack(), w)
			if got := kinds(p); !slices.Equal(got, c.want) {
				t.Fatalf("kinds = %v, want %v", got, c.want)
			}
		})
	}
}

func TestNewZoneIsAddedBeforeRegistering(t *testing.T) {
	t.Parallel()
	s := seedStack()
	s.Fleets[0].Zones = append(s.Fleets[0].Zones, specs.FleetZone{AZ: "ap-northeast-1b", Count: 1})
	w := seedWorld()
	w.Subnets = append(w.Subnets, cloud.Subnet{ID: "subnet-0b", AZ: "ap-northeast-1b", VpcID: "vpc-1", AvailableIPs: 10, CIDR: "10.0.4.0/24"})
	p := build(t, s, w)
	add := step(t, p, AddZones)
	if !slices.Equal(add.Zones.Added, []string{"ap-northeast-1b"}) || len(add.Zones.SubnetIDs) != 4 {
		t.Errorf("add_zones = %+v (must keep the current zones: SetSubnets replaces the set)", add.Zones)
	}
	trim := step(t, p, TrimZones)
	if !slices.Equal(trim.Zones.AZs, []string{"ap-northeast-1a", "ap-northeast-1b", "ap-northeast-1d"}) {
		t.Errorf("trim zones = %v", trim.Zones.AZs)
	}
	if !dependsOn(p, trim.ID, add.ID) {
		t.Errorf("trim must follow add")
	}
	if !dependsOn(p, add.ID, "launch_instance.web.ap-northeast-1b.1") {
		t.Errorf("the zone must be enabled only once its instance runs, to keep it empty briefly; add depends on %v", add.DependsOn)
	}
}

func TestScaleDownKeepsCapacity(t *testing.T) {
	t.Parallel()
	w := converged()
	w.Instances = append(w.Instances, member("i-0ccccccccccccccc1", "ap-northeast-1d", "subnet-0d", 2))
	w.TargetGroups[0].Targets = append(w.TargetGroups[0].Targets, cloud.Target{ID: "i-0ccccccccccccccc1", Port: 80, State: "healthy"})
	p := build(t, seedStack(), w)
	if got, want := kinds(p), []string{"deregister_target", "terminate_instance"}; !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	term := step(t, p, TerminateInstance)
	if id := term.Terminate.InstanceID; id != "i-0ccccccccccccccc1" {
		t.Errorf("terminates %s, want the newest slot", id)
	}
	if term.Terminate.Name != "web-1d-2" || len(term.Terminate.DrainFrom) != 1 || !strings.Contains(term.Resource, "web-1d-2 (i-0ccccccccccccccc1)") {
		t.Errorf("terminate = %+v, resource %q: it must name the member and wait for its draining", term.Terminate, term.Resource)
	}
}

func TestScaleTwoToThree(t *testing.T) {
	t.Parallel()
	s := seedStack()
	s.Fleets[0].Zones[1].Count = 2
	p := build(t, s, converged())
	if got, want := kinds(p), []string{"launch_instance", "register_target"}; !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	l := step(t, p, LaunchInstance)
	if l.Launch.ImageID != "ami-0new" || l.Launch.Tags[cloud.TagSlot] != "ap-northeast-1d/2" {
		t.Errorf("launch = %+v", l.Launch)
	}
}

func TestMemberWithoutProfileGetsOne(t *testing.T) {
	t.Parallel()
	w := converged()
	w.Instances[1].IAMProfileARN = ""
	p := build(t, seedStack(), w)
	a := step(t, p, AssociateInstanceProfile)
	if a.Associate.InstanceID != w.Instances[1].ID || a.Associate.IAMProfile != profile {
		t.Errorf("associate = %+v", a.Associate)
	}
}

func TestClientTokenIsStable(t *testing.T) {
	t.Parallel()
	a := step(t, build(t, seedStack(), seedWorld()), LaunchInstance).Launch.ClientToken
	w := seedWorld()
	w.Images = append(w.Images, cloud.Image{ID: "ami-0new", Name: "web-2023-05-14", State: "pending"})
	b := step(t, build(t, seedStack(), w), LaunchInstance).Launch.ClientToken
	if a != b || len(a) > 64 {
		t.Errorf("tokens %q and %q: a re-run must reuse the token (at most 64 chars)", a, b)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		stack   func(*specs.Stack)
		world   func(*cloud.World)
		summary string
	}{
		{"missing target group", nil, func(w *cloud.World) { w.TargetGroups = nil }, "Target group not found"},
		{"missing load balancer", nil, func(w *cloud.World) { w.LoadBalancers = nil }, "Load balancer not found"},
		{"missing source", nil, func(w *cloud.World) { w.Instances[0].State = "terminated" }, "Source instance not found"},
		{"ambiguous source", nil, func(w *cloud.World) {
			dup := w.Instances[0]
			dup.ID = "i-0aaaaaaaaaaaaaaa2"
			w.Instances = append(w.Instances, dup)
		}, "Ambiguous source instance"},
		{"exact source is not a pattern", func(s *specs.Stack) { s.Fleets[0].Source = s.Fleets[0].Source[:1] + "*" }, nil,
			"Source instance not found"},
		{"pattern matches nothing", func(s *specs.Stack) { s.Fleets[0].Source, s.Fleets[0].SourceIsPattern = "nope-*", true }, nil,
			`the Name tag of no live instance albctl did not launch matches the pattern "nope-*"`},
		{"pattern matches two", func(s *specs.Stack) { s.Fleets[0].Source, s.Fleets[0].SourceIsPattern = "*e*", true }, func(w *cloud.World) {
			dup := w.Instances[0]
			dup.ID, dup.Tags = "i-0aaaaaaaaaaaaaaa2", map[string]string{"Name": "other"}
			w.Instances = append(w.Instances, dup)
		}, `2 live instances have a Name tag matching "*e*"`},
		{"source zone dropped", func(s *specs.Stack) {
			s.Fleets[0].Zones = []specs.FleetZone{{AZ: "ap-northeast-1c", Count: 1}, {AZ: "ap-northeast-1d", Count: 1}}
		}, nil, "Source zone must keep the source"},
		{"one zone, and no other zone's node reaches it", func(s *specs.Stack) {
			s.Fleets[0].Zones = []specs.FleetZone{{AZ: "ap-northeast-1a", Count: 2}}
		}, func(w *cloud.World) {
			w.SecurityGroups[0].Ingress = []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24"}}}
		}, "An ALB needs two zones"},
		{"no subnet", func(s *specs.Stack) {
			s.Fleets[0].Zones[1].AZ = "ap-northeast-1b"
		}, nil, "No subnet in zone"},
		{"several subnets", nil, func(w *cloud.World) {
			w.Subnets = append(w.Subnets, cloud.Subnet{ID: "subnet-0d2", AZ: "ap-northeast-1d", VpcID: "vpc-1"})
		}, "Several subnets in zone"},
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
			if !errors.As(err, &diags) {
				t.Fatalf("Build = %v, %v; want diagnostics", p, err)
			}
			if !strings.Contains(diags.Error(), c.summary) {
				t.Errorf("diagnostics %q do not contain %q", diags.Error(), c.summary)
			}
		})
	}
}

func TestHealthCheckDriftIsAStep(t *testing.T) {
	t.Parallel()
	s := seedStack()
	s.TargetGroups[0].HealthCheck = &specs.HealthCheck{Path: "/health", Interval: 30 * time.Second}
	w := converged()
	w.TargetGroups[0].HealthCheck = cloud.HealthCheck{Path: "/", IntervalSeconds: 30, TimeoutSeconds: 6, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"}
	p := build(t, s, w)
	hc := step(t, p, ModifyHealthCheck)
	if !strings.Contains(hc.Reason, "path is /, the spec wants /health") || *hc.HealthCheck.Path != "/health" || hc.HealthCheck.IntervalSeconds != nil {
		t.Fatalf("step %+v, params %+v", hc, hc.HealthCheck)
	}
	w.TargetGroups[0].HealthCheck.Path = "/health"
	if p := build(t, s, w); !p.Empty() {
		t.Fatalf("steps %v for a matching health check", kinds(p))
	}
}

// A source_pattern that matches one instance plans exactly as that instance's Name does.
func TestSourcePatternPlansLikeTheName(t *testing.T) {
	t.Parallel()
	s := seedStack()
	s.Fleets[0].Source, s.Fleets[0].SourceIsPattern = "w?b*", true
	got, want := build(t, s, seedWorld()), build(t, seedStack(), seedWorld())
	if len(got.Steps) == 0 || len(got.Steps) != len(want.Steps) {
		t.Fatalf("pattern: %d steps, name: %d", len(got.Steps), len(want.Steps))
	}
	for i := range want.Steps {
		if got.Steps[i].ID != want.Steps[i].ID {
			t.Errorf("step %d: %s with the pattern, %s with the name", i, got.Steps[i].ID, want.Steps[i].ID)
		}
	}
}

// withMember adds a healthy registered member of fleet web to w.
func withMember(w *cloud.World, in cloud.Instance) {
	w.Instances = append(w.Instances, in)
	w.TargetGroups[0].Targets = append(w.TargetGroups[0].Targets, cloud.Target{ID: in.ID, Port: 80, State: "healthy"})
}
