package simserve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/safefile"
	"github.com/albctl/albctl/internal/simulator"
)

// CheckLoopbackAddr refuses a listen address that is not on the loopback interface: the
// server accepts any credentials, so only this machine may reach it (docs/sim-serve.md).
// "localhost" is taken as 127.0.0.1.
func CheckLoopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("--addr %q is not a loopback address: sim serve accepts any credentials, so it listens only on this machine (127.0.0.1 or ::1)", addr)
	}
	return net.JoinHostPort(host, port), nil
}

// ParseClock reads --clock: "manual" (0: only the control API moves time), "realtime" (1),
// or "rate=N" (virtual seconds per real second).
func ParseClock(s string) (float64, error) {
	switch {
	case s == "" || s == "manual":
		return 0, nil
	case s == "realtime":
		return 1, nil
	case strings.HasPrefix(s, "rate="):
		r, err := strconv.ParseFloat(strings.TrimPrefix(s, "rate="), 64)
		if err == nil && r > 0 && r <= 1e6 {
			return r, nil
		}
	}
	return 0, fmt.Errorf("--clock %q: want manual, realtime or rate=N (N > 0 virtual seconds per second, at most 1000000)", s)
}

// RunClock moves the simulator's clock rate times as fast as the wall clock until ctx ends.
// tick is how often it moves (a tenth of a second in sim serve).
func RunClock(ctx context.Context, sim *simulator.Sim, rate float64, tick time.Duration) {
	if rate <= 0 {
		return
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	last := time.Now()
	var owed time.Duration // virtual time below the clock's resolution, carried over
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			owed += time.Duration(float64(now.Sub(last)) * rate)
			last = now
			if step := owed.Truncate(time.Millisecond); step > 0 {
				sim.Clock().Advance(step)
				owed -= step
			}
		}
	}
}

// ObjectsPath is where the S3 buckets and objects of a world file are kept: beside it.
func ObjectsPath(worldPath string) string { return worldPath + ".s3.json" }

// objectsFile is the S3 state file: the buckets and their objects (the apply lock).
type objectsFile struct {
	Buckets []string `json:"buckets"`
	Objects []Object `json:"objects"`
}

// LoadObjects reads the S3 state beside a world file; a missing file is no buckets.
func LoadObjects(worldPath string) (buckets []string, objects []Object, err error) {
	data, err := safefile.ReadFileLimited(ObjectsPath(worldPath), 64<<20)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f objectsFile
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ObjectsPath(worldPath), err)
	}
	return f.Buckets, f.Objects, nil
}

// Save writes the world to worldPath and the S3 state beside it (when there is any, or a
// file of it exists already), each atomically.
func (s *Server) Save(worldPath string) error {
	w := s.sim.World()
	if s.fileFaults != nil {
		w.Faults = *s.fileFaults
	}
	if err := w.Save(worldPath); err != nil {
		return fmt.Errorf("saving the world: %w", err)
	}
	buckets, objects := s.Buckets()
	_, statErr := os.Stat(ObjectsPath(worldPath))
	if len(buckets) == 0 && errors.Is(statErr, os.ErrNotExist) {
		return nil
	}
	data, err := json.MarshalIndent(objectsFile{Buckets: buckets, Objects: objects}, "", "  ")
	if err != nil {
		return err
	}
	if err := safefile.WriteFile(ObjectsPath(worldPath), append(data, '\n')); err != nil {
		return fmt.Errorf("saving the S3 objects: %w", err)
	}
	return nil
}
