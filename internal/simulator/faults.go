package simulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/safefile"
)

// Faults are failures to inject, as a user sets them in a world file's "faults" block or in
// a standalone faults file (LoadFaults): to rehearse how a change copes with throttling,
// eventual consistency and a bad day in one zone. Windows are in simulated time, as offsets
// from Since. Every draw is derived from the world's seed, so the same world, faults and
// calls fail the same calls. docs/simulator.md ("Faults") describes each kind.
type Faults struct {
	// Throttle makes the next N calls of an operation (by name, e.g. "RunInstances") fail with
	// RequestLimitExceeded (EC2) or Throttling (ELBv2). Consumed counts are taken off.
	Throttle map[string]int `json:"throttle,omitempty"`
	// InstanceVisibilityDelay hides a new instance from calls that name it for this long
	// after RunInstances (EC2's eventual consistency).
	InstanceVisibilityDelay clock.Duration `json:"instance_visibility_delay,omitzero"`
	// ProfilePropagationDelay keeps an IAM instance profile unknown to EC2 for this long
	// after its creation.
	ProfilePropagationDelay clock.Duration `json:"profile_propagation_delay,omitzero"`

	// Since is the instant the windows below count from. When it is absent, it is the
	// world's clock when the faults are applied (WithFaults, or loading the world file).
	Since time.Time `json:"since,omitzero"`
	// ThrottleRates throttle a share of the calls of one operation (or of all) in a window.
	ThrottleRates []ThrottleRate `json:"throttle_rates,omitempty"`
	// Capacity makes RunInstances answer InsufficientInstanceCapacity in a zone in a window.
	Capacity []CapacityFault `json:"capacity,omitempty"`
	// ImageFailures make images CreateImage starts in a window end "failed".
	ImageFailures []ImageFault `json:"image_failures,omitempty"`
	// SlowHealth makes the app of instances launched in a window slow to boot, so their
	// first health checks time out.
	SlowHealth []SlowHealth `json:"slow_health,omitempty"`
}

// Window is a span of simulated time, [Since+From, Since+Until); no Until: for ever.
type Window struct {
	From  clock.Duration `json:"from,omitzero"`
	Until clock.Duration `json:"until,omitzero"`
}

// ThrottleRate throttles calls of Operation ("*" or empty: every operation) with
// probability Rate (0..1) while its window lasts.
type ThrottleRate struct {
	Operation string  `json:"operation,omitempty"`
	Rate      float64 `json:"rate"`
	Window
}

// CapacityFault is a shortage of InstanceTypes (every type if empty) in AZ.
type CapacityFault struct {
	AZ            string   `json:"az"`
	InstanceTypes []string `json:"instance_types,omitempty"`
	Window
}

// ImageFault makes an image whose name matches NameGlob ("*" if empty) end "failed" with
// Code and Message (by default Server.InternalError, "Server.InternalError: Internal error").
type ImageFault struct {
	NameGlob string `json:"name_glob,omitempty"`
	Code     string `json:"code,omitempty"`
	Message  string `json:"message,omitempty"`
	Window
}

// SlowHealth adds BootTime to the app boot time of instances launched in its window.
type SlowHealth struct {
	BootTime clock.Duration `json:"boot_time"`
	Window
}

// LoadFaults reads a standalone faults file: a JSON object with the schema of a world
// file's "faults" block. Apply it with WithFaults.
func LoadFaults(path string) (Faults, error) {
	data, err := safefile.ReadFileLimited(path, safefile.MaxFaultsSize)
	if err != nil {
		return Faults{}, fmt.Errorf("load faults: %w", err)
	}
	f, err := ParseFaults(data)
	if err != nil {
		return Faults{}, fmt.Errorf("faults %s: %w", path, err)
	}
	return f, nil
}

// ParseFaults decodes and validates a faults object. Unknown fields are errors.
func ParseFaults(data []byte) (Faults, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f Faults
	if err := dec.Decode(&f); err != nil {
		return Faults{}, jsonError(data, err)
	}
	if dec.More() {
		return Faults{}, errors.New("unexpected data after the faults object")
	}
	if err := f.validate(); err != nil {
		return Faults{}, err
	}
	return f, nil
}

// WithFaults replaces the world's faults with f. Windows count from f.Since, or from the
// world's clock when it is zero.
func WithFaults(f Faults) Option {
	return func(s *Sim) {
		f.Throttle = maps.Clone(f.Throttle)
		f.ThrottleRates = slices.Clone(f.ThrottleRates)
		f.Capacity = slices.Clone(f.Capacity)
		f.ImageFailures = slices.Clone(f.ImageFailures)
		f.SlowHealth = slices.Clone(f.SlowHealth)
		s.w.Faults = f
	}
}

func (f *Faults) windowed() bool {
	return len(f.ThrottleRates)+len(f.Capacity)+len(f.ImageFailures)+len(f.SlowHealth) > 0
}

