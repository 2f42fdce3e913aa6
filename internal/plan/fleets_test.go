package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// The tests of fleets.go: a fleet's members, their slots, names and ClientTokens, and the
// warnings and reasons of its steps.

// Members without a slot tag (launched by hand with the fleet's tags, or by an older albctl)
// take the slots after the tagged ones: they are counted, and a scale-in retires them first
// as the newest.
func TestMembersWithoutSlotTag(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// Reasons are what a reviewer reads: a launch says where its image comes from and which
// profile it gets; stickiness says why when sessions are local.
func TestReasonsSayWhy(t *testing.T) {
	t.Parallel()
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

// Several untagged members in one zone take consecutive slots after the tagged ones.
func TestUntaggedMembersTakeConsecutiveSlots(t *testing.T) {
	t.Parallel()
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
