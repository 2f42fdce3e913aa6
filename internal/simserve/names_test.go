package simserve

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// TestNamesUpToDate regenerates names_ec2.go from the SDK in the module cache: after an SDK
// upgrade, a stale table fails here (run go generate ./internal/simserve/).
func TestNamesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generator")
	}
	want, err := os.ReadFile("names_ec2.go")
	if err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command("go", "run", "./internal/gennames").Output()
	if err != nil {
		t.Fatalf("running the generator: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Error("names_ec2.go is stale: run go generate ./internal/simserve/")
	}
}
