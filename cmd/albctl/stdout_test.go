package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// A closed stdout (tee stopped by the same Ctrl-C) does not kill albctl with SIGPIPE: the
// apply goes on, saves the world, and its summary reaches stderr.
func TestClosedStdoutKeepsTheSummary(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGPIPE on Windows")
	}
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join(blogDir, "world.json"), world)
	cmd := exec.Command("albctl", "apply", "-auto-approve", "--world", world, blogDir)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // nobody reads: the first write to stdout meets a closed pipe
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	w.Close()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("albctl died of %v:\n%s", ws.Signal(), stderr.String())
		}
	}
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"standard output is closed", "Apply complete! 6 steps in 5m39s simulated. The world now matches the spec."} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if data, _ := os.ReadFile(world); !bytes.Contains(data, []byte("web-2023-05-14")) {
		t.Error("the world was not saved")
	}
}

// failoverWriter: what the first writer refuses, and everything after, goes to the fallback.
func TestFailoverWriter(t *testing.T) {
	var fallback bytes.Buffer
	f := &failoverWriter{w: brokenWriter{}, fallback: &fallback}
	for _, s := range []string{"one\n", "two\n"} {
		if n, err := f.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := fallback.String(); !strings.HasSuffix(got, "follows here.\none\ntwo\n") || strings.Count(got, "closed") != 1 {
		t.Errorf("fallback got %q", got)
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }
