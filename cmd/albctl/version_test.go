package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionFrom: a release build's -X main.Version wins; otherwise the module version Go
// recorded; "(devel)" with no build information at all (docs/release.md, "Versions").
func TestVersionFrom(t *testing.T) {
	devel := &debug.BuildInfo{Main: debug.Module{Path: "github.com/albctl/albctl", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/albctl/albctl", Version: "v0.3.1"}}
	cases := []struct {
		name, stamped string
		bi            *debug.BuildInfo
		want          versionInfo
	}{
		{"release build from a checkout", "v0.1.0", devel,
			versionInfo{Version: "v0.1.0", Revision: "0123456789abcdef", Time: "2026-12-01T10:00:00Z", Modified: true}},
		{"checkout build", "", devel,
			versionInfo{Version: "(devel)", Revision: "0123456789abcdef", Time: "2026-12-01T10:00:00Z", Modified: true}},
		{"go install @version", "", installed, versionInfo{Version: "v0.3.1"}},
		{"stamped, no build information", "v0.2.0", nil, versionInfo{Version: "v0.2.0"}},
		{"nothing at all", "", nil, versionInfo{Version: "(devel)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := versionFrom(c.stamped, c.bi)
			got.Go, got.Platform = "", ""
			if got != c.want {
				t.Errorf("versionFrom(%q) = %+v, want %+v", c.stamped, got, c.want)
			}
		})
	}
}

// TestVersionCommandPrintsStampedVersion runs the command with main.Version set, as the
// linker sets it in a release build.
func TestVersionCommandPrintsStampedVersion(t *testing.T) {
	saved := Version
	t.Cleanup(func() { Version = saved })
	Version = "v9.8.7"
	for _, args := range [][]string{{"version"}, {"--version"}, {"version", "-json"}} {
		var out, errb bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}
		if code := m.Run(context.Background(), args); code != 0 {
			t.Fatalf("albctl %v: exit %d: %s", args, code, errb.String())
		}
		if !strings.Contains(out.String(), "v9.8.7") {
			t.Errorf("albctl %v printed %q, want the stamped v9.8.7", args, out.String())
		}
	}
}

// TestVersionLdflags builds albctl with the -ldflags of .goreleaser.yaml (-X main.Version) and runs
// it: the variable the release build stamps is the one 'albctl version' prints.
// (Without -trimpath, unlike the release: it would recompile every dependency.)
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	ldflags := goreleaserLdflags(t)
	stamp := strings.ReplaceAll(ldflags, "{{ .Version }}", "1.2.3-test")
	bin := filepath.Join(t.TempDir(), "albctl")
	build := exec.Command("go", "build", "-ldflags", stamp, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -ldflags %q: %v\n%s", stamp, err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("albctl version: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "albctl v1.2.3-test") {
		t.Errorf("albctl version printed %q, want it to start with %q", out, "albctl v1.2.3-test")
	}
}
