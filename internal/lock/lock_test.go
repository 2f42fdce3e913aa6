package lock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// fakeClock advances only when slept on, so waiting is tested without real time.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
	// onSleep runs at each sleep (e.g. to release the lock meanwhile).
	onSleep func()
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	if c.onSleep != nil {
		c.onSleep()
	}
	return ctx.Err()
}

// fakeS3 keeps objects in memory with S3's If-None-Match: * semantics.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := aws.ToString(in.Bucket) + "/" + aws.ToString(in.Key)
	if _, ok := f.objects[k]; ok && aws.ToString(in.IfNoneMatch) == "*" {
		return nil, apiErr("PreconditionFailed")
	}
	b, _ := io.ReadAll(in.Body)
	f.objects[k] = b
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok {
		return nil, apiErr("NoSuchKey")
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (f *fakeS3) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objects, aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key))
	return &s3.DeleteObjectOutput{}, nil
}

func stores(t *testing.T) map[string]Store {
	return map[string]Store{
		"file": File{Path: filepath.Join(t.TempDir(), "world.json.lock")},
		"s3":   &S3{API: &fakeS3{objects: map[string][]byte{}}, Bucket: "locks", Key: "blog/apply.lock"},
	}
}

func info(who string) Info {
	return Info{Operation: "apply", Who: who, Where: "simulator, world w.json", When: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Plan: "spec /tmp/blog"}
}

func TestSecondAcquireNamesTheHolder(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clock := &fakeClock{now: time.Unix(0, 0)}
			a, err := Acquire(ctx, s, info("alice@laptop"), 0, clock)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Acquire(ctx, s, info("bob@ci"), 0, clock)
			var held *HeldError
			if !errors.As(err, &held) || held.Holder.Who != "alice@laptop" || held.Holder.ID != a.Info().ID {
				t.Fatalf("err = %v, want held by alice with her ID", err)
			}
			for _, want := range []string{"alice@laptop", "2025-01-02T03:04:05Z", "spec /tmp/blog", "albctl force-unlock " + a.Info().ID} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message does not say %q:\n%s", want, err)
				}
			}
			if err := a.Release(ctx); err != nil {
				t.Fatal(err)
			}
			b, err := Acquire(ctx, s, info("bob@ci"), 0, clock)
			if err != nil {
				t.Fatalf("after release: %v", err)
			}
			if err := b.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Read(ctx); !errors.Is(err, ErrNotLocked) {
				t.Errorf("lock left after release: %v", err)
			}
		})
	}
}

func TestAcquireWaitsUpToTheTimeout(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clock := &fakeClock{now: time.Unix(0, 0)}
			if _, err := Acquire(ctx, s, info("alice"), 0, clock); err != nil {
				t.Fatal(err)
			}
			_, err := Acquire(ctx, s, info("bob"), 30*time.Second, clock)
			var held *HeldError
			if !errors.As(err, &held) {
				t.Fatalf("err = %v", err)
			}
			var total time.Duration
			for _, d := range clock.sleeps {
				total += d
			}
			if total != 30*time.Second || len(clock.sleeps) < 3 {
				t.Errorf("slept %v in %d waits, want 30s with backoff", total, len(clock.sleeps))
			}
		})
	}
}

func TestAcquireTakesTheLockOnceReleased(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clock := &fakeClock{now: time.Unix(0, 0)}
			a, err := Acquire(ctx, s, info("alice"), 0, clock)
			if err != nil {
				t.Fatal(err)
			}
			clock.onSleep = func() {
				if len(clock.sleeps) == 2 {
					a.Release(ctx)
				}
			}
			b, err := Acquire(ctx, s, info("bob"), time.Minute, clock)
			if err != nil {
				t.Fatalf("bob did not get the released lock: %v", err)
			}
			if len(clock.sleeps) != 2 {
				t.Errorf("waited %d times", len(clock.sleeps))
			}
			b.Release(ctx)
		})
	}
}

func TestForceUnlockNeedsTheID(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clock := &fakeClock{now: time.Unix(0, 0)}
			a, err := Acquire(ctx, s, info("alice"), 0, clock)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ForceUnlock(ctx, s, "0123"); err == nil || !strings.Contains(err.Error(), "nothing removed") {
				t.Fatalf("wrong ID: %v", err)
			}
			h, err := ForceUnlock(ctx, s, a.Info().ID)
			if err != nil || h.Who != "alice" {
				t.Fatalf("force-unlock: %v %+v", err, h)
			}
			// The stale holder's release now fails loudly instead of removing someone else's.
			b, err := Acquire(ctx, s, info("bob"), 0, clock)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Release(ctx); err == nil || !strings.Contains(err.Error(), "another apply holds it") {
				t.Errorf("stale release: %v", err)
			}
			if _, err := s.Read(ctx); err != nil {
				t.Errorf("bob's lock was removed by alice's release: %v", err)
			}
			b.Release(ctx)
			if _, err := ForceUnlock(ctx, s, "x"); err == nil || !strings.Contains(err.Error(), "nothing holds") {
				t.Errorf("unlocked: %v", err)
			}
		})
	}
}

// Of many concurrent applies exactly one takes the lock.
func TestConcurrentAcquireHasOneWinner(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := Acquire(context.Background(), s, info("p"+string(rune('a'+i))), 0, &fakeClock{})
					var held *HeldError
					switch {
					case err == nil:
						mu.Lock()
						won++
						mu.Unlock()
					case !errors.As(err, &held):
						// A lock file read while its holder writes it can look empty.
						if !strings.Contains(err.Error(), "released while") {
							t.Errorf("unexpected error: %v", err)
						}
					}
				}()
			}
			wg.Wait()
			if won != 1 {
				t.Errorf("%d winners", won)
			}
		})
	}
}

func TestParseS3URL(t *testing.T) {
	for in, want := range map[string]string{
		"s3://bucket/key":         "bucket key",
		"s3://bucket/dir/a.lock":  "bucket dir/a.lock",
		"s3://bucket":             "",
		"s3://bucket/":            "",
		"https://bucket/key":      "",
		"s3://user:pw@bucket/key": "",
		"s3://bucket/key?x=1":     "",
	} {
		b, k, err := ParseS3URL(in)
		got := ""
		if err == nil {
			got = b + " " + k
		}
		if got != want {
			t.Errorf("%s: got %q (%v), want %q", in, got, err, want)
		}
	}
}
