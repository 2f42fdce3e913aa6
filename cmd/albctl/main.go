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
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "0.1.0-dev"

// Main is the program with its environment, so tests run it in-process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Env    []string
	// IsTerminal reports whether stdin is an interactive terminal (for apply's prompt).
	IsTerminal func() bool
	// StdoutIsTerminal reports whether progress may use colour and a live line.
	StdoutIsTerminal func() bool
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// The first Ctrl-C stops apply gracefully; restore the default so a second one kills.
		<-ctx.Done()
		stop()
	}()
	m := &Main{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Env: os.Environ(),
		IsTerminal:       stdinIsTerminal,
		StdoutIsTerminal: func() bool { return isTerminal(os.Stdout) },
	}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

func stdinIsTerminal() bool { return isTerminal(os.Stdin) }

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

const usage = `Usage: albctl <command> [flags] [DIR]

Commands:
  validate   check the spec files in DIR (default ".")
  plan       show the ordered steps that take the world to the spec
  apply      carry out those steps (or the steps of a saved plan file)
  show       render a saved plan file
  fmt        rewrite spec files in canonical form
  sim        simulator tools: seed an endpoint from a world file, snapshot an account
  bench      measure plan and apply cost against fleet size
  version    print the version

Flags take one dash or two (-json, --json). Run 'albctl <command> -h' for its flags.
`

// Run runs one command and returns the process exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return 1
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "validate":
		err = m.validate(ctx, rest)
	case "plan":
		err = m.plan(ctx, rest)
	case "apply":
		err = m.apply(ctx, rest)
	case "version", "-version", "--version", "-v":
		fmt.Fprintf(m.Stdout, "albctl %s\n", Version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, usage)
	default:
		if c, ok := extraCommands[cmd]; ok {
			err = c(m, ctx, rest)
			break
		}
		fmt.Fprintf(m.Stderr, "albctl: unknown command %q\n\n%s", cmd, usage)
		return 1
	}
	return m.exit(err)
}

// extraCommands are registered by the files that implement them.
var extraCommands = map[string]func(m *Main, ctx context.Context, args []string) error{}

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
