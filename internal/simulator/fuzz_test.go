package simulator

import (
	"os"
	"testing"
)

// FuzzParseWorld feeds arbitrary world files to the loader: an error is fine, a panic is not,
// and a world that loads must save and load again to the same bytes. Corpus:
// testdata/fuzz/FuzzParseWorld.
func FuzzParseWorld(f *testing.F) {
	if seed, err := os.ReadFile("../../examples/blog/world.json"); err == nil {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ParseWorld(data)
		if err != nil {
			return
		}
		b, err := w.Marshal()
		if err != nil {
			t.Fatalf("a loaded world does not marshal: %v", err)
		}
		if _, err := ParseWorld(b); err != nil {
			t.Fatalf("a saved world does not load: %v", err)
		}
	})
}
