package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// The ordering rules of rules.go, held to plans that Build makes (docs/design.md, "Ordering
// rules").

// Capacity never drops: a member leaving for scale-in is deregistered only after every new
// target of its group is healthy, here one launched in another zone by the same plan.
func TestScaleInWaitsForNewTargetsOfTheGroup(t *testing.T) {
	t.Parallel()
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

// An ALB missing a zone where targets already are (trimmed by hand), and enabled in one
// without targets: the zone is added before the other is trimmed. Both are SetSubnets with
// a whole subnet set, so the other order would undo the trim.
func TestTrimFollowsAddOfTheSameLoadBalancer(t *testing.T) {
	t.Parallel()
	w := converged()
	w.LoadBalancers[0].Zones = []cloud.LBZone{{AZ: "ap-northeast-1a", SubnetID: "subnet-0a"}, {AZ: "ap-northeast-1c", SubnetID: "subnet-0c"}}
	w.TargetGroups[0].Targets[1].State = "unused"
	p := build(t, seedStack(), w)
	add, trim := step(t, p, AddZones), step(t, p, TrimZones)
	if !dependsOn(p, trim.ID, add.ID) {
		t.Errorf("%s must follow %s: %v", trim.ID, add.ID, kinds(p))
	}
}
