package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/discover"
	"github.com/albctl/albctl/internal/specs"
)

// init observes an account (or a simulator world) and writes a starting spec for an existing
// source instance, its target group and its load balancer. internal/discover reads, decides
// and renders; this file keeps the flags, the question and the printing. See docs/init.md.

// regionClients are the clients init reads the region through (cloud.ReadRegion, as a
// snapshot does): on AWS the SDK clients of the configuration openBackend built, with its
// endpoint guard and credential rules; on the simulator its own clients.
func regionClients(be *backend.Backend) cloud.RegionAPI {
	if be.Clients != nil {
		return cloud.RegionAPI{EC2: be.Clients.EC2, ELBV2: be.Clients.ELBV2, IAM: be.Clients.IAM}
	}
	return cloud.RegionAPI{EC2: be.Sim.EC2(), ELBV2: be.Sim.ELBV2(), IAM: be.Sim.IAM()}
}

type initFlags struct {
	target      targetFlags
	out         string
	targetGroup string
}

func (m *Main) initCmd(ctx context.Context, args []string) error {
	var f initFlags
	fs := m.flagSet("init")
	f.target.register(fs)
	fs.StringVar(&f.out, "o", "alb.hcl", "write the spec to FILE (never overwritten)")
	fs.StringVar(&f.targetGroup, "target-group", "", "the target group to use when the source is registered in several behind an ALB (its name)")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return &exitError{code: 1, err: fmt.Errorf("init takes at most one SOURCE (an instance ID or Name tag), got %q", pos)}
	}
	// Refuse before reading anything: init never overwrites (the write below refuses too,
	// should the file appear meanwhile).
	if err := refuseExisting(f.out); err != nil {
		return err
	}
	be, err := m.openBackend(ctx, f.target, nil, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "albctl: %s\n\n", be.Header)
	acct, err := discover.ReadAccount(ctx, regionClients(be))
	if err != nil {
		return err
	}
	source := ""
	if len(pos) == 1 {
		source = pos[0]
	} else {
		if source, err = m.askSource(ctx, acct.Candidates(), be); err != nil {
			return err
		}
	}
	facts, err := acct.Facts(ctx, source, f.targetGroup)
	if err != nil {
		return err
	}
	prop, err := discover.Propose(facts, initOrigin(be))
	if err != nil {
		return err
	}
	spec := discover.Render(prop)
	if err := checkGenerated(spec, f.out); err != nil {
		return err
	}
	if err := writeNew(f.out, spec); err != nil {
		return err
	}
	writeInitSummary(m.Stdout, prop, f)
	return nil
}

// initOrigin says what init read, for the spec's first comment and its cloud block.
func initOrigin(be *backend.Backend) discover.Origin {
	o := discover.Origin{Kind: be.Kind, Where: be.Header, Region: be.Region}
	if be.Kind == "sim" {
		o.Where = "the simulator's built-in seed world"
		if be.WorldPath != "" {
			o.Where = "the simulator world " + be.WorldPath
		}
	}
	return o
}

// refuseExisting fails when path exists: init writes a new file or nothing.
func refuseExisting(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return &exitError{code: 1, err: fmt.Errorf("%s already exists: init never overwrites a file. Move it away, or write elsewhere with -o FILE", path)}
	} else if !errors.Is(err, os.ErrNotExist) {
		return &exitError{code: 1, err: fmt.Errorf("%s: %w", path, err)}
	}
	return nil
}

// writeNew creates path with data, failing if it exists (O_EXCL: no race with another writer).
func writeNew(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return refuseExisting(path)
	}
	if err != nil {
		return fmt.Errorf("write the spec: %w", err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return fmt.Errorf("write the spec %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write the spec %s: %w", path, err)
	}
	return nil
}

