package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
)

// versionInfo is what 'albctl version -json' prints.
type versionInfo struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// buildVersion reads the version Go recorded in the binary: the module version for
// 'go install github.com/albctl/albctl/cmd/albctl@v1.2.3', "(devel)" for a build from a
// checkout, with the VCS revision when the build had it.
func buildVersion() versionInfo {
	bi, _ := debug.ReadBuildInfo() // nil when the binary has none
	return versionFrom("", bi)
}

// versionFrom is what 'albctl version' reports. stamped is main.Version as a release build
// sets it (-ldflags "-X main.Version=v1.2.3", .goreleaser.yaml, docs/release.md): it wins over
// the module version in the build information, which a release build from a checkout records
// as "(devel)". The revision and time still come from the build information either way.
func versionFrom(stamped string, bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if mv := bi.Main.Version; mv != "" {
			v.Version = mv
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if stamped != "" {
		v.Version = stamped
	}
	return v
}

func (m *Main) version(_ context.Context, args []string) error {
	fs := m.flagSet("version")
	jsonOut := fs.Bool("json", false, "print the version as JSON")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("version takes no arguments, got %q", pos)
	}
	bi, _ := debug.ReadBuildInfo() // nil when the binary has none
	v := versionFrom(Version, bi)
	if *jsonOut {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	fmt.Fprintf(m.Stdout, "albctl %s", v.Version)
	if v.Revision != "" {
		rev := v.Revision[:min(12, len(v.Revision))]
		if v.Modified {
			rev += ", modified"
		}
		fmt.Fprintf(m.Stdout, " (%s)", rev)
	}
	fmt.Fprintf(m.Stdout, "\n%s on %s\n", v.Go, v.Platform)
	return nil
}
