package main

import "testing"

// FuzzParseSavedPlan feeds arbitrary bytes to the saved-plan reader: an error is fine, a
// panic is not, and a plan it accepts has a valid step graph. Corpus:
// testdata/fuzz/FuzzParseSavedPlan.
func FuzzParseSavedPlan(f *testing.F) {
	f.Add([]byte(`{"checksum": "sha256:00", "payload": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sp, err := parseSavedPlan("fuzz.plan", data)
		if err != nil {
			return
		}
		if sp.Plan == nil || sp.World == nil {
			t.Fatal("accepted a plan without plan or world")
		}
	})
}