// checkGenerated loads the generated spec the way plan will, in a scratch directory, so that
// init never leaves behind a file that does not validate.
func checkGenerated(spec []byte, out string) error {
	dir, err := os.MkdirTemp("", "albctl-init-")
	if err != nil {
		return fmt.Errorf("check the generated spec: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(out)), spec, 0o644); err != nil {
		return fmt.Errorf("check the generated spec: %w", err)
	}
	_, _, diags := specs.Load(dir, specs.Options{})
	if diags.HasErrors() {
		return fmt.Errorf("the spec init generated does not validate (a bug in albctl init; nothing was written): %s", diags.Error())
	}
	return nil
}

// askSource lists the candidate sources and, on a terminal, asks for one; otherwise it fails
// with the list, so a script sees what to pass.
func (m *Main) askSource(ctx context.Context, cands []discover.Candidate, be *backend.Backend) (string, error) {
	if len(cands) == 0 {
		return "", fmt.Errorf("no instance in %s is a registered target of a target group behind an Application Load Balancer: albctl scales what already sits behind one (create the target group and the load balancer, register the instance, then run init again)", be.Region)
	}
	if m.IsTerminal == nil || !m.IsTerminal() {
		var b strings.Builder
		fmt.Fprintf(&b, "init needs a SOURCE, the instance to scale out (by ID or Name tag); stdin is not a terminal, so it cannot ask. %s:\n", discover.CandidatesTitle)
		discover.WriteCandidates(&b, cands)
		b.WriteString("Run: albctl init [flags] SOURCE")
		return "", &exitError{code: 1, err: errors.New(b.String())}
	}
	fmt.Fprintf(m.Stdout, "%s:\n", discover.CandidatesTitle)
	discover.WriteCandidates(m.Stdout, cands)
	fmt.Fprint(m.Stdout, "\nWhich instance is the source to scale out?\n  Enter its number, ID or Name tag.\n\n  Enter a value: ")
	answer := make(chan readResult, 1)
	go func() {
		line, err := readLine(m.Stdin, maxAnswer)
		answer <- readResult{line, err}
	}()
	var res readResult
	select {
	case <-ctx.Done():
		fmt.Fprintln(m.Stdout)
		return "", &exitError{code: 1, err: errors.New("init cancelled")}
	case res = <-answer:
	}
	fmt.Fprintln(m.Stdout)
	if res.err != nil && !errors.Is(res.err, io.EOF) {
		return "", fmt.Errorf("read the source: %w", res.err)
	}
	v := strings.TrimSpace(res.line)
	if v == "" {
		return "", &exitError{code: 1, err: errors.New("init cancelled: no source given")}
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 1 || n > len(cands) {
			return "", fmt.Errorf("no candidate number %d: enter 1 to %d, an instance ID or a Name tag", n, len(cands))
		}
		return cands[n-1].ID, nil
	}
	return v, nil
}

// writeInitSummary says what init found and what to run next.
func writeInitSummary(w io.Writer, p *discover.Proposal, fl initFlags) {
	src := p.Source
	fmt.Fprintf(w, "Found:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  source\t%s%s, %s in %s (%s)\n", src.ID, discover.QuotedName(src.Name), src.Type, src.AZ, src.Subnet)
	fmt.Fprintf(tw, "  target group\t%s (%s %d), stickiness %s\n", p.TargetGroup.Name, p.TargetGroup.Protocol, p.TargetGroup.Port, p.Stickiness.Summary())
	for _, lb := range p.LoadBalancers {
		fmt.Fprintf(tw, "  load balancer\t%s, zones %s\n", lb.Name, strings.Join(lb.ZoneNames(), ", "))
	}
	fmt.Fprintf(tw, "  second zone\t%s (%s)\n", p.Zone.AZ, p.Zone.Short)
	tw.Flush()
	dir := filepath.Dir(fl.out)
	next := "albctl plan"
	for _, fv := range []struct{ name, v string }{{"--world", fl.target.world}, {"--endpoint", fl.target.endpoint}, {"--profile", fl.target.profile}} {
		if fv.v != "" {
			next += " " + fv.name + " " + fv.v
		}
	}
	if dir != "." {
		next += " " + dir
	}
	fmt.Fprintf(w, "\nWrote %s. Review it (every setting says why it is there), then run:\n    %s\n", fl.out, next)
	if others := otherSpecFiles(dir, filepath.Base(fl.out)); len(others) > 0 {
		fmt.Fprintf(w, "\nNote: %s also holds %s; plan reads every *.hcl file of a directory together.\n", dir, strings.Join(others, ", "))
	}
}

func otherSpecFiles(dir, self string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	var out []string
	for _, p := range matches {
		if filepath.Base(p) != self {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}
