package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/albctl/albctl/internal/lock"
)

// forceUnlock removes a stale apply lock by its ID, as terraform force-unlock does: the lock
// of the stack in DIR (the spec's cloud.lock against AWS, the lock file beside --world on the
// simulator).
func (m *Main) forceUnlock(ctx context.Context, args []string) error {
	var c common
	fs := newFlagSet("force-unlock", m.Stderr)
	c.register(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: albctl force-unlock [flags] LOCK_ID [DIR]\n\nRemove the apply lock of the stack in DIR, when the apply that took it is gone.\nThe ID is in the message of the apply the lock refused.\n\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return &exitError{code: 1, err: errors.New("force-unlock takes the lock ID and, optionally, the spec directory")}
	}
	id, dir := pos[0], "."
	if len(pos) == 2 {
		dir = pos[1]
	}
	l, err := m.loadStack(dir, &c)
	if err != nil {
		return err
	}
	be, err := m.openBackend(ctx, c.target, l.stack, false)
	if err != nil {
		return err
	}
	if be.LockStore == nil {
		if be.Kind == "sim" {
			return errors.New("no lock to remove: on the simulator the lock is beside the world file; name it with --world FILE")
		}
		return errors.New("no lock to remove: the spec sets no cloud.lock")
	}
	h, err := lock.ForceUnlock(ctx, be.LockStore, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Released the lock %s at %s (held by %s since %s for %s).\n",
		id, be.LockStore, h.Who, h.When.UTC().Format(time.RFC3339), h.Plan)
	return nil
}
