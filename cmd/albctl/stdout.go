package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// processOutput prepares the process's standard output for an apply that must end with its
// summary (docs/apply.md, "Interrupting"). Piped through tee, one Ctrl-C stops tee too; the
// next write to the closed pipe would kill albctl with SIGPIPE before it saves the world and
// says what was done. Asking for SIGPIPE turns that into an EPIPE error, and stdout then
// fails over to stderr. Notify, not Ignore: an ignored signal stays ignored in any child.
func processOutput() (stdout, stderr io.Writer) {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	return &failoverWriter{w: os.Stdout, fallback: os.Stderr}, os.Stderr
}

// failoverWriter writes to w until a write fails, then, after a line saying so, to fallback.
type failoverWriter struct {
	mu       sync.Mutex
	w        io.Writer
	fallback io.Writer
	failed   bool
}

func (f *failoverWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rest := p
	if !f.failed {
		n, err := f.w.Write(p)
		if err == nil {
			return n, nil
		}
		f.failed = true
		fmt.Fprintf(f.fallback, "\nalbctl: standard output is closed (%v); the rest of the output follows here.\n", err)
		rest = p[n:]
	}
	if _, err := f.fallback.Write(rest); err != nil {
		return len(p) - len(rest), err
	}
	return len(p), nil
}
