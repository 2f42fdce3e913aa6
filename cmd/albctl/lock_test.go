package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/albctl/albctl/internal/simulator"
)

// pauseAt returns a stdout that blocks the apply writing it at the first line containing
// marker, until release is closed; reached is closed when it gets there.
func pauseAt(marker string) (out *syncBuffer, reached, release chan struct{}) {
	reached, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	out = &syncBuffer{onWrite: func(p []byte) {
		if strings.Contains(string(p), marker) {
			once.Do(func() {
				close(reached)
				<-release
			})
		}
	}}
	return out, reached, release
}

func liveInstances(t *testing.T, world string) int {
	t.Helper()
	w, err := simulator.LoadWorld(world)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range w.Instances {
		if in.State == "pending" || in.State == "running" {
			n++
		}
	}
	return n
}

// Two applies on one world file: the second is refused naming the holder, the first
// finishes, nothing is duplicated or overwritten.
func TestConcurrentAppliesOnOneWorld(t *testing.T) {
	ctx := context.Background()
	dir, spec, world := stage(t)
	out, reached, release := pauseAt(": complete after")
	done := make(chan int)
	go func() {
		code, _, _ := run(t, ctx, dir, out, "apply", "-auto-approve", "--world", world, spec)
		done <- code
	}()
	<-reached // the first apply holds the lock and is in its first step

	code, _, stderr := run(t, ctx, dir, nil, "apply", "-auto-approve", "--world", world, spec)
	if code != 1 || !strings.Contains(stderr, "is held by") || !strings.Contains(stderr, "albctl force-unlock") {
		t.Fatalf("second apply: exit %d\n%s", code, stderr)
	}
	if u, err := os.Hostname(); err == nil && !strings.Contains(stderr, "@"+u) {
		t.Errorf("the refusal does not name the holder's host:\n%s", stderr)
	}
	close(release)
	if code := <-done; code != 0 {
		t.Fatalf("first apply: exit %d\n%s", code, out.String())
	}
	if n := liveInstances(t, world); n != 2 {
		t.Errorf("%d live instances, want 2 (source and one member)", n)
	}
	if _, err := os.Stat(world + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock left after apply: %v", err)
	}
	// And once released, the next apply runs and has nothing to do.
	if code, stdout, stderr := run(t, ctx, dir, nil, "apply", "-auto-approve", "--world", world, spec); code != 0 || !strings.Contains(stdout, "No changes") && !strings.Contains(stdout, "no changes") && !strings.Contains(stdout, "matches") {
		t.Fatalf("third apply: exit %d\n%s%s", code, stdout, stderr)
	}
}

// A stale lock (its apply was killed) is removed by force-unlock with its ID, not another.
func TestForceUnlock(t *testing.T) {
	ctx := context.Background()
	dir, spec, world := stage(t)
	stale := `{"id": "0123456789abcdef", "operation": "apply", "who": "ci@runner-7", "where": "simulator", "when": "2025-01-02T03:04:05Z", "plan": "a plan made by this apply", "version": "x"}`
	if err := os.WriteFile(world+".lock", []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, ctx, dir, nil, "apply", "-auto-approve", "--world", world, spec)
	if code != 1 || !strings.Contains(stderr, "held by ci@runner-7") || !strings.Contains(stderr, "since 2025-01-02T03:04:05Z") || !strings.Contains(stderr, "albctl force-unlock 0123456789abcdef") {
		t.Fatalf("apply under a stale lock: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := run(t, ctx, dir, nil, "force-unlock", "--world", world, "ffff", spec); code != 1 || !strings.Contains(stderr, "nothing removed") {
		t.Fatalf("force-unlock with the wrong ID: exit %d\n%s", code, stderr)
	}
	if code, stdout, stderr := run(t, ctx, dir, nil, "force-unlock", "--world", world, "0123456789abcdef", spec); code != 0 || !strings.Contains(stdout, "Released the lock 0123456789abcdef") {
		t.Fatalf("force-unlock: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := run(t, ctx, dir, nil, "apply", "-auto-approve", "--world", world, spec); code != 0 {
		t.Fatalf("apply after force-unlock: exit %d\n%s", code, stderr)
	}
	// -lock=false ignores a lock (for when you know better); plan never takes one.
	os.WriteFile(world+".lock", []byte(stale), 0o600)
	if code, _, stderr := run(t, ctx, dir, nil, "plan", "--world", world, spec); code != 0 {
		t.Fatalf("plan under a lock: %s", stderr)
	}
	if code, _, stderr := run(t, ctx, dir, nil, "apply", "-lock=false", "-auto-approve", "--world", world, spec); code != 0 {
		t.Fatalf("apply -lock=false: %s", stderr)
	}
}

// Ctrl-C during an apply releases the lock.
func TestInterruptReleasesTheLock(t *testing.T) {
	dir, spec, world := stage(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	var once sync.Once
	out.onWrite = func(p []byte) {
		if strings.Contains(string(p), ": complete after") {
			once.Do(func() {
				if _, err := os.Stat(world + ".lock"); err != nil {
					t.Errorf("no lock while applying: %v", err)
				}
				cancel() // Ctrl-C
			})
		}
	}
	code, stdout, stderr := run(t, ctx, dir, out, "apply", "-auto-approve", "--world", world, spec)
	if code != 1 || !regexp.MustCompile(`Apply stopped|interrupted`).MatchString(stdout+stderr) {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(world + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock left after Ctrl-C: %v", err)
	}
}
