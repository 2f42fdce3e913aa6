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

// bench measures plan and apply cost against fleet size on generated simulator worlds: a table
// (or one JSON object per N with -json), and with -markdown the results page with the machine.
func (m *Main) bench(ctx context.Context, args []string) error {
	fs := newFlagSet("bench", m.Stderr)
	jsonOut := fs.Bool("json", false, "print one JSON object per N, one per line, instead of the table")
	nsFlag := fs.String("n", "10,100,1000,10000", "instance counts to measure, comma-separated")
	ksFlag := fs.String("k", "1,5,20", "instances to launch in the simulated applies, comma-separated")
	markdown := fs.String("markdown", "", "also write the results page, with the machine it ran on, to FILE (e.g. docs/benchmarks.md)")
	minTime := fs.Duration("time", 300*time.Millisecond, "minimum duration of each timed measurement")
	latFlag := fs.String("latency", "50,150", "round trips to inject in front of every call, in ms, comma-separated (\"none\": skip; 150 is also measured with half the calls in flight)")
	rollFlag := fs.String("rollouts", "2,10,50", "fleet sizes whose rollout is timed, comma-separated (\"none\": skip)")
	motoURL := fs.String("moto", "", "also plan through the SDK against the moto at `URL` (local only; it is reset and seeded)")
	motoNs := fs.String("moto-n", "10,100", "instance counts to measure against moto, comma-separated (seeding is one RunInstances per instance: 1000 takes several minutes)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("bench takes no arguments, got %q", pos)
	}
	ns, err := bench.ParseInts(*nsFlag)
	if err != nil {
		return fmt.Errorf("-n: %w", err)
	}
	ks, err := bench.ParseInts(*ksFlag)
	if err != nil {
		return fmt.Errorf("-k: %w", err)
	}
	var lats []bench.LatencyConfig
	if *latFlag != "none" {
		ms, err := bench.ParseInts(*latFlag)
		if err != nil {
			return fmt.Errorf("-latency: %w", err)
		}
		for _, v := range ms {
			lats = append(lats, bench.LatencyConfig{RTT: time.Duration(v) * time.Millisecond})
			if v == 150 {
				lats = append(lats, bench.LatencyConfig{RTT: 150 * time.Millisecond, MaxInFlight: cloud.DefaultMaxInFlight / 2})
			}
		}
	}
	var rollMembers []int
	if *rollFlag != "none" {
		if rollMembers, err = bench.ParseInts(*rollFlag); err != nil {
			return fmt.Errorf("-rollouts: %w", err)
		}
	}
	var motoSizes []int
	if *motoURL != "" {
		if motoSizes, err = bench.ParseInts(*motoNs); err != nil {
			return fmt.Errorf("-moto-n: %w", err)
		}
	}
	enc := json.NewEncoder(m.Stdout)
	opts := bench.Options{
		MinTime:   *minTime,
		Latencies: lats,
		NoLatency: len(lats) == 0,
		Progress: func(r bench.Row) {
			if *jsonOut {
				enc.Encode(r)
			}
		},
	}
	rep := bench.Report{Ks: ks, Machine: bench.ThisMachine(Version)} // before the run, for the load average
	started := time.Now()
	if rep.Rows, err = bench.RunOptions(ctx, ns, ks, opts); err != nil {
		return err
	}
	if len(rollMembers) > 0 {
		if rep.Rollouts, err = bench.Rollouts(ctx, rollMembers); err != nil {
			return err
		}
		if *jsonOut {
			for _, r := range rep.Rollouts {
				enc.Encode(map[string]any{"rollout": r})
			}
		}
	}
	if *motoURL == "" {
		rep.MotoNote = "No moto: `albctl bench -moto URL` (or `make bench` where moto can be installed) adds plans through the SDK against moto."
	} else {
		rep.MotoURL = backend.RedactURL(*motoURL)
		if rep.Moto, err = m.benchMoto(ctx, *motoURL, motoSizes); err != nil {
			return err
		}
		if *jsonOut {
			for _, r := range rep.Moto {
				enc.Encode(map[string]any{"moto": r})
			}
		}
	}
	rep.Took = time.Since(started)
	if !*jsonOut {
		rep.WriteText(m.Stdout)
	}
	if *markdown != "" {
		var b strings.Builder
		if err := rep.WriteMarkdown(&b); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if err := os.WriteFile(*markdown, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if !*jsonOut {
			fmt.Fprintf(m.Stdout, "\nWrote %s.\n", *markdown)
		}
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
