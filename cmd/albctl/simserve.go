package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/albctl/albctl/internal/simserve"
	"github.com/albctl/albctl/internal/simulator"
)

// simServe runs the simulator as an AWS endpoint on this machine until interrupted, then
// saves the world (docs/sim-serve.md).
func (m *Main) simServe(ctx context.Context, args []string) error {
	var worldPath, addr, clock, faults string
	var buckets stringList
	fs := newFlagSet("sim serve", m.Stderr)
	fs.StringVar(&worldPath, "world", "", "world file to serve; saved back on POST /_albctl/save and on Ctrl-C (required)")
	fs.StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to listen on (port 0: any free port)")
	fs.StringVar(&clock, "clock", "manual", "how virtual time moves: manual (POST /_albctl/clock/advance), realtime, or rate=N")
	fs.StringVar(&faults, "faults", "", "faults file to apply while serving (not saved into the world)")
	fs.Var(&buckets, "bucket", "S3 bucket that exists (repeatable), e.g. for the apply lock")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: albctl sim serve --world FILE [--addr 127.0.0.1:PORT] [--clock manual|realtime|rate=N] [--faults FILE] [--bucket NAME]\n\nServe the simulator over the AWS APIs albctl uses, on this machine only.\n\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &exitError{code: 1, err: errReported}
	}
	if len(pos) != 0 || worldPath == "" {
		return errors.New("sim serve takes --world FILE and no arguments")
	}
	bind, err := simserve.CheckLoopbackAddr(addr)
	if err != nil {
		return err
	}
	rate, err := simserve.ParseClock(clock)
	if err != nil {
		return err
	}
	srv, sim, err := openServed(worldPath, faults, buckets, clock)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return fmt.Errorf("sim serve: %w", err)
	}
	fmt.Fprintf(m.Stdout, "Serving %s on http://%s (clock %s). Ctrl-C saves the world and stops.\n", worldPath, ln.Addr(), clock)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go simserve.RunClock(ctx, sim, rate, 100*time.Millisecond)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("sim serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutdown) // requests in flight finish; their effects are in the save
	if err := srv.Save(worldPath); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Saved %s at %s.\n", worldPath, sim.Clock().Now().UTC().Format(time.RFC3339))
	return nil
}

// openServed loads the world, its S3 objects and the faults, and makes the server.
func openServed(worldPath, faultsPath string, buckets []string, clock string) (*simserve.Server, *simulator.Sim, error) {
	w, err := simulator.LoadWorld(worldPath)
	if err != nil {
		return nil, nil, err
	}
	stored, objects, err := simserve.LoadObjects(worldPath)
	if err != nil {
		return nil, nil, err
	}
	opts := simserve.Options{Buckets: append(stored, buckets...), Objects: objects, Clock: clock}
	var simOpts []simulator.Option
	if faultsPath != "" {
		f, err := simulator.LoadFaults(faultsPath)
		if err != nil {
			return nil, nil, err
		}
		own := w.Faults
		opts.FileFaults = &own
		simOpts = append(simOpts, simulator.WithFaults(f))
	}
	sim := simulator.New(w, simOpts...)
	opts.Clients = sim.StartClients(simulator.ClientOptions{})
	var srv *simserve.Server
	opts.Save = func() error { return srv.Save(worldPath) }
	srv = simserve.New(sim, opts)
	return srv, sim, nil
}
