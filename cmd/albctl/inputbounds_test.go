package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestInputsAreBounded: a world, faults, variable or spec file that is far too large — an
// endless device, or a 1 GB sparse file — ends plan with exit 1 and an error naming the file
// and the limit, having allocated a bounded amount of memory (issue 17, docs/security.md).
func TestInputsAreBounded(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	tmp := t.TempDir()
	huge := func(name string) string {
		p := filepath.Join(tmp, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Truncate(p, 1<<30); err != nil { // sparse: no data is written
			t.Fatal(err)
		}
		return p
	}
	bigSpecDir := filepath.Join(tmp, "spec")
	if err := os.Mkdir(bigSpecDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(huge("alb.hcl"), filepath.Join(bigSpecDir, "alb.hcl")); err != nil {
		t.Fatal(err)
	}
	const blog = "../../examples/blog"
	tests := []struct {
		name     string
		args     []string
		want     string
		maxAlloc uint64 // bytes the run may allocate
	}{
		{"world /dev/zero", []string{"plan", "--world", "/dev/zero", blog}, "load world: /dev/zero is larger than 64 MiB", 100 << 20},
		{"faults /dev/zero", []string{"plan", "--faults", "/dev/zero", blog}, "/dev/zero is larger than 4 MiB", 16 << 20},
		{"world, sparse 1 GB", []string{"plan", "--world", huge("world.json"), blog}, "world.json is larger than 64 MiB", 8 << 20},
		{"faults, sparse 1 GB", []string{"plan", "--faults", huge("faults.json"), blog}, "faults.json is larger than 4 MiB", 8 << 20},
		{"var file /dev/zero", []string{"plan", "-var-file", "/dev/zero", blog}, "/dev/zero is larger than 4 MiB", 16 << 20},
		{"var file, sparse 1 GB", []string{"plan", "-var-file", huge("big.albvars"), blog}, "big.albvars is larger than 4 MiB", 8 << 20},
		{"spec file, sparse 1 GB", []string{"plan", bigSpecDir}, "alb.hcl:1:1: File too large", 8 << 20},
		{"fmt of a spec file, sparse 1 GB", []string{"fmt", "-check", bigSpecDir}, "alb.hcl is larger than 4 MiB", 8 << 20},
		{"init --world /dev/zero", []string{"init", "--world", "/dev/zero", "-o", filepath.Join(tmp, "out.hcl"), "web"}, "/dev/zero is larger than 64 MiB", 100 << 20},
		{"a directory as the world", []string{"plan", "--world", tmp, blog}, "is a directory", 8 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var stdout, stderr bytes.Buffer
			code := (&Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}).Run(context.Background(), tt.args)
			runtime.ReadMemStats(&after)
			if code != 1 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, want 1 with %q\nstderr:\n%s", code, tt.want, stderr.String())
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > tt.maxAlloc {
				t.Errorf("the run allocated %d MiB, more than %d MiB", n>>20, tt.maxAlloc>>20)
			}
			if len(stderr.String()) > 2000 {
				t.Errorf("the error is %d bytes long: it should name the file, not quote it", stderr.Len())
			}
		})
	}
}
