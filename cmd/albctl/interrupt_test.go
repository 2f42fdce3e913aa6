package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/albctl/albctl/internal/simulator"
)

var blogDir = filepath.Join("..", "..", "examples", "blog")

// A real Ctrl-C at the "Enter a value:" prompt, sent to an albctl process whose stdin is a
// pipe that stays open: the prompt is cancelled at once (it does not wait for a line), apply
// exits 1 and the world is untouched.
func TestInterruptCancelsPrompt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join(blogDir, "world.json"), world)
	before, _ := os.ReadFile(world)

	cmd := exec.Command("albctl", "apply", "--world", world, blogDir)
	cmd.Env = append(os.Environ(), "ALBCTL_TEST_TTY=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the prompt: read until "Enter a value: " has been printed.
	var seen bytes.Buffer
	r := bufio.NewReader(stdout)
	for !strings.HasSuffix(seen.String(), "Enter a value: ") {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("albctl ended before prompting: %v\nstdout:\n%s\nstderr:\n%s", err, seen.String(), stderr.String())
		}
		seen.WriteByte(b)
	}
	// The warning is repeated right above the question.
	if !strings.Contains(seen.String(), "Before you approve: 1 warning.\n  ! step 2 (create_image.web): OUTAGE") {
		t.Errorf("no warning before the prompt:\n%s", seen.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(r)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("apply exited with %v, want exit status 1\nstderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"Interrupt received: nothing was applied.", "apply cancelled"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	// No call is in flight at the prompt: the message does not speak of one.
	if strings.Contains(stderr.String(), "in flight") {
		t.Errorf("Ctrl-C at the prompt speaks of a call in flight:\n%s", stderr.String())
	}
	if strings.Contains(string(rest), "complete after") {
		t.Errorf("apply started after the interrupt:\n%s", rest)
	}
	after, _ := os.ReadFile(world)
	if !bytes.Equal(before, after) {
		t.Error("the world file changed after an interrupted prompt")
	}
}

// The prompt reads one bounded line: endless input without a newline (apply </dev/zero) is
// refused instead of read into memory, and end of input means no.
func TestPromptIsBounded(t *testing.T) {
	cases := []struct {
		name  string
		stdin io.Reader
		want  string
	}{
		{"endless", zeros{}, "no answer in the first 1024 bytes"},
		{"eof", strings.NewReader(""), "apply cancelled"},
		{"no newline", strings.NewReader("yes please"), "apply cancelled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			m := &Main{Stdin: c.stdin, Stdout: &out, Stderr: &errb, IsTerminal: func() bool { return true }}
			code := m.Run(context.Background(), []string{"apply", blogDir})
			if code != 1 || !strings.Contains(errb.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", code, errb.String(), c.want)
			}
			if strings.Contains(out.String(), "complete after") {
				t.Error("apply started")
			}
		})
	}
}

// everyProgressLine keeps the simulator's "Starting" lines, which these tests stop an
// apply at: without it a step prints one line when it ends.
var everyProgressLine = []string{"ALBCTL_PROGRESS=all"}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// trigger is stdout for an in-process apply: when the apply prints `at`, it delivers `signals`
// interrupts and waits until each took effect, so the stop point is exact.
type trigger struct {
	bytes.Buffer
	at      string
	signals int
	fired   bool
	sigs    chan os.Signal
	stderr  *syncBuffer
	exited  chan int
	// raise, when set, delivers the first signal instead of a send on sigs (a real signal
	// to this process).
	raise func()
}

func (tr *trigger) Write(p []byte) (int, error) {
	n, err := tr.Buffer.Write(p)
	if !tr.fired && strings.Contains(tr.Buffer.String(), tr.at) {
		tr.fired = true
		if tr.raise != nil {
			tr.raise()
		} else {
			tr.sigs <- os.Interrupt
		}
		for !strings.Contains(tr.stderr.String(), "Interrupt received") {
			runtime.Gosched()
		}
		if tr.signals == 2 {
			tr.sigs <- os.Interrupt
			<-tr.exited
		}
	}
	return n, err
}

// Ctrl-C during an apply: the first stops it after the call in flight, and the summary groups
// the steps by outcome and kind; a launch that was issued and not confirmed is said to be so.
func TestInterruptDuringApply(t *testing.T) {
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join(blogDir, "world.json"), world)
	sigs := make(chan os.Signal, 2)
	var stderr syncBuffer
	out := &trigger{at: "launch_instance.web.ap-northeast-1d.1: Starting", signals: 1, sigs: sigs, stderr: &stderr}
	m := &Main{Stdout: out, Stderr: &stderr, Interrupts: sigs, Env: everyProgressLine}
	code := m.Run(context.Background(), []string{"apply", "-auto-approve", "--world", world, blogDir})
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), stderr.String())
	}
	got := out.String()
	// The reason is said in the user's terms, not Go's.
	if !strings.Contains(got, "Apply stopped after 4m24s simulated: interrupted: no new step was started") || strings.Contains(got, "context canceled") {
		t.Errorf("the stop is not said in the user's terms:\n%s", got)
	}
	want := `Done: 3 steps
  1 validate_launch: validate_launch.web.ap-northeast-1d
  1 create_image: create_image.web
  1 enable_stickiness: enable_stickiness.web
Issued but not confirmed: 1 step (AWS may have carried these out; albctl stopped before it saw them finish)
  1 launch_instance: launch_instance.web.ap-northeast-1d.1
Not started: 2 steps
  1 register_target: register_target.web.ap-northeast-1d.1
  1 trim_zones: trim_zones.web
Run apply again`
	if !strings.Contains(got, want) {
		t.Errorf("summary:\n%s\nwant it to contain:\n%s", got, want)
	}
	// Apply again converges from there, creating nothing twice.
	var out2, err2 bytes.Buffer
	m2 := &Main{Stdout: &out2, Stderr: &err2, Env: everyProgressLine}
	if code := m2.Run(context.Background(), []string{"apply", "-auto-approve", "--world", world, blogDir}); code != 0 {
		t.Fatalf("second apply exit %d:\n%s\n%s", code, out2.String(), err2.String())
	}
	if strings.Contains(out2.String(), "launch_instance.web.ap-northeast-1d.1: Starting") {
		t.Errorf("the re-run launched again:\n%s", out2.String())
	}
}

