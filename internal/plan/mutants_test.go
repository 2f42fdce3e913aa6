package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// Tests written against the mutants that survived the package's other tests: each pins a
// behaviour users rely on (an ordering edge, which member goes, what a new member is called,
// what a reason or diagnostic says, what a saved plan must contain). docs/testing.md lists the
// mutants and the test that kills each.

// withMember adds a healthy registered member of fleet web to w.
func withMember(w *cloud.World, in cloud.Instance) {
	w.Instances = append(w.Instances, in)
	w.TargetGroups[0].Targets = append(w.TargetGroups[0].Targets, cloud.Target{ID: in.ID, Port: 80, State: "healthy"})
}

// Capacity never drops: a member leaving for scale-in is deregistered only after every new
// target of its group is healthy, here one launched in another zone by the same plan.
func TestScaleInWaitsForNewTargetsOfTheGroup(t *testing.T) {
	s := seedStack()
	w := converged()
	withMember(w, member("i-0ccccccccccccccc1", "ap-northeast-1d", "subnet-0d", 2))
	// 1a + 1d×2 becomes 1a×2 + 1d: one member moves zone.
	s.Fleets[0].Zones = []specs.FleetZone{{AZ: "ap-northeast-1a", Count: 2}, {AZ: "ap-northeast-1d", Count: 1}}
	p := build(t, s, w)
	if got, want := kinds(p), []string{"launch_instance", "register_target", "deregister_target", "terminate_instance"}; !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	reg, dereg := step(t, p, RegisterTarget), step(t, p, DeregisterTarget)
	if dereg.Target.InstanceID != "i-0ccccccccccccccc1" {
		t.Fatalf("deregisters %s, want the newest slot of 1d", dereg.Target.InstanceID)
	}
	if !dependsOn(p, dereg.ID, reg.ID) {
		t.Errorf("%s must follow %s: the group would serve with two targets while the new one is not yet healthy", dereg.ID, reg.ID)
	}
	if !strings.Contains(dereg.Reason, "capacity never drops") {
		t.Errorf("deregister reason %q does not say why it waits", dereg.Reason)
	}
	if term := step(t, p, TerminateInstance); !strings.Contains(term.Reason, "terminated once draining is over") {
		t.Errorf("terminate reason %q does not say it waits for draining", term.Reason)
	}
}

// A rollout's deregistration follows its own replacement, not the scale-in rule's "every
// registration", and does not say it does.
func TestRolloutDeregistrationReason(t *testing.T) {
	s, w := fleetWorld(1)
	bump(s)
	p := build(t, s, w)
	if d := step(t, p, DeregisterTarget); strings.Contains(d.Reason, "capacity never drops") || !strings.Contains(d.Reason, "replaced by the new") {
		t.Errorf("rollout deregister reason %q", d.Reason)
	}
}

// A zone whose count drops to zero loses its member, and the ALB leaves it once the member is
// gone.
func TestZoneScaledToZeroIsTrimmed(t *testing.T) {
	s, w := fleetWorld(1)
	s.Fleets[0].Zones = append(s.Fleets[0].Zones, specs.FleetZone{AZ: "ap-northeast-1c", Count: 1})
	withMember(w, member("i-0ccccccccccccccc1", "ap-northeast-1c", "subnet-0c", 1))
	w.LoadBalancers[0].Zones = seedWorld().LoadBalancers[0].Zones
	s.Fleets[0].Zones[2].Count = 0
	p := build(t, s, w)
	if got, want := kinds(p), []string{"deregister_target", "terminate_instance", "trim_zones"}; !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	if tr := step(t, p, TrimZones); !slices.Equal(tr.Zones.Removed, []string{"ap-northeast-1c"}) {
		t.Errorf("trim removes %v", tr.Zones.Removed)
	}
}

