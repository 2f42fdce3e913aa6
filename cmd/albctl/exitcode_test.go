package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Exit codes are an interface: CI scripts branch on them, as they do on Terraform's.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join("..", "..", "examples", "blog", "world.json"), world)
	blog := filepath.Join("..", "..", "examples", "blog")
	unformatted := filepath.Join(dir, "spec")
	if err := os.MkdirAll(unformatted, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(unformatted, "a.hcl"), []byte("cloud {\n      region = \"ap-northeast-1\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args []string
		want int
	}{
		{[]string{"plan", "-detailed-exitcode", "--world", world, blog}, 2},
		{[]string{"plan", "--world", world, blog}, 0},
		{[]string{"plan", "--world", filepath.Join(dir, "absent.json"), blog}, 1},
		{[]string{"apply", "-auto-approve", "--world", world, blog}, 0},
		{[]string{"plan", "-detailed-exitcode", "--world", world, blog}, 0},
		{[]string{"fmt", "-check", unformatted}, 3},
		{[]string{"fmt", unformatted}, 0},
		{[]string{"fmt", "-check", unformatted}, 0},
		{[]string{"nonsense"}, 1},
		{[]string{"plan", "-no-such-flag"}, 1},
	}
	for _, s := range steps {
		if _, code := runCLI(t, s.args...); code != s.want {
			t.Errorf("albctl %v exited %d, want %d", s.args, code, s.want)
		}
	}
}