// The second Ctrl-C exits at once; on the simulator it first writes the world file, so what
// was done is kept.
func TestSecondInterruptSavesTheWorld(t *testing.T) {
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join(blogDir, "world.json"), world)
	before, _ := os.ReadFile(world)
	sigs := make(chan os.Signal, 2)
	var stderr syncBuffer
	exited := make(chan int, 1)
	var atExit []byte
	out := &trigger{at: "create_image.web: Complete", signals: 2, sigs: sigs, stderr: &stderr, exited: exited}
	m := &Main{Stdout: out, Stderr: &stderr, Interrupts: sigs, Env: everyProgressLine, Exit: func(code int) {
		atExit, _ = os.ReadFile(world)
		exited <- code
	}}
	m.Run(context.Background(), []string{"apply", "-auto-approve", "--world", world, blogDir})
	if !strings.Contains(stderr.String(), "Second interrupt: saved the simulated world to "+world) {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if bytes.Equal(before, atExit) || !bytes.Contains(atExit, []byte("web-2023-05-14")) {
		t.Error("the world file was not written before the exit: it lacks the image baked before the interrupt")
	}
}

// A hangup (the terminal or SSH session closed) or a SIGTERM during an apply stops it as
// Ctrl-C does: the call in flight finishes, the world is saved and loads, the lock is
// released, the summary is printed. The signal is a real one, sent to this process and
// caught by the same registration as main's.
func TestHangupAndTerminateDuringApply(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGHUP on Windows")
	}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			world := filepath.Join(dir, "world.json")
			copyFile(t, filepath.Join(blogDir, "world.json"), world)
			sigs := make(chan os.Signal, 2)
			notifyStop(sigs)
			defer signal.Stop(sigs)
			var stderr syncBuffer
			out := &trigger{at: "launch_instance.web.ap-northeast-1d.1: Starting", signals: 1, sigs: sigs, stderr: &stderr,
				raise: func() {
					self, _ := os.FindProcess(os.Getpid())
					self.Signal(sig)
				}}
			m := &Main{Stdout: out, Stderr: &stderr, Interrupts: sigs, Env: everyProgressLine}
			code := m.Run(context.Background(), []string{"apply", "-auto-approve", "--world", world, blogDir})
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), stderr.String())
			}
			if want := "Interrupt received (" + map[syscall.Signal]string{syscall.SIGHUP: "SIGHUP", syscall.SIGTERM: "SIGTERM"}[sig] + ")"; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
			if !strings.Contains(out.String(), "Issued but not confirmed: 1 step") || !strings.Contains(out.String(), "Run apply again") {
				t.Errorf("no summary:\n%s", out.String())
			}
			w, err := simulator.LoadWorld(world)
			if err != nil {
				t.Fatalf("the world does not load after %v: %v", sig, err)
			}
			if !slices.ContainsFunc(w.Images, func(im simulator.Image) bool { return im.Name == "web-2023-05-14" }) {
				t.Error("the world lacks the image baked before the signal: it was not saved")
			}
			if _, err := os.Stat(world + ".lock"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the lock is left behind (%v)", err)
			}
		})
	}
}

// A plan stops at once on SIGTERM, even while a call hangs: it has nothing to save, so it does
// not wait for the call in flight. The endpoint is a listener on this machine that never
// answers; the process must end while its request is still held.
func TestTerminateStopsPlanAtOnce(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM to a process on Windows")
	}
	arrived := make(chan struct{}, 16)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cfgDir := t.TempDir()
	cmd := exec.Command("albctl", "plan", "--cloud", "aws", "--endpoint", srv.URL, "--max-attempts", "1", blogDir)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_CONFIG_FILE="+filepath.Join(cfgDir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(cfgDir, "credentials"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-arrived
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("plan exited with %v, want exit status 1\n%s", err, stderr.String())
	}
	for _, want := range []string{"Interrupt received (SIGTERM)", "context canceled"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}
