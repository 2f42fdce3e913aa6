package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/bench"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/mirror"
)

// benchConfig is what the bench flags ask for.
type benchConfig struct {
	jsonOut     bool
	markdown    string
	minTime     time.Duration
	ns, ks      []int
	lats        []bench.LatencyConfig
	rollMembers []int
	motoURL     string
	motoSizes   []int
}

// parseBench reads the bench flags.
func (m *Main) parseBench(args []string) (*benchConfig, error) {
	fs := newFlagSet("bench", m.Stderr)
	c := &benchConfig{}
	fs.BoolVar(&c.jsonOut, "json", false, "print one JSON object per N, one per line, instead of the table")
	nsFlag := fs.String("n", "10,100,1000,10000", "instance counts to measure, comma-separated")
	ksFlag := fs.String("k", "1,5,20", "instances to launch in the simulated applies, comma-separated")
	fs.StringVar(&c.markdown, "markdown", "", "also write the results page, with the machine it ran on, to FILE (e.g. docs/benchmarks.md)")
	fs.DurationVar(&c.minTime, "time", 300*time.Millisecond, "minimum duration of each timed measurement")
	latFlag := fs.String("latency", "50,150", "round trips to inject in front of every call, in ms, comma-separated (\"none\": skip; 150 is also measured with half the calls in flight)")
	rollFlag := fs.String("rollouts", "2,10,50", "fleet sizes whose rollout is timed, comma-separated (\"none\": skip)")
	fs.StringVar(&c.motoURL, "moto", "", "also plan through the SDK against the moto at `URL` (local only; it is reset and seeded)")
	motoNs := fs.String("moto-n", "10,100", "instance counts to measure against moto, comma-separated (seeding is one RunInstances per instance: 1000 takes several minutes)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, fmt.Errorf("bench takes no arguments, got %q", pos)
	}
	if c.ns, err = bench.ParseInts(*nsFlag); err != nil {
		return nil, fmt.Errorf("-n: %w", err)
	}
	if c.ks, err = bench.ParseInts(*ksFlag); err != nil {
		return nil, fmt.Errorf("-k: %w", err)
	}
	if c.lats, err = parseLatencies(*latFlag); err != nil {
		return nil, fmt.Errorf("-latency: %w", err)
	}
	if *rollFlag != "none" {
		if c.rollMembers, err = bench.ParseInts(*rollFlag); err != nil {
			return nil, fmt.Errorf("-rollouts: %w", err)
		}
	}
	if c.motoURL != "" {
		if c.motoSizes, err = bench.ParseInts(*motoNs); err != nil {
			return nil, fmt.Errorf("-moto-n: %w", err)
		}
	}
	return c, nil
}

// parseLatencies reads -latency: round trips in ms, 150 measured with half the calls in
// flight too; "none" is no latency measurement.
func parseLatencies(s string) ([]bench.LatencyConfig, error) {
	if s == "none" {
		return nil, nil
	}
	ms, err := bench.ParseInts(s)
	if err != nil {
		return nil, err
	}
	var lats []bench.LatencyConfig
	for _, v := range ms {
		lats = append(lats, bench.LatencyConfig{RTT: time.Duration(v) * time.Millisecond})
		if v == 150 {
			lats = append(lats, bench.LatencyConfig{RTT: 150 * time.Millisecond, MaxInFlight: cloud.DefaultMaxInFlight / 2})
		}
	}
	return lats, nil
}

// bench measures plan and apply cost against fleet size on generated simulator worlds: a table
// (or one JSON object per N with -json), and with -markdown the results page with the machine.
func (m *Main) bench(ctx context.Context, args []string) error {
	c, err := m.parseBench(args)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(m.Stdout)
	opts := bench.Options{
		MinTime:   c.minTime,
		Latencies: c.lats,
		NoLatency: len(c.lats) == 0,
		Progress: func(r bench.Row) {
			if c.jsonOut {
				enc.Encode(r)
			}
		},
	}
	rep := bench.Report{Ks: c.ks, Machine: bench.ThisMachine(Version)} // before the run, for the load average
	started := time.Now()
	if rep.Rows, err = bench.RunOptions(ctx, c.ns, c.ks, opts); err != nil {
		return err
	}
	if err := m.benchExtras(ctx, c, &rep, enc); err != nil {
		return err
	}
	rep.Took = time.Since(started)
	return m.writeBench(c, &rep)
}

// benchExtras measures the rollouts and, with -moto, the plans through the SDK, printing each
// as JSON with -json.
func (m *Main) benchExtras(ctx context.Context, c *benchConfig, rep *bench.Report, enc *json.Encoder) error {
	var err error
	if len(c.rollMembers) > 0 {
		if rep.Rollouts, err = bench.Rollouts(ctx, c.rollMembers); err != nil {
			return err
		}
		for _, r := range rep.Rollouts {
			if c.jsonOut {
				enc.Encode(map[string]any{"rollout": r})
			}
		}
	}
	if c.motoURL == "" {
		rep.MotoNote = "No moto: `albctl bench -moto URL` (or `make bench` where moto can be installed) adds plans through the SDK against moto."
		return nil
	}
	rep.MotoURL = backend.RedactURL(c.motoURL)
	if rep.Moto, err = m.benchMoto(ctx, c.motoURL, c.motoSizes); err != nil {
		return err
	}
	for _, r := range rep.Moto {
		if c.jsonOut {
			enc.Encode(map[string]any{"moto": r})
		}
	}
	return nil
}

// writeBench prints the table (unless -json) and writes the page asked for by -markdown.
func (m *Main) writeBench(c *benchConfig, rep *bench.Report) error {
	if !c.jsonOut {
		rep.WriteText(m.Stdout)
	}
	if c.markdown == "" {
		return nil
	}
	var b strings.Builder
	if err := rep.WriteMarkdown(&b); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(c.markdown, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if !c.jsonOut {
		fmt.Fprintf(m.Stdout, "\nWrote %s.\n", c.markdown)
	}
	return nil
}

// benchMoto measures plans through the SDK against the moto at url (bench.Moto), with the
// clients internal/backend builds for it. It refuses an endpoint that is not on this machine:
// the measurement wipes it.
func (m *Main) benchMoto(ctx context.Context, url string, ns []int) ([]bench.EndpointRow, error) {
	ep, err := m.net().Connect(ctx, backend.Target{Endpoint: url, Region: bench.Region})
	if err != nil {
		return nil, fmt.Errorf("-moto: %w", err)
	}
	if err := m.net().CheckSeedTarget(ctx, ep.URL, ep.Named, false); err != nil {
		return nil, fmt.Errorf("-moto: %w", err)
	}
	mo := bench.Moto{
		URL:  url,
		API:  cloud.API{EC2: ep.EC2, ELBV2: ep.ELBV2, IAM: ep.IAM},
		Seed: mirror.SeedAPI{EC2: ep.EC2, ELBV2: ep.ELBV2, IAM: ep.IAM},
	}
	rows, err := mo.Measure(ctx, ns)
	if err != nil {
		return rows, fmt.Errorf("-moto: %w", err)
	}
	return rows, nil
}