// Members without a slot tag (launched by hand with the fleet's tags, or by an older albctl)
// take the slots after the tagged ones: they are counted, and a scale-in retires them first
// as the newest.
func TestMembersWithoutSlotTag(t *testing.T) {
	untagged := func(id string) cloud.Instance {
		in := member(id, "ap-northeast-1d", "subnet-0d", 9)
		delete(in.Tags, cloud.TagSlot)
		in.Tags["Name"] = "web-by-hand"
		return in
	}
	t.Run("only untagged", func(t *testing.T) {
		w := converged()
		w.Instances[1] = untagged(w.Instances[1].ID)
		if p := build(t, seedStack(), w); !p.Empty() {
			t.Fatalf("an untagged member counts as the zone's member: %v", kinds(p))
		}
	})
	t.Run("after the tagged ones", func(t *testing.T) {
		w := converged()
		withMember(w, untagged("i-0000000000000000e"))
		p := build(t, seedStack(), w)
		if got := step(t, p, TerminateInstance).Terminate.InstanceID; got != "i-0000000000000000e" {
			t.Errorf("scale-in terminates %s; the untagged member holds the newest slot", got)
		}
		s := seedStack()
		s.Fleets[0].Zones[1].Count = 3
		p = build(t, s, w)
		l := step(t, p, LaunchInstance)
		if got := l.Launch.Tags[cloud.TagSlot]; got != "ap-northeast-1d/3" {
			t.Errorf("new member's slot %q, want ap-northeast-1d/3 (slot 1 tagged, slot 2 the untagged member)", got)
		}
	})
}

// A ClientToken stands for one launch: the same slot and image give the same token (a re-run
// gets the first run's instance back), and any parameter that makes the launch different
// gives another (EC2 refuses a token reused with other parameters).
func TestClientTokenCoversTheLaunch(t *testing.T) {
	token := func(edit func(*specs.Stack)) string {
		s := seedStack()
		if edit != nil {
			edit(s)
		}
		return step(t, build(t, s, seedWorld()), LaunchInstance).Launch.ClientToken
	}
	base := token(nil)
	if again := token(nil); again != base {
		t.Fatalf("tokens %q and %q for the same launch", base, again)
	}
	for name, edit := range map[string]func(*specs.Stack){
		"instance type":       func(s *specs.Stack) { s.Fleets[0].InstanceType = "t3.large" },
		"other instance type": func(s *specs.Stack) { s.Fleets[0].InstanceType = "m7i.large" },
		"image":               func(s *specs.Stack) { s.Fleets[0].Image.Name = "web-2023-06-01" },
	} {
		if got := token(edit); got == base {
			t.Errorf("%s: same token %q as the base launch", name, got)
		}
	}
	if a, b := token(func(s *specs.Stack) { s.Fleets[0].InstanceType = "t3.large" }), token(func(s *specs.Stack) { s.Fleets[0].InstanceType = "m7i.large" }); a == b {
		t.Errorf("two instance types share the token %q", a)
	}
}

