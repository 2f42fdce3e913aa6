package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the golden output inside testdata/script/*.txtar")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"albctl": func() {
			sigs := make(chan os.Signal, 2)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			stdout, stderr := processOutput()
			main := &Main{
				Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Env: os.Environ(),
				// Scripts cannot attach a terminal; ALBCTL_TEST_TTY=1 stands in for one, and
				// ALBCTL_TEST_STDOUT_TTY=1 for a terminal on stdout (colour).
				IsTerminal:       func() bool { return os.Getenv("ALBCTL_TEST_TTY") == "1" },
				StdoutIsTerminal: func() bool { return os.Getenv("ALBCTL_TEST_STDOUT_TTY") == "1" },
				Interrupts:       sigs,
			}
			os.Exit(main.Run(context.Background(), os.Args[1:]))
		},
	})
}

// TestScripts runs the CLI journeys in testdata/script. Each script gets the blog example
// copied into $WORK/blog; go test -run TestScripts -update rewrites their golden output.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			return copyDir(filepath.Join("..", "..", "examples", "blog"), filepath.Join(env.WorkDir, "blog"))
		},
	})
}

func copyDir(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
