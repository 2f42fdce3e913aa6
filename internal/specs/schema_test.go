package specs

import "testing"

// TestSchemaCoversNestedBlocks: every nested block type a body accepts has a schema entry of
// its own, so docs/spec.md (held to Schema) cannot miss one.
func TestSchemaCoversNestedBlocks(t *testing.T) {
	t.Parallel()
	paths := map[string]bool{}
	for _, b := range Schema() {
		paths[b.Path] = true
	}
	for _, b := range Schema() {
		for _, nested := range b.Blocks {
			if !paths[nested] {
				t.Errorf("block %s accepts %s, which Schema does not describe", b.Path, nested)
			}
		}
	}
}
