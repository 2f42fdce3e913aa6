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

// TestProbeRecordsInsteadOfReporting: RunConformance runs a case of a listed difference with a
// probe, and decides from what it recorded whether the difference still holds. A Fatalf must
// end the case and be recorded, an Errorf recorded without ending it, a Skipf recorded as a
// skip, and a passing case recorded as passing — none of them may reach the real test.
func TestProbeRecordsInsteadOfReporting(t *testing.T) {
	after := false
	for _, tc := range []struct {
		name           string
		run            func(t testing.TB, e *Env)
		failed, ranOn  bool
		first, skipped string
	}{
		{"passes", func(t testing.TB, e *Env) { after = true }, false, true, "", ""},
		{"fatal ends the case", func(t testing.TB, e *Env) { t.Fatalf("no %d", 1); after = true }, true, false, "no 1", ""},
		{"errors go on, the first is kept", func(t testing.TB, e *Env) { t.Errorf("a"); t.Errorf("b"); after = true }, true, true, "a", ""},
		{"skip", func(t testing.TB, e *Env) { t.Skipf("not %s", "here"); after = true }, false, false, "", "not here"},
		{"wantCode", func(t testing.TB, e *Env) { wantCode(t, nil, "X"); after = true }, true, false, `error code "", want "X" (error: <nil>)`, ""},
	} {
		after = false
		p := probeCase(t, Case{Run: tc.run}, &Env{})
		if p.failed != tc.failed || after != tc.ranOn || p.first != tc.first || p.skipped != tc.skipped {
			t.Errorf("%s: failed %v, ran on %v, first %q, skipped %q; want %v, %v, %q, %q",
				tc.name, p.failed, after, p.first, p.skipped, tc.failed, tc.ranOn, tc.first, tc.skipped)
		}
	}
}
