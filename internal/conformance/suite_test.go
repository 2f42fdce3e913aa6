package conformance

import (
	"slices"
	"testing"
)

// TestEveryOperationAlbctlCallsHasACase: each method of cloud's interfaces is an operation
// albctl calls, and docs/testing.md promises a conformance case for each. A method added to
// cloud.EC2, cloud.ELBV2 or cloud.IAM without a case fails here.
func TestEveryOperationAlbctlCallsHasACase(t *testing.T) {
	covered := map[string]int{}
	for _, c := range Cases() {
		covered[c.Op]++
	}
	for _, op := range CloudOperations() {
		if covered[op] == 0 {
			t.Errorf("%s is in internal/cloud's interfaces but the conformance suite has no case for it", op)
		}
	}
}

// TestCasesAreWellFormed: every case names an operation and a rule, and no two cases share a
// subtest name (a Harness's Differs answers by rule; RunConformance names subtests Op/Name).
func TestCasesAreWellFormed(t *testing.T) {
	var names []string
	for _, c := range Cases() {
		if c.Op == "" || c.Name == "" || c.Rule == "" || c.Run == nil {
			t.Errorf("case %q/%q: Op, Name, Rule and Run are all needed", c.Op, c.Name)
		}
		names = append(names, c.Op+"/"+c.Name)
	}
	slices.Sort(names)
	if d := slices.Compact(slices.Clone(names)); len(d) != len(names) {
		t.Errorf("two cases share a name: %v", names)
	}
}
