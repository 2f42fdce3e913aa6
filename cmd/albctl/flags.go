package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// stringList is a repeatable flag (-var a=1 -var b=2).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// common holds the flags every command that reads a spec and talks to a cloud shares.
type common struct {
	vars     stringList
	varFiles stringList
	target   targetFlags
}

type targetFlags struct {
	cloud       string
	world       string
	region      string
	profile     string
	endpoint    string
	retryMode   string
	maxAttempts int
	realAWS     bool
	lockFlags   // apply only: -lock, -lock-timeout (target.go)
	// faults is --faults FILE, registered by plan and apply only: faults for the
	// simulator's apply and for rehearsals.
	faults string
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func (c *common) register(fs *flag.FlagSet) {
	c.registerVars(fs)
	c.target.register(fs)
}

func (c *common) registerVars(fs *flag.FlagSet) {
	fs.Var(&c.vars, "var", "set a variable: -var 'name=value' (repeatable)")
	fs.Var(&c.varFiles, "var-file", "load variable values from FILE.albvars, name = value lines in HCL (repeatable)")
}

func (t *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.cloud, "cloud", "", "where to act: sim or aws (default: the spec's cloud.target, else sim)")
	fs.StringVar(&t.world, "world", "", "simulator world file: read, and written back by apply (default: the built-in seed world, not saved)")
	fs.StringVar(&t.region, "region", "", "AWS region (default: the spec's cloud.region, else AWS_REGION / shared config)")
	fs.StringVar(&t.profile, "profile", "", "AWS shared-config profile (default: the spec's, else AWS_PROFILE)")
	fs.StringVar(&t.endpoint, "endpoint", "", "AWS API endpoint URL, e.g. moto or LocalStack (default: AWS_ENDPOINT_URL)")
	fs.StringVar(&t.retryMode, "retry-mode", "", "SDK retry mode: standard or adaptive (default: adaptive for apply, standard otherwise)")
	fs.IntVar(&t.maxAttempts, "max-attempts", 0, "SDK max attempts per call (default: the SDK's, or AWS_MAX_ATTEMPTS)")
}

// flagSet makes the flag set of one of albctl's commands. Every command takes -no-color, as
// Terraform's do; help and errors are printed by parse, not by the flag package.
func (m *Main) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.BoolVar(&m.noColor, "no-color", false, "never colour the output (NO_COLOR does the same)")
	return fs
}

// parse parses a command's flags as parseInterspersed does. -h prints the command's help on
// stdout and exits 0; a bad flag is an error on stderr that points to the help.
func (m *Main) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		m.printHelp(fs)
		return nil, &exitError{code: 0}
	}
	if err != nil {
		return nil, &exitError{code: 1, err: fmt.Errorf("%w\nRun 'albctl %s -h' for the flags of %s.", err, fs.Name(), fs.Name())}
	}
	return pos, nil
}

// printHelp writes a command's usage, what it does, its flags and examples to stdout.
func (m *Main) printHelp(fs *flag.FlagSet) {
	c := lookupCommand(fs.Name())
	if c == nil {
		c = &command{name: fs.Name(), usage: "albctl " + fs.Name() + " [flags]"}
	}
	fmt.Fprintf(m.Stdout, "Usage: %s\n\n", c.usage)
	if c.about != "" {
		fmt.Fprintf(m.Stdout, "%s\n\n", c.about)
	}
	fmt.Fprintln(m.Stdout, "Flags (one dash or two):")
	fs.SetOutput(m.Stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	writeExamples(m, c.examples)
}

// parseInterspersed parses flags that may come before or after positional arguments, as
// Terraform users type them (albctl plan examples/blog -json).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		// The flag package has printed the problem (or the help) already.
		if errors.Is(err, flag.ErrHelp) {
			return nil, &exitError{code: 0, err: errReported}
		}
		return nil, &exitError{code: 1, err: errReported}
	}
	return pos, nil
}

func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := flagAsValue(fs, args); err != nil {
		return nil, err
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// flagAsValue refuses a flag that takes a value followed by another of the command's flags
// (-graph --world x): the flag package would take "--world" as the graph format and "x" as
// the directory. A value that really starts with a dash is written -graph=VALUE.
func flagAsValue(fs *flag.FlagSet, args []string) error {
	for i := 0; i+1 < len(args); i++ {
		a := args[i]
		if a == "--" {
			return nil
		}
		name, ok := flagName(a)
		if !ok || strings.Contains(a, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil || isBool(f) {
			continue
		}
		if next, ok := flagName(args[i+1]); ok && fs.Lookup(next) != nil {
			return fmt.Errorf("flag %s needs a value, but is followed by the flag %s; if the value starts with a dash, write %s=VALUE", a, args[i+1], a)
		}
		i++ // the value
	}
	return nil
}

// flagName is the name of a flag argument ("-graph", "--world=x"), without dashes or value.
func flagName(a string) (string, bool) {
	if len(a) < 2 || a[0] != '-' || a == "--" {
		return "", false
	}
	name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	name, _, _ = strings.Cut(name, "=")
	return name, name != ""
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// oneDir returns the single optional directory argument, "." by default.
func oneDir(cmd string, positional []string) (string, error) {
	switch len(positional) {
	case 0:
		return ".", nil
	case 1:
		return positional[0], nil
	}
	return "", &exitError{code: 1, err: fmt.Errorf("%s takes at most one directory or file, got %q", cmd, positional)}
}

// conflicting refuses flags that cannot be combined (-graph=dot -json), instead of letting
// one silently win.
func conflicting(fs *flag.FlagSet, names ...string) error {
	var set []string
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(names, f.Name) {
			set = append(set, "-"+f.Name)
		}
	})
	if len(set) > 1 {
		return &exitError{code: 1, err: fmt.Errorf("%s cannot be used together: each chooses the output format; pick one", strings.Join(set, " and "))}
	}
	return nil
}