// normalize anchors the windows at now when nothing anchors them and drops spent counts.
func (f *Faults) normalize(now time.Time) {
	for op, n := range f.Throttle {
		if n <= 0 {
			delete(f.Throttle, op)
		}
	}
	if len(f.Throttle) == 0 {
		f.Throttle = nil
	}
	if f.Since.IsZero() && f.windowed() {
		f.Since = now
	}
	f.Since = f.Since.UTC()
}

func (f *Faults) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, op := range slices.Sorted(maps.Keys(f.Throttle)) {
		if !knownOps[op] {
			bad("faults.throttle: unknown operation %q", op)
		}
		if f.Throttle[op] < 0 {
			bad("faults.throttle: %s: negative count", op)
		}
	}
	if f.InstanceVisibilityDelay < 0 || f.ProfilePropagationDelay < 0 {
		bad("faults: negative delay")
	}
	window := func(what string, w Window) {
		if w.From < 0 || w.Until < 0 {
			bad("%s: negative from or until", what)
		}
		if w.Until != 0 && w.Until <= w.From {
			bad("%s: until %s is not after from %s", what, w.Until, w.From)
		}
	}
	for i, r := range f.ThrottleRates {
		what := fmt.Sprintf("faults.throttle_rates[%d]", i)
		if r.Operation != "" && r.Operation != "*" && !knownOps[r.Operation] {
			bad("%s: unknown operation %q", what, r.Operation)
		}
		if r.Rate < 0 || r.Rate > 1 {
			bad("%s: rate %v is not between 0 and 1", what, r.Rate)
		}
		window(what, r.Window)
	}
	for i, c := range f.Capacity {
		what := fmt.Sprintf("faults.capacity[%d]", i)
		if c.AZ == "" {
			bad("%s: az is missing", what)
		}
		for _, t := range c.InstanceTypes {
			if !instanceTypes[t] {
				bad("%s: unknown instance type %q", what, t)
			}
		}
		window(what, c.Window)
	}
	for i, im := range f.ImageFailures {
		what := fmt.Sprintf("faults.image_failures[%d]", i)
		if im.Message != "" && im.Code == "" {
			bad("%s: a message without a code", what)
		}
		window(what, im.Window)
	}
	for i, h := range f.SlowHealth {
		what := fmt.Sprintf("faults.slow_health[%d]", i)
		if h.BootTime <= 0 {
			bad("%s: boot_time must be positive", what)
		}
		window(what, h.Window)
	}
	return errors.Join(errs...)
}

// open reports whether w is open at now.
func (f *Faults) open(w Window, now time.Time) bool {
	if now.Before(f.Since.Add(w.From.D())) {
		return false
	}
	return w.Until == 0 || now.Before(f.Since.Add(w.Until.D()))
}

// throttled reports whether a throttle rate fails this call of op: the n-th call of op
// (failed ones included) draws a number from the seed, the operation and n.
func (s *Sim) throttled(op string) bool {
	f := &s.w.Faults
	for _, r := range f.ThrottleRates {
		if r.Operation != "" && r.Operation != "*" && r.Operation != op {
			continue
		}
		if !f.open(r.Window, s.w.Now) {
			continue
		}
		h := sha256.Sum256(fmt.Appendf(nil, "%d\x00throttle\x00%s\x00%d", s.w.Seed, op, s.calls[op]))
		if float64(binary.BigEndian.Uint64(h[:8])>>11)/(1<<53) < r.Rate {
			return true
		}
	}
	return false
}

// shortByFault reports whether a capacity fault's window covers the type in the zone now.
func (s *Sim) shortByFault(typ, az string) bool {
	f := &s.w.Faults
	return slices.ContainsFunc(f.Capacity, func(c CapacityFault) bool {
		return c.AZ == az && (len(c.InstanceTypes) == 0 || slices.Contains(c.InstanceTypes, typ)) && f.open(c.Window, s.w.Now)
	})
}

// imageFault is the state reason a new image named name ends with, by the faults, or nil.
func (s *Sim) imageFault(name string) *StateReason {
	f := &s.w.Faults
	for _, im := range f.ImageFailures {
		if !f.open(im.Window, s.w.Now) || (im.NameGlob != "" && !cloud.MatchWildcard(im.NameGlob, name)) {
			continue
		}
		r := StateReason{Code: im.Code, Message: im.Message}
		if r.Code == "" {
			r.Code = "Server.InternalError"
		}
		if r.Message == "" {
			r.Message = r.Code + ": Internal error"
		}
		return &r
	}
	return nil
}

// slowBoot is the boot time the slow-health faults add to an instance launched now.
func (s *Sim) slowBoot() time.Duration {
	f := &s.w.Faults
	var d time.Duration
	for _, h := range f.SlowHealth {
		if f.open(h.Window, s.w.Now) {
			d += h.BootTime.D()
		}
	}
	return d
}
