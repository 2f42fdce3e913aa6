package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
)

// command is one entry of the command table: its name, a one-line summary for the overview,
// its usage line, what it does and examples for 'albctl COMMAND -h'.
type command struct {
	name     string
	summary  string
	usage    string
	about    string
	examples []string
	run      func(m *Main, ctx context.Context, args []string) error
	// foreignFlags marks commands whose flag set is built in a file this one does not drive
	// (sim, bench): Run answers their -h by capturing what their flag set prints.
	foreignFlags bool
	hidden       bool
}

// commands is the one table of albctl's commands, in the order 'albctl help' lists them.
// It is a function so that the table can refer to 'help', which prints the table.
func commands() []command {
	return []command{
		{
			name: "init", summary: "write a starting spec from an existing instance, target group and ALB",
			usage: "albctl init [-cloud aws|sim] [-o FILE] [-target-group NAME] [flags] [SOURCE]",
			about: "Observe the account (or a simulator world: --world FILE, default the built-in seed world)\n" +
				"and write a starting spec for SOURCE, an instance ID or Name tag: its target group, that\n" +
				"group's load balancer, and a fleet over the source's zone and a second one, with comments\n" +
				"naming what was found. Without SOURCE, list the instances that are registered targets of a\n" +
				"target group behind an ALB and ask (on a terminal). Read-only calls only; never overwrites\n" +
				"a file. See docs/init.md.",
			examples: []string{
				"albctl init web                                  # the built-in seed world -> alb.hcl",
				"albctl init --cloud aws --region eu-west-1 -o spec/alb.hcl i-0123456789abcdef0",
				"albctl init --cloud aws                          # list the candidates and ask",
			},
			run: (*Main).initCmd,
		},
		{
			name: "validate", summary: "check the spec files in DIR (default \".\")",
			usage: "albctl validate [-var NAME=VALUE] [-var-file FILE.albvars] [DIR | FILE]",
			about: "Load and check the spec: syntax, references, types and AWS's limits. Reads no cloud.",
			examples: []string{
				"albctl validate examples/blog",
				"albctl validate -var app_version=2024-01-02 .",
			},
			run: (*Main).validate,
		},
		{
			name: "plan", summary: "show the ordered steps that take the world to the spec",
			usage: "albctl plan [-json | -markdown] [-graph=dot|mermaid] [-rehearse] [-out FILE] [-detailed-exitcode] [DIR]",
			about: "Observe what exists, compare it with the spec, and print the steps apply would take,\n" +
				"each with the reason it is needed. Changes nothing.",
			examples: []string{
				"albctl plan examples/blog",
				"albctl plan -out change.plan             # then: albctl apply change.plan",
				"albctl plan -markdown > plan.md          # a pull-request comment",
				"albctl plan -detailed-exitcode           # exit 2 when there are changes (CI)",
				"albctl plan -graph=mermaid",
				"albctl plan -rehearse -traffic-chart change.svg   # what clients would see, on a copy",
				"albctl plan -rehearse -markdown > comment.md     # the same, in a pull-request comment",
			},
			run: (*Main).plan,
		},
		{
			name: "apply", summary: "carry out those steps (or the steps of a saved plan file)",
			usage: "albctl apply [-auto-approve] [-json] [DIR | PLANFILE]",
			about: "Plan, ask for approval ('yes' on a terminal), then carry out the steps. With a saved plan\n" +
				"file, carry out exactly its steps, after checking that nothing it was made from changed.\n" +
				"Ctrl-C once: finish the call in flight and stop; twice: stop at once.",
			examples: []string{
				"albctl apply examples/blog",
				"albctl apply change.plan",
				"albctl apply -auto-approve -json --world world.json examples/blog",
				"albctl apply -traffic-chart apply.svg --faults faults.json --world world.json examples/blog",
			},
			run: (*Main).apply,
		},
		{
			name: "show", summary: "render a saved plan file",
			usage: "albctl show [-json | -markdown] PLANFILE",
			about: "Print a plan saved with 'albctl plan -out FILE', as text, JSON or markdown.",
			examples: []string{
				"albctl show change.plan",
				"albctl show -markdown change.plan > comment.md",
			},
			run: (*Main).show,
		},
		{
			name: "fmt", summary: "rewrite spec files in canonical form",
			usage: "albctl fmt [-check] [-diff] [DIR | FILE]",
			about: "Rewrite *.hcl spec files and *.albvars variable files in canonical form. With -check,\n" +
				"change nothing and exit 3 when a file is not formatted.",
			examples: []string{
				"albctl fmt",
				"albctl fmt -check -diff examples/blog",
			},
			run: (*Main).fmtCmd,
		},
		iamPolicyCommand(),
		{
			name: "force-unlock", summary: "remove a stale apply lock by its ID",
			usage: "albctl force-unlock [flags] LOCK_ID [DIR]",
			about: "Remove the apply lock of the stack in DIR (the spec's cloud.lock against AWS, the lock\n" +
				"file beside --world on the simulator), when the apply that took it is gone. The ID is in\n" +
				"the message of the apply the lock refused.",
			examples: []string{
				"albctl force-unlock 3f9c2a… examples/blog",
				"albctl force-unlock --world world.json 3f9c2a… examples/blog",
			},
			run: (*Main).forceUnlock, foreignFlags: true,
		},
		{
			name: "sim", summary: "simulator tools: seed an endpoint from a world file, snapshot an account",
			usage: "albctl sim seed|snapshot [flags]",
			about: "Copy a topology between a world file and an AWS-API endpoint.",
			examples: []string{
				"albctl sim seed --endpoint http://localhost:5000 examples/blog/world.json",
				"albctl sim snapshot --cloud aws --profile prod -o prod.json",
			},
			run: (*Main).sim, foreignFlags: true,
		},
		{
			name: "sim seed", hidden: true,
			examples: []string{"albctl sim seed --endpoint http://localhost:5000 examples/blog/world.json"},
			run:      (*Main).simSeed, foreignFlags: true,
		},
		{
			name: "sim snapshot", hidden: true,
			examples: []string{
				"albctl sim snapshot --endpoint http://localhost:5000 --region ap-northeast-1 -o world.json",
				"albctl sim snapshot --cloud aws --profile prod -o prod.json",
			},
			run: (*Main).simSnapshot, foreignFlags: true,
		},
		{
			name: "bench", summary: "measure plan and apply cost against fleet size",
			examples: []string{"albctl bench -n 10,100 -k 1,5", "albctl bench -markdown docs/benchmarks.md"},
			run:      (*Main).bench, foreignFlags: true,
		},
		{
			name: "version", summary: "print the version",
			usage:    "albctl version [-json]",
			about:    "Print albctl's version, from the build (module version, VCS revision) and the Go version.",
			examples: []string{"albctl version", "albctl version -json"},
			run:      (*Main).version,
		},
		{
			name: "help", summary: "show this help, or a command's",
			usage:    "albctl help [COMMAND]",
			examples: []string{"albctl help plan"},
			run:      (*Main).help,
		},
	}
}

func lookupCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		if !c.hidden {
			names = append(names, c.name)
		}
	}
	return names
}

func usage() string {
	var b strings.Builder
	b.WriteString("Usage: albctl <command> [flags] [DIR]\n\nCommands:\n")
	for _, c := range commands() {
		if !c.hidden {
			fmt.Fprintf(&b, "  %-9s  %s\n", c.name, c.summary)
		}
	}
	b.WriteString("\nFlags take one dash or two (-json, --json). Run 'albctl <command> -h' for its flags and examples.\n")
	return b.String()
}

func (m *Main) help(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stdout, usage())
		return nil
	}
	c := lookupCommand(args[0])
	if c == nil {
		msg := fmt.Sprintf("no command %q", args[0])
		if s := suggest(args[0], commandNames()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return fmt.Errorf("%s", msg)
	}
	rest := append(slices.Clone(args[1:]), "-h")
	if c.foreignFlags {
		return m.foreignHelp(ctx, c, rest)
	}
	return c.run(m, ctx, rest)
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// foreignHelp prints the help of a command whose flag set prints its own usage: it runs the
// command with -h alone, so no other flag can fail first, and shows what it printed on stdout.
func (m *Main) foreignHelp(ctx context.Context, c *command, args []string) error {
	sub := *c
	var pos []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			break
		}
	}
	// "sim seed -h": the subcommand's own entry has its examples.
	if len(pos) == 1 {
		if s := lookupCommand(c.name + " " + pos[0]); s != nil {
			sub = *s
		}
	}
	var buf bytes.Buffer
	quiet := &Main{Stdin: m.Stdin, Stdout: &buf, Stderr: &buf, Env: m.Env, Exit: m.Exit}
	callArgs := []string{"-h"}
	if sub.name != c.name {
		callArgs = []string{pos[0], "-h"}
	}
	_ = c.run(quiet, ctx, callArgs)
	m.Stdout.Write(buf.Bytes())
	writeExamples(m, sub.examples)
	return nil
}

func writeExamples(m *Main, examples []string) {
	if len(examples) == 0 {
		return
	}
	fmt.Fprint(m.Stdout, "\nExamples:\n")
	for _, e := range examples {
		fmt.Fprintf(m.Stdout, "  %s\n", e)
	}
}

// suggest returns the candidate closest to name, if it is close enough to be a typo: at most
// two edits, and fewer than half of name's letters.
func suggest(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(name, c)
		if d < bestD && d*2 < max(len(name), 2) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (optimal string alignment), so a swap of
// two letters ("plna") counts as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = slices.Min([]int{d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + cost})
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