// New members are named after the source and their slot: "web-1d-1".
func TestNewMemberNames(t *testing.T) {
	s := seedStack()
	s.Fleets[0].Zones[1].Count = 2
	p := build(t, s, seedWorld())
	var names []string
	for _, id := range filter(p, LaunchInstance) {
		st, _ := stepByID(p, id)
		names = append(names, st.Launch.Tags["Name"])
	}
	if want := []string{"web-1d-1", "web-1d-2"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	if got := memberName("api", "us-east-1a", 3); got != "api-1a-3" {
		t.Errorf("memberName = %q", got)
	}
}

// A member failing its health checks is not a difference from the spec, but the reviewer
// must see it.
func TestUnhealthyMemberIsAWarning(t *testing.T) {
	w := converged()
	if p := build(t, seedStack(), w); len(p.Warnings) != 0 {
		t.Fatalf("warnings on a healthy fleet: %v", p.Warnings)
	}
	w.TargetGroups[0].Targets[1].State = "unhealthy"
	w.TargetGroups[0].Targets[1].Reason = "Target.ResponseCodeMismatch"
	p := build(t, seedStack(), w)
	if !p.Empty() {
		t.Errorf("steps %v for an unhealthy member", kinds(p))
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "web-1d-1 is an unhealthy target") || !strings.Contains(p.Warnings[0], "Target.ResponseCodeMismatch") {
		t.Errorf("warnings = %q", p.Warnings)
	}
}

// With several subnets in a zone, the zone block names one, and launches go there.
func TestZoneBlockChoosesTheSubnet(t *testing.T) {
	w := seedWorld()
	w.Subnets = append(w.Subnets, cloud.Subnet{ID: "subnet-0d2", AZ: "ap-northeast-1d", VpcID: "vpc-1", AvailableIPs: 10})
	s := seedStack()
	s.Fleets[0].Zones[1].Subnet = "subnet-0d2"
	if got := step(t, build(t, s, w), LaunchInstance).Launch.SubnetID; got != "subnet-0d2" {
		t.Errorf("launch into %s, want the zone block's subnet-0d2", got)
	}
}

// Free addresses: as many as the launches is enough; one fewer is an error that points at
// the zone block launching into the subnet.
func TestFreeAddressesAtTheLimit(t *testing.T) {
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

// When min_healthy_percent lets old members leave as a batch starts, they still wait for the
// image: a bake that fails (or takes an hour) must not leave the fleet short.
func TestRolloutDropsOldMembersOnlyAfterTheBake(t *testing.T) {
	s, w := fleetWorld(3)
	bump(s)
	s.Fleets[0].Rollout = specs.Rollout{MinHealthyPercent: 50, MaxSurge: 0, HealthTimeout: time.Minute, BakeTime: time.Minute}
	p := build(t, s, w)
	img := step(t, p, CreateImage)
	for _, id := range filter(p, DeregisterTarget) {
		if !dependsOn(p, id, img.ID) {
			t.Errorf("%s does not wait for %s", id, img.ID)
		}
	}
	// Batches are numbered from 1 in reasons and wait steps.
	waits := filter(p, Wait)
	if !slices.Equal(waits, []string{"wait.web.batch-1"}) {
		t.Fatalf("waits %v, want wait.web.batch-1 between the two batches", waits)
	}
	wst, _ := stepByID(p, waits[0])
	if !strings.Contains(wst.Reason, "batch 1 must stay healthy for 1m before batch 2 starts") {
		t.Errorf("wait reason %q", wst.Reason)
	}
	var batch2 int
	for _, id := range filter(p, LaunchInstance) {
		st, _ := stepByID(p, id)
		if strings.Contains(st.Reason, "rollout batch 2") {
			batch2++
		}
	}
	if batch2 != 1 {
		t.Errorf("%d launches say rollout batch 2, want 1 (batches of 2, 3 members)", batch2)
	}
}

// An ALB missing a zone where targets already are (trimmed by hand), and enabled in one
// without targets: the zone is added before the other is trimmed. Both are SetSubnets with
// a whole subnet set, so the other order would undo the trim.
func TestTrimFollowsAddOfTheSameLoadBalancer(t *testing.T) {
	w := converged()
	w.LoadBalancers[0].Zones = []cloud.LBZone{{AZ: "ap-northeast-1a", SubnetID: "subnet-0a"}, {AZ: "ap-northeast-1c", SubnetID: "subnet-0c"}}
	w.TargetGroups[0].Targets[1].State = "unused"
	p := build(t, seedStack(), w)
	add, trim := step(t, p, AddZones), step(t, p, TrimZones)
	if !dependsOn(p, trim.ID, add.ID) {
		t.Errorf("%s must follow %s: %v", trim.ID, add.ID, kinds(p))
	}
}

// Reasons are what a reviewer reads: a launch says where its image comes from and which
// profile it gets; stickiness says why when sessions are local.
func TestReasonsSayWhy(t *testing.T) {
	p := build(t, seedStack(), seedWorld())
	l := step(t, p, LaunchInstance)
	for _, want := range []string{"from the image baked of " + srcID, "with IAM instance profile web-app"} {
		if !strings.Contains(l.Reason, want) {
			t.Errorf("launch reason %q does not say %q", l.Reason, want)
		}
	}
	s := seedStack()
	s.Fleets[0].Image = specs.Image{ID: "ami-0new", Version: "ami-0new", Keep: 2}
	w := seedWorld()
	w.Images = append(w.Images, cloud.Image{ID: "ami-0new", Name: "built-by-ci", State: "available"})
	if r := step(t, build(t, s, w), LaunchInstance).Reason; !strings.Contains(r, "from image ami-0new") || strings.Contains(r, "baked") {
		t.Errorf("launch reason %q, want the named image", r)
	}
	w = seedWorld()
	w.Instances[0].IAMProfileARN = ""
	w.InstanceProfiles = nil
	if r := step(t, build(t, seedStack(), w), LaunchInstance).Reason; strings.Contains(r, "profile") {
		t.Errorf("launch reason %q names a profile the source does not have", r)
	}

	st := step(t, p, EnableStickiness)
	if !strings.Contains(st.Reason, "local") {
		t.Errorf("stickiness reason %q does not say sessions are local", st.Reason)
	}
	s = seedStack()
	s.Fleets[0].Sessions = "shared"
	if r := step(t, build(t, s, seedWorld()), EnableStickiness).Reason; strings.Contains(r, "local") {
		t.Errorf("stickiness reason %q speaks of local sessions the spec does not have", r)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24h", 90 * time.Minute: "90m", 45 * time.Second: "45s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// profileName takes an ARN's last path element and leaves a name as it is.
func TestProfileName(t *testing.T) {
	for in, want := range map[string]string{profile: "web-app", "web-app": "web-app", "arn:aws:iam::1:instance-profile/path/x": "x"} {
		if got := profileName(in); got != want {
			t.Errorf("profileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Validate refuses a saved plan whose step lacks what the engine needs for its kind, naming
// the field: one case per required field.
func TestValidateNamesMissingFields(t *testing.T) {
	launch := func() *LaunchParams {
		return &LaunchParams{ImageID: "ami-1", AZ: "ap-northeast-1d", SubnetID: "subnet-0d", InstanceType: "t3.small", ClientToken: "tok"}
	}
	cases := []struct {
		step Step
		want string // "" for a valid step
	}{
		{Step{Kind: CreateImage, Image: &ImageParams{SourceInstanceID: srcID, Name: "web"}}, ""},
		{Step{Kind: CreateImage, Image: &ImageParams{Name: "web"}}, "image.source_instance_id"},
		{Step{Kind: CreateImage, Image: &ImageParams{SourceInstanceID: srcID}}, "image.name"},
		{Step{Kind: ValidateLaunch, Launch: launch()}, ""},
		{Step{Kind: ValidateLaunch, Launch: func() *LaunchParams { l := launch(); l.ImageID = ""; return l }()}, "launch.image_id"},
		{Step{Kind: ValidateLaunch, Launch: func() *LaunchParams { l := launch(); l.SubnetID = ""; return l }()}, "launch.subnet_id"},
		{Step{Kind: ValidateLaunch, Launch: func() *LaunchParams { l := launch(); l.InstanceType = ""; return l }()}, "launch.instance_type"},
		{Step{Kind: ModifyHealthCheck, HealthCheck: &HealthCheckParams{TargetGroupARN: tgARN}}, ""},
		{Step{Kind: ModifyHealthCheck, HealthCheck: &HealthCheckParams{}}, "health_check.target_group_arn"},
		{Step{Kind: Wait, Wait: &WaitParams{Duration: clock.Duration(time.Minute)}}, ""},
		{Step{Kind: Wait, Wait: &WaitParams{Duration: clock.Duration(24 * time.Hour)}}, ""},
		{Step{Kind: Wait, Wait: &WaitParams{Duration: clock.Duration(time.Nanosecond)}}, ""},
		{Step{Kind: Wait, Wait: &WaitParams{}}, "wait.duration between 0 and 24h"},
		{Step{Kind: Wait, Wait: &WaitParams{Duration: clock.Duration(24*time.Hour + time.Second)}}, "wait.duration between 0 and 24h"},
		{Step{Kind: DeregisterImage, Cleanup: &CleanupParams{ImageID: "ami-1"}}, ""},
		{Step{Kind: DeregisterImage, Cleanup: &CleanupParams{}}, "cleanup.image_id"},
		{Step{Kind: LaunchInstance, Launch: launch()}, ""},
		{Step{Kind: LaunchInstance, Launch: func() *LaunchParams { l := launch(); l.ClientToken = ""; return l }()}, "launch.client_token"},
		{Step{Kind: AssociateInstanceProfile, Associate: &AssociateParams{InstanceID: "i-1", IAMProfile: "web-app"}}, ""},
		{Step{Kind: AssociateInstanceProfile, Associate: &AssociateParams{IAMProfile: "web-app"}}, "associate.instance_id"},
		{Step{Kind: AssociateInstanceProfile, Associate: &AssociateParams{InstanceID: "i-1"}}, "associate.iam_instance_profile"},
		{Step{Kind: EnableStickiness, Stickiness: &StickinessParams{TargetGroupARN: tgARN, Attributes: map[string]string{"stickiness.enabled": "true"}}}, ""},
		{Step{Kind: EnableStickiness, Stickiness: &StickinessParams{Attributes: map[string]string{"stickiness.enabled": "true"}}}, "stickiness.target_group_arn"},
		{Step{Kind: EnableStickiness, Stickiness: &StickinessParams{TargetGroupARN: tgARN}}, "stickiness.attributes"},
		{Step{Kind: TrimZones, Zones: &ZonesParams{LoadBalancerARN: lbARN, SubnetIDs: []string{"subnet-0a", "subnet-0d"}}}, ""},
		{Step{Kind: TrimZones, Zones: &ZonesParams{SubnetIDs: []string{"subnet-0a", "subnet-0d"}}}, "zones.load_balancer_arn"},
		{Step{Kind: AddZones, Zones: &ZonesParams{LoadBalancerARN: lbARN}}, "zones.subnet_ids"},
		{Step{Kind: RegisterTarget, Target: &TargetParams{TargetGroupARN: tgARN, InstanceID: "i-1"}}, ""},
		{Step{Kind: RegisterTarget, Target: &TargetParams{InstanceID: "i-1"}}, "target.target_group_arn"},
		{Step{Kind: RegisterTarget, Target: &TargetParams{TargetGroupARN: tgARN}}, "exactly one of target.instance_id and target.instance_step"},
		{Step{Kind: DeregisterTarget, Target: &TargetParams{TargetGroupARN: tgARN, InstanceID: "i-1"}}, ""},
		{Step{Kind: DeregisterTarget, Target: &TargetParams{InstanceID: "i-1"}}, "target.target_group_arn"},
		{Step{Kind: TerminateInstance, Terminate: &TerminateParams{InstanceID: "i-1"}}, ""},
	}
	for i, c := range cases {
		c.step.ID = fmt.Sprintf("%s.%d", c.step.Kind, i)
		err := Validate(&Plan{Steps: []Step{c.step}})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("case %d (%s): %v", i, c.step.Kind, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("case %d (%s): Validate = %v, want %q", i, c.step.Kind, err, c.want)
		}
	}
	// A kind without its parameters is refused, for every kind, without a panic.
	for _, k := range []Kind{CreateImage, ValidateLaunch, ModifyHealthCheck, Wait, DeregisterImage, LaunchInstance, AssociateInstanceProfile, EnableStickiness, AddZones, TrimZones, RegisterTarget, DeregisterTarget, TerminateInstance} {
		if err := Validate(&Plan{Steps: []Step{{ID: "x", Kind: k}}}); err == nil || !strings.Contains(err.Error(), "needs its") {
			t.Errorf("%s without parameters: %v", k, err)
		}
	}
}

// Validate's messages name what a person must fix: the position of a step without an ID,
// the steps of a cycle (and only those), and at most ten problems.
func TestValidateMessages(t *testing.T) {
	term := func(id string, deps ...string) Step {
		return Step{ID: id, Kind: TerminateInstance, Terminate: &TerminateParams{InstanceID: "i-1"}, DependsOn: deps}
	}
	if err := Validate(&Plan{Steps: []Step{term("")}}); err == nil || !strings.Contains(err.Error(), "step 1 has no ID") {
		t.Errorf("no ID: %v", err)
	}
	// a leads into the cycle b -> c -> b; a is not part of it.
	if err := Validate(&Plan{Steps: []Step{term("a", "b"), term("b", "c"), term("c", "b")}}); err == nil || !strings.HasSuffix(err.Error(), "dependency cycle: b -> c -> b") {
		t.Errorf("cycle: %v", err)
	}
	ring := func(n int) *Plan {
		p := &Plan{}
		for i := range n {
			p.Steps = append(p.Steps, term(fmt.Sprintf("s%d", i), fmt.Sprintf("s%d", (i+1)%n)))
		}
		return p
	}
	if err := Validate(ring(7)); err == nil || !strings.HasSuffix(err.Error(), "s0 -> s1 -> s2 -> s3 -> s4 -> s5 -> s6 -> s0") {
		t.Errorf("cycle of 7: %v", err)
	}
	if err := Validate(ring(12)); err == nil || !strings.HasSuffix(err.Error(), "s0 -> s1 -> s2 -> s3 -> ... (8 steps) ... -> s0") {
		t.Errorf("cycle of 12: %v", err)
	}
	bad := func(n int) error {
		p := &Plan{}
		for i := range n {
			p.Steps = append(p.Steps, term(fmt.Sprintf("t%d", i), "nowhere"))
		}
		return Validate(p)
	}
	if err := bad(10); err == nil || strings.Contains(err.Error(), "more problems") || strings.Count(err.Error(), "unknown step") != 10 {
		t.Errorf("ten problems: %v", err)
	}
	if err := bad(11); err == nil || !strings.Contains(err.Error(), "and 1 more problems") {
		t.Errorf("eleven problems: %v", err)
	}
}

// Every field of a health_check block is compared: equal values are no drift, different ones
// are set by the step and named in its reason.
func TestHealthCheckEveryField(t *testing.T) {
	world := cloud.HealthCheck{Path: "/health", IntervalSeconds: 30, TimeoutSeconds: 6, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"}
	same := &specs.HealthCheck{Path: "/health", Interval: 30 * time.Second, Timeout: 6 * time.Second, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"}
	s := seedStack()
	s.TargetGroups[0].HealthCheck = same
	w := converged()
	w.TargetGroups[0].HealthCheck = world
	if p := build(t, s, w); !p.Empty() {
		t.Fatalf("steps %v for a health check equal in every field", kinds(p))
	}
	s.TargetGroups[0].HealthCheck = &specs.HealthCheck{Path: "/up", Interval: 10 * time.Second, Timeout: 5 * time.Second, HealthyThreshold: 3, UnhealthyThreshold: 4, Matcher: "200-299"}
	hc := step(t, build(t, s, w), ModifyHealthCheck)
	p := hc.HealthCheck
	got := fmt.Sprintf("%s %d %d %d %d %s", *p.Path, *p.IntervalSeconds, *p.TimeoutSeconds, *p.HealthyThreshold, *p.UnhealthyThreshold, *p.Matcher)
	if want := "/up 10 5 3 4 200-299"; got != want {
		t.Errorf("step sets %q, want %q", got, want)
	}
	for _, want := range []string{"interval is 30s, the spec wants 10s", "timeout is 6s, the spec wants 5s", "healthy threshold is 5, the spec wants 3", "unhealthy threshold is 2, the spec wants 4"} {
		if !strings.Contains(hc.Reason, want) {
			t.Errorf("reason %q does not say %q", hc.Reason, want)
		}
	}
}

// Several untagged members in one zone take consecutive slots after the tagged ones.
func TestUntaggedMembersTakeConsecutiveSlots(t *testing.T) {
	w := converged()
	for _, id := range []string{"i-0000000000000000e", "i-0000000000000000f"} {
		in := member(id, "ap-northeast-1d", "subnet-0d", 9)
		delete(in.Tags, cloud.TagSlot)
		withMember(w, in)
	}
	s := seedStack()
	s.Fleets[0].Zones[1].Count = 4
	if got := step(t, build(t, s, w), LaunchInstance).Launch.Tags[cloud.TagSlot]; got != "ap-northeast-1d/4" {
		t.Errorf("new member's slot %q, want ap-northeast-1d/4 (slots 1 to 3 are taken)", got)
	}
	s.Fleets[0].Zones[1].Count = 2
	if got := step(t, build(t, s, w), TerminateInstance).Terminate.InstanceID; got != "i-0000000000000000f" {
		t.Errorf("scale-in to 2 terminates %s, want the untagged member in slot 3", got)
	}
}

// A member that is not a target (never registered) is terminated without a draining wait,
// and its reason does not claim one.
func TestUnregisteredMemberIsNotDrained(t *testing.T) {
	w := converged()
	w.Instances = append(w.Instances, member("i-0ccccccccccccccc1", "ap-northeast-1d", "subnet-0d", 2))
	p := build(t, seedStack(), w)
	term := step(t, p, TerminateInstance)
	if len(term.Terminate.DrainFrom) != 0 || strings.Contains(term.Reason, "draining") {
		t.Errorf("terminate of an unregistered member: drain %v, reason %q", term.Terminate.DrainFrom, term.Reason)
	}
}

// A rollout warns that the source is not replaced.
func TestRolloutWarnsTheSourceStays(t *testing.T) {
	s, w := fleetWorld(1)
	bump(s)
	p := build(t, s, w)
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "the source "+srcID+" is not replaced") }) {
		t.Errorf("warnings %q do not say the source stays", p.Warnings)
	}
}

// Check: a zone losing a registered member is trimmed only after that member is terminated.
func TestCheckTrimAfterTermination(t *testing.T) {
	s, w := fleetWorld(1)
	s.Fleets[0].Zones = append(s.Fleets[0].Zones, specs.FleetZone{AZ: "ap-northeast-1c", Count: 1})
	withMember(w, member("i-0ccccccccccccccc1", "ap-northeast-1c", "subnet-0c", 1))
	w.LoadBalancers[0].Zones = seedWorld().LoadBalancers[0].Zones
	s.Fleets[0].Zones = s.Fleets[0].Zones[:2]
	p := build(t, s, w)
	for i := range p.Steps {
		if p.Steps[i].Kind == TrimZones {
			p.Steps[i].DependsOn = slices.DeleteFunc(p.Steps[i].DependsOn, func(d string) bool { return strings.HasPrefix(d, "terminate_instance.") })
		}
	}
	var msgs []string
	for _, err := range Check(w, p) {
		msgs = append(msgs, err.Error())
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "a zone is trimmed only once its leaving targets are terminated") {
		t.Errorf("Check = %q", msgs)
	}
}
