package plan

import (
	"strings"
	"testing"
)

// The tests of retire.go: how a member leaves the fleet.

// A member that is not a target (never registered) is terminated without a draining wait,
// and its reason does not claim one.
func TestUnregisteredMemberIsNotDrained(t *testing.T) {
	t.Parallel()
	w := converged()
	w.Instances = append(w.Instances, member("i-0ccccccccccccccc1", "ap-northeast-1d", "subnet-0d", 2))
	p := build(t, seedStack(), w)
	term := step(t, p, TerminateInstance)
	if len(term.Terminate.DrainFrom) != 0 || strings.Contains(term.Reason, "draining") {
		t.Errorf("terminate of an unregistered member: drain %v, reason %q", term.Terminate.DrainFrom, term.Reason)
	}
}
