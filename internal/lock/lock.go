// Package lock keeps two applies from acting on one stack at once: a lock object in a store
// both can reach — an S3 object written with a conditional put (If-None-Match: *) for AWS, a
// file created exclusively beside the world file for the simulator. The lock records who
// holds it, from where, since when and for which plan, so the one refused can name the holder;
// see docs/security.md.
package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/albctl/albctl/internal/clock"
)

// Info is what a lock records about its holder.
type Info struct {
	ID        string    `json:"id"`
	Operation string    `json:"operation"` // "apply"
	Who       string    `json:"who"`       // user@host
	Where     string    `json:"where"`     // what the apply talks to (credentials redacted)
	When      time.Time `json:"when"`
	Plan      string    `json:"plan"` // the saved plan file, or the spec directory planned afresh
	Version   string    `json:"version"`
}

// Store is where one lock lives. Create must be atomic: of two concurrent calls, at most one
// returns created.
type Store interface {
	// Create writes data unless the lock exists; when it exists it returns created=false and
	// what the lock holds now (nil if it vanished meanwhile).
	Create(ctx context.Context, data []byte) (created bool, holder []byte, err error)
	// Read returns the lock's content, or ErrNotLocked.
	Read(ctx context.Context) ([]byte, error)
	// Delete removes the lock; removing a missing lock is not an error.
	Delete(ctx context.Context) error
	// String names the lock's location for messages ("s3://bucket/key", a file path).
	String() string
}

// ErrNotLocked means nothing holds the lock.
var ErrNotLocked = errors.New("not locked")

// HeldError says who holds a lock that could not be taken.
type HeldError struct {
	Location string
	Holder   Info
	// Unreadable is set when the lock exists but its content is not albctl's.
	Unreadable bool
}

func (e *HeldError) Error() string {
	if e.Unreadable {
		return fmt.Sprintf("the lock at %s is held, but its content is not an albctl lock; if no apply is running, remove it by hand", e.Location)
	}
	h := e.Holder
	return fmt.Sprintf("the lock at %s is held by %s (%s) since %s, for %s of %s, on %s.\n"+
		"Wait for that apply to finish. If it is gone (killed, or the machine died), release the lock with:\n"+
		"    albctl force-unlock %s",
		e.Location, h.Who, h.Operation, h.When.UTC().Format(time.RFC3339), h.Operation, h.Plan, h.Where, h.ID)
}

// Lock is a held lock.
type Lock struct {
	store Store
	info  Info
}

// Info returns what the lock records.
func (l *Lock) Info() Info { return l.info }

// NewID returns a fresh random lock ID.
func NewID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// Acquire takes the lock, trying again with backoff until timeout has passed (0: one try).
// When another holds it, the error is a *HeldError naming the holder. It waits on clk: the
// wall clock (clock.Wall) in production, the simulator's virtual clock in a rehearsal.
func Acquire(ctx context.Context, s Store, info Info, timeout time.Duration, clk clock.Clock) (*Lock, error) {
	if info.ID == "" {
		info.ID = NewID()
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, err
	}
	data = append(data, '\n')
	deadline := clk.Now().Add(timeout)
	wait := time.Second
	for {
		created, holder, err := s.Create(ctx, data)
		if err != nil {
			return nil, fmt.Errorf("take the lock at %s: %w", s, err)
		}
		if created {
			return &Lock{store: s, info: info}, nil
		}
		var held error
		if holder != nil {
			held = heldError(s, holder)
		}
		left := deadline.Sub(clk.Now())
		if left <= 0 {
			if held == nil {
				held = fmt.Errorf("the lock at %s was held and released while albctl tried to take it; try again", s)
			}
			return nil, held
		}
		if err := clk.Sleep(ctx, min(wait, left)); err != nil {
			if held != nil {
				return nil, fmt.Errorf("interrupted while waiting: %w", held)
			}
			return nil, fmt.Errorf("interrupted while waiting for the lock at %s: %w", s, err)
		}
		wait = min(2*wait, 10*time.Second)
	}
}

func heldError(s Store, holder []byte) *HeldError {
	var h Info
	if err := json.Unmarshal(holder, &h); err != nil || h.ID == "" {
		return &HeldError{Location: s.String(), Unreadable: true}
	}
	return &HeldError{Location: s.String(), Holder: h}
}

// Release removes the lock if it is still this one's. A lock taken over (force-unlocked and
// taken by another apply) is left alone, and that is reported.
func (l *Lock) Release(ctx context.Context) error {
	data, err := l.store.Read(ctx)
	if errors.Is(err, ErrNotLocked) {
		return fmt.Errorf("release the lock at %s: it was removed while this apply held it (force-unlock?)", l.store)
	}
	if err != nil {
		return fmt.Errorf("release the lock at %s: %w", l.store, err)
	}
	var h Info
	if json.Unmarshal(data, &h) != nil || h.ID != l.info.ID {
		return fmt.Errorf("release the lock at %s: another apply holds it now; left it alone", l.store)
	}
	if err := l.store.Delete(ctx); err != nil {
		return fmt.Errorf("release the lock at %s: %w (release it with: albctl force-unlock %s)", l.store, err, l.info.ID)
	}
	return nil
}

// ForceUnlock removes the lock if its ID is id: the ID must be given, so nobody removes a lock
// they have not looked at.
func ForceUnlock(ctx context.Context, s Store, id string) (Info, error) {
	data, err := s.Read(ctx)
	if errors.Is(err, ErrNotLocked) {
		return Info{}, fmt.Errorf("nothing holds the lock at %s", s)
	}
	if err != nil {
		return Info{}, fmt.Errorf("read the lock at %s: %w", s, err)
	}
	var h Info
	if err := json.Unmarshal(data, &h); err != nil {
		return Info{}, fmt.Errorf("the lock at %s is not an albctl lock; remove it by hand: %w", s, err)
	}
	if h.ID != id {
		return h, fmt.Errorf("the lock at %s has ID %s (held by %s since %s), not %s; nothing removed",
			s, h.ID, h.Who, h.When.UTC().Format(time.RFC3339), id)
	}
	if err := s.Delete(ctx); err != nil {
		return h, fmt.Errorf("remove the lock at %s: %w", s, err)
	}
	return h, nil
}
