package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/simulator"
)

// TestPreflightFailsPlanAndApplyWithoutSideEffects: each problem knowable before the first
// side effect makes `plan` and `apply` exit 1 naming the resource, and leaves the world file
// byte-identical (docs/plans.md, "Preflight checks").
func TestPreflightFailsPlanAndApplyWithoutSideEffects(t *testing.T) {
	blog := filepath.Join("..", "..", "examples", "blog")
	spec, err := os.ReadFile(filepath.Join(blog, "alb.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		spec  func(string) string
		world func(*simulator.World)
		want  []string
	}{
		{"instance profile missing", func(s string) string {
			return strings.Replace(s, `iam_instance_profile = "inherit"`, `iam_instance_profile = "web-app-missing"`, 1)
		}, nil, []string{"IAM instance profile not found", "web-app-missing"}},
		{"stopped source alone in its zone", nil, func(w *simulator.World) {
			for i := range w.Instances {
				w.Instances[i].State = "stopped"
			}
		}, []string{"Stopped source leaves its zone empty", "ap-northeast-1a"}},
		{"explicit zones leave out a fleet zone", func(s string) string {
			return strings.Replace(s, `zones = "targets"`, `zones = ["ap-northeast-1a", "ap-northeast-1c"]`, 1)
		}, nil, []string{"Zones leave out targets", "ap-northeast-1d"}},
		{"instance type not offered", nil, func(w *simulator.World) {
			w.InstanceTypeOfferings = map[string][]string{"ap-northeast-1d": {"m7i.large"}}
		}, []string{"Instance type not offered in zone", "ap-northeast-1d"}},
		{"subnet full", nil, func(w *simulator.World) {
			zero := int32(0)
			for i := range w.Subnets {
				if w.Subnets[i].AZ == "ap-northeast-1d" {
					w.Subnets[i].AvailableIPs = &zero
				}
			}
		}, []string{"Subnet has too few free addresses", "ap-northeast-1d"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			specDir := filepath.Join(dir, "spec")
			if err := os.MkdirAll(specDir, 0o755); err != nil {
				t.Fatal(err)
			}
			s := string(spec)
			if c.spec != nil {
				s = c.spec(s)
			}
			if err := os.WriteFile(filepath.Join(specDir, "alb.hcl"), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			w := simulator.SeedWorld()
			if c.world != nil {
				c.world(w)
			}
			worldPath := filepath.Join(dir, "world.json")
			if err := w.Save(worldPath); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(worldPath)
			for _, args := range [][]string{{"plan"}, {"apply", "-auto-approve"}} {
				var out, errb bytes.Buffer
				m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
				code := m.Run(context.Background(), append(args, "--world", worldPath, specDir))
				if code != 1 {
					t.Errorf("%v exited %d, want 1\nstdout: %s\nstderr: %s", args, code, out.String(), errb.String())
				}
				for _, want := range c.want {
					if !strings.Contains(errb.String(), want) {
						t.Errorf("%v: stderr does not name %q:\n%s", args, want, errb.String())
					}
				}
				after, _ := os.ReadFile(worldPath)
				if !bytes.Equal(before, after) {
					t.Errorf("%v changed the world file", args)
				}
			}
		})
	}
}
