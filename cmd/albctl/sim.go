package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/simulator"
)

const simUsage = `Usage: albctl sim <subcommand> [flags]

Subcommands:
  seed      create in an AWS-API endpoint (moto, LocalStack) what a world file describes:
              albctl sim seed --endpoint http://localhost:5000 [--region R] WORLD
  snapshot  read an account's topology (Describe and List calls only) into a world file:
              albctl sim snapshot [--cloud aws | --endpoint URL] [--region R] [--profile P] [-o FILE]
  serve     serve a world over the AWS APIs, on this machine, for any AWS client to rehearse against:
              albctl sim serve --world FILE [--addr 127.0.0.1:PORT] [--clock manual|realtime|rate=N]

Run 'albctl sim <subcommand> -h' for its flags.
`

func (m *Main) sim(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, simUsage)
		return &exitError{code: 1, err: errReported}
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "seed":
		return m.simSeed(ctx, rest)
	case "snapshot":
		return m.simSnapshot(ctx, rest)
	case "serve":
		return m.simServe(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, simUsage)
		return nil
	default:
		fmt.Fprintf(m.Stderr, "albctl sim: unknown subcommand %q\n\n%s", sub, simUsage)
		return &exitError{code: 1, err: errReported}
	}
}

func (m *Main) simSeed(ctx context.Context, args []string) error {
	var t targetFlags
	fs := newFlagSet("sim seed", m.Stderr)
	fs.StringVar(&t.endpoint, "endpoint", "", "AWS API endpoint URL of the emulator, e.g. http://localhost:5000 (default: AWS_ENDPOINT_URL)")
	fs.StringVar(&t.region, "region", "", "region to create the resources in (default: the world's region)")
	fs.StringVar(&t.profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE; a local endpoint needs none)")
	fs.BoolVar(&t.realAWS, "i-know-this-is-real-aws", false, "allow an endpoint that is not on this machine, or AWS itself")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: albctl sim seed --endpoint URL [--region R] WORLD\n\nCreate in an AWS-API endpoint the resources the world file describes.\n\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &exitError{code: 1, err: errReported}
	}
	if len(pos) != 1 {
		return errors.New("sim seed takes one world file")
	}
	w, err := simulator.LoadWorld(pos[0])
	if err != nil {
		return err
	}
	if t.region == "" {
		t.region = w.Region
	}
	ep, err := m.net().Connect(ctx, t.settings())
	if err != nil {
		return err
	}
	endpoint := ep.URL
	if err := m.net().CheckSeedTarget(ctx, endpoint, ep.Named, t.realAWS); err != nil {
		return err
	}
	seeded, err := mirror.Seed(ctx, mirror.SeedAPI{
		EC2:   ep.EC2,
		ELBV2: ep.ELBV2,
		IAM:   ep.IAM,
	}, w)
	if err != nil {
		return err
	}
	where := endpoint
	if where == "" {
		where = "AWS"
	}
	fmt.Fprintf(m.Stdout, "Seeded %s into %s, region %s: %d resources created, %d already there.\n",
		pos[0], backend.RedactURL(where), ep.Region, len(seeded.Created), len(seeded.IDs)-len(seeded.Created))
	if len(seeded.KeyPairs) > 0 {
		fmt.Fprintf(m.Stdout, "Created key pairs %s (their private keys were not kept).\n", strings.Join(seeded.KeyPairs, ", "))
	}
	fmt.Fprintln(m.Stdout, "\nWorld ID -> endpoint ID:")
	for _, id := range slices.Sorted(maps.Keys(seeded.IDs)) {
		how := "found"
		if slices.Contains(seeded.Created, id) {
			how = "created"
		}
		fmt.Fprintf(m.Stdout, "  %s -> %s (%s)\n", id, seeded.IDs[id], how)
	}
	return nil
}

func (m *Main) simSnapshot(ctx context.Context, args []string) error {
	var t targetFlags
	var out string
	fs := newFlagSet("sim snapshot", m.Stderr)
	fs.StringVar(&t.cloud, "cloud", "", "aws: read the account of the standard credential chain")
	fs.StringVar(&t.endpoint, "endpoint", "", "AWS API endpoint URL, e.g. moto or LocalStack (default: AWS_ENDPOINT_URL)")
	fs.StringVar(&t.region, "region", "", "AWS region (default: AWS_REGION / shared config)")
	fs.StringVar(&t.profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE)")
	fs.StringVar(&out, "o", "", "write the world file to FILE instead of stdout")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: albctl sim snapshot [--cloud aws | --endpoint URL] [--region R] [--profile P] [-o FILE]\n\nRead an account's topology (Describe and List calls only) into a world file for the simulator.\n\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &exitError{code: 1, err: errReported}
	}
	if len(pos) != 0 {
		return fmt.Errorf("sim snapshot takes no arguments, got %q (write to a file with -o FILE)", pos)
	}
	switch t.cloud {
	case "", "aws":
	default:
		return fmt.Errorf("sim snapshot reads AWS or an AWS-API endpoint: --cloud must be aws, not %q", t.cloud)
	}
	if t.cloud == "" && t.endpoint == "" && os.Getenv("AWS_ENDPOINT_URL") == "" {
		return errors.New("sim snapshot needs something to read: --cloud aws for the account of your AWS credentials, or --endpoint URL for an emulator")
	}
	ep, err := m.net().Connect(ctx, t.settings())
	if err != nil {
		return err
	}
	w, notes, err := mirror.Snapshot(ctx, mirror.SnapshotAPI{
		EC2:   ep.EC2,
		ELBV2: ep.ELBV2,
		IAM:   ep.IAM,
		STS:   ep.STS,
	}, ep.Region)
	if err != nil {
		return err
	}
	if out == "" {
		data, err := w.Marshal()
		if err != nil {
			return err
		}
		_, err = m.Stdout.Write(data)
		writeAssumptions(m.Stderr, notes) // stdout holds the world file
		return err
	}
	if err := w.Save(out); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Wrote %s: account %s, region %s, %d instances, %d load balancers, %d target groups (clock %s).\n",
		out, w.AccountID, w.Region, len(w.Instances), len(w.LoadBalancers), len(w.TargetGroups), w.Now.Format("2006-01-02T15:04:05Z"))
	writeAssumptions(m.Stdout, notes)
	return nil
}

// writeAssumptions prints what a snapshot assumed or left out: the copy is not the account
// (docs/simulator.md, "Snapshot").
func writeAssumptions(w io.Writer, notes []mirror.Assumption) {
	if len(notes) == 0 {
		return
	}
	fmt.Fprintf(w, "The copy assumed or left out %d things:\n", len(notes))
	for _, a := range notes {
		fmt.Fprintf(w, "  - %s\n", a)
	}
}
