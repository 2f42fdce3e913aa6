// Command albctl plans and applies the scaling of a web app behind an AWS Application Load
// Balancer, from spec files in HCL, against AWS or a built-in simulator of EC2 and ELBv2.
//
// This package is the imperative shell: flags, wiring, prompts and rendering. Decisions live
// in plan, I/O with the cloud in cloud and engine.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/term"

	"github.com/albctl/albctl/internal/backend"
)

// Version is albctl's version. A release build sets it with -ldflags "-X main.Version=v1.2.3";
// otherwise it comes from the module's build information (see version.go).
var Version = ""

func init() {
	if Version == "" {
		Version = buildVersion().Version
	}
}

// Main is the program with its environment, so tests run it in-process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Env    []string
	// IsTerminal reports whether stdin is an interactive terminal (for apply's prompt).
	IsTerminal func() bool
	// StdoutIsTerminal reports whether output may use colour and a live line.
	StdoutIsTerminal func() bool
	// Interrupts delivers Ctrl-C, SIGTERM and SIGHUP (notifyStop). nil: the command cannot be
	// interrupted other than through its context.
	Interrupts <-chan os.Signal
	// Exit ends the process at once (the second Ctrl-C); os.Exit by default.
	Exit func(code int)

	// Net is the resolver and dial hook of the AWS clients (zero: the system's; see net).
	Net backend.Net

	noColor bool // -no-color was given

	mu sync.Mutex
	// onForce is what a second interrupt does before the process exits: save what can be
	// saved and say what may be lost. Set by the command that is running.
	onForce func()
	// onInterrupt, when set, is what the first interrupt means now, for the message that
	// acknowledges it (at apply's prompt no call is in flight).
	onInterrupt string
	// opened are the backends this Main opened: their locks go when the command ends.
	opened []*backend.Backend
}

// exitError carries an exit code other than 1 (e.g. plan -detailed-exitcode's 2).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// errReported means the error was already printed (e.g. HCL diagnostics with snippets).
var errReported = errors.New("reported")

func main() {
	sigs := make(chan os.Signal, 2)
	notifyStop(sigs)
	stdout, stderr := processOutput()
	m := &Main{
		Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Env: os.Environ(),
		IsTerminal:       func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		StdoutIsTerminal: func() bool { return term.IsTerminal(int(os.Stdout.Fd())) },
		Interrupts:       sigs,
	}
	os.Exit(m.Run(context.Background(), os.Args[1:]))
}

// stopSignals all stop a command the same way (docs/security.md): Ctrl-C, a service
// manager's SIGTERM, and the SIGHUP of a closed terminal or SSH session, which would otherwise
// kill an apply mid-call, leaving the world unsaved and the lock held.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// notifyStop delivers stopSignals to ch instead of letting them kill the process.
func notifyStop(ch chan<- os.Signal) { signal.Notify(ch, stopSignals...) }

// Run runs one command and returns the process exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if m.Exit == nil {
		m.Exit = os.Exit
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if m.Interrupts != nil {
		done := make(chan struct{})
		defer close(done)
		go m.watchInterrupts(done, cancel)
	}
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage())
		return 1
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version", "-v":
		name = "version"
	}
	c := lookupCommand(name)
	if c == nil {
		fmt.Fprintf(m.Stderr, "albctl: unknown command %q.", name)
		if s := suggest(name, commandNames()); s != "" {
			fmt.Fprintf(m.Stderr, " Did you mean %q?", s)
		}
		fmt.Fprintf(m.Stderr, "\n\n%s", usage())
		return 1
	}
	// Commands that parse their own flags outside this file still answer -h with their help
	// on stdout and exit 0, as every albctl command does.
	if c.foreignFlags && wantsHelp(rest) {
		return m.exit(m.foreignHelp(ctx, c, rest))
	}
	return m.exit(c.run(m, ctx, rest))
}

// watchInterrupts turns the first interrupt into a cancelled context — the command finishes
// the API call in flight and stops — and the second into an exit, after saving what can be.
func (m *Main) watchInterrupts(done <-chan struct{}, cancel context.CancelFunc) {
	n := 0
	for {
		select {
		case <-done:
			return
		case sig := <-m.Interrupts:
			n++
			if n == 1 {
				m.mu.Lock()
				meaning := m.onInterrupt
				m.mu.Unlock()
				if meaning == "" {
					meaning = "finishing the call in flight, starting nothing new. Press Ctrl-C again to stop at once"
				}
				cancel()
				fmt.Fprintf(m.Stderr, "\nInterrupt received%s: %s.\n", signalName(sig), meaning)
				continue
			}
			m.mu.Lock()
			force := m.onForce
			m.mu.Unlock()
			if force != nil {
				force()
			} else {
				fmt.Fprintln(m.Stderr, "Second interrupt: stopping at once.")
			}
			m.Exit(1)
			return
		}
	}
}

// signalName names a stop signal other than Ctrl-C, for the message that acknowledges it.
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return " (SIGTERM)"
	case syscall.SIGHUP:
		return " (SIGHUP)"
	}
	return ""
}

// setOnForce installs what a second interrupt does; nil removes it.
func (m *Main) setOnForce(f func()) {
	m.mu.Lock()
	m.onForce = f
	m.mu.Unlock()
}

func (m *Main) exit(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && !errors.Is(ee.err, errReported) {
			fmt.Fprintf(m.Stderr, "Error: %v\n", ee.err)
		}
		return ee.code
	}
	if !errors.Is(err, errReported) {
		fmt.Fprintf(m.Stderr, "Error: %v\n", err)
	}
	return 1
}

func (m *Main) getenv(key string) string {
	v := ""
	for _, kv := range m.Env {
		if len(kv) > len(key) && kv[:len(key)] == key && kv[len(key)] == '=' {
			v = kv[len(key)+1:]
		}
	}
	return v
}

// colour reports whether output to stdout may carry ANSI colour: a terminal, no -no-color,
// no NO_COLOR (https://no-color.org), and not TERM=dumb.
func (m *Main) colour() bool {
	return !m.noColor && m.StdoutIsTerminal != nil && m.StdoutIsTerminal() &&
		m.getenv("NO_COLOR") == "" && m.getenv("TERM") != "dumb"
}
