package simulator

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/cloud"
)

var (
	_ cloud.EC2   = (*EC2)(nil)
	_ cloud.ELBV2 = (*ELBV2)(nil)
)

// Sim is a simulated AWS account: EC2 and ELBv2 over one World, on a virtual clock. It is
// safe for concurrent use; every call holds one lock.
type Sim struct {
	mu    sync.Mutex
	w     *World
	calls map[string]int
	ec2   *EC2
	elb   *ELBV2
	clock *Clock
	// gen counts changes (every call that is not a Describe, every clock advance, every
	// World), so that a pagination may reuse the list its first page computed while nothing
	// changed.
	gen   uint64
	pages map[string]pagedList
}

type pagedList struct {
	gen  uint64
	list []*Instance
}

// Option configures a Sim.
type Option func(*Sim)

// WithFaults replaces the world's faults with f.
func WithFaults(f Faults) Option {
	return func(s *Sim) {
		f.Throttle = maps.Clone(f.Throttle)
		s.w.Faults = f
	}
}

// New returns a simulator of w. The simulator owns w from now on: use World for a copy.
func New(w *World, opts ...Option) *Sim {
	s := &Sim{w: w, calls: map[string]int{}}
	s.ec2 = &EC2{s: s}
	s.elb = &ELBV2{s: s}
	s.clock = &Clock{s: s}
	for _, o := range opts {
		o(s)
	}
	w.normalize()
	s.settle()
	return s
}

// EC2 returns the simulated EC2 client.
func (s *Sim) EC2() *EC2 { return s.ec2 }

// ELBV2 returns the simulated Elastic Load Balancing v2 client.
func (s *Sim) ELBV2() *ELBV2 { return s.elb }

// Clock returns the virtual clock.
func (s *Sim) Clock() *Clock { return s.clock }

// World returns a copy of the current state, settled to the clock's time.
func (s *Sim) World() *World {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.settle()
	s.w.normalize()
	return s.w.clone()
}

// Calls returns how many times each operation was called, failed calls included.
func (s *Sim) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// ResetCalls sets every call count to zero.
func (s *Sim) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
}

// CreateInstanceProfile creates an IAM instance profile now, as IAM would, and returns its
// ARN; an existing profile of that name is returned as it is. It is a test helper, not an
// EC2 or ELBv2 operation, and is not counted in Calls.
func (s *Sim) CreateInstanceProfile(name string) (arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.w.InstanceProfiles {
		if p.Name == name {
			return p.ARN
		}
	}
	p := InstanceProfile{
		Name:      name,
		ARN:       fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", s.w.AccountID, name),
		ID:        "AIPA" + strings.ToUpper(s.newHex("iam-profile", 17)),
		CreatedAt: s.w.Now,
	}
	s.w.InstanceProfiles = append(s.w.InstanceProfiles, p)
	s.w.normalize()
	return p.ARN
}

// Clock is the simulator's virtual clock. It satisfies the engine's Clock interface.
type Clock struct{ s *Sim }

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.w.Now
}

// Sleep advances virtual time by d at once. It returns ctx.Err() without advancing if ctx is
// already done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// Advance moves virtual time forward by d; a negative d does nothing.
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.w.Now = c.s.w.Now.Add(d)
	c.s.gen++
	c.s.settle()
}

// knownOps are the operations the simulator serves, by service.
var knownOps = map[string]bool{}

var ec2Ops = []string{
	"DescribeInstances", "DescribeImages", "DescribeSubnets", "DescribeVpcs", "DescribeSecurityGroups",
	"CreateImage", "RunInstances", "TerminateInstances", "AssociateIamInstanceProfile", "CreateTags",
}

var elbOps = []string{
	"DescribeLoadBalancers", "DescribeTargetGroups", "DescribeTargetGroupAttributes",
	"ModifyTargetGroupAttributes", "DescribeTargetHealth", "RegisterTargets", "DeregisterTargets",
	"SetSubnets", "DescribeListeners",
}

func init() {
	for _, op := range ec2Ops {
		knownOps[op] = true
	}
	for _, op := range elbOps {
		knownOps[op] = true
	}
}

// begin starts an operation: it takes the lock, counts the call, settles time, and answers
// a throttling fault if one is due. On success the caller must call unlock (deferred); on an
// error the lock is already released.
func (s *Sim) begin(ctx context.Context, op string, throttle *smithy.GenericAPIError) (unlock func(), err error) {
	s.mu.Lock()
	s.calls[op]++
	if !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "Get") {
		s.gen++
	}
	if err := ctx.Err(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.settle()
	if n := s.w.Faults.Throttle[op]; n > 0 {
		if n == 1 {
			delete(s.w.Faults.Throttle, op)
		} else {
			s.w.Faults.Throttle[op] = n - 1
		}
		s.mu.Unlock()
		return nil, throttle
	}
	return s.mu.Unlock, nil
}

// apiErr is an AWS error answered to the caller.
func apiErr(code, format string, args ...any) error {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

// newHex returns n hex digits derived from the seed, kind and the next counter value.
func (s *Sim) newHex(kind string, n int) string {
	s.w.Counter++
	h := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%d", s.w.Seed, kind, s.w.Counter))
	return hex.EncodeToString(h[:])[:n]
}

// newID returns a new resource ID such as i-0123456789abcdef0.
func (s *Sim) newID(prefix string) string { return prefix + "-" + s.newHex(prefix, 17) }

// jitter returns a deterministic duration in [0, max] for the resource id.
func (s *Sim) jitter(id string, max time.Duration) time.Duration {
	h := sha256.Sum256(fmt.Appendf(nil, "%d\x00jitter\x00%s", s.w.Seed, id))
	secs := int64(max / time.Second)
	return time.Duration(binary.BigEndian.Uint64(h[:8])%uint64(secs+1)) * time.Second
}

// settle brings every state up to the clock: images become available, instances running or
// terminated, drained targets are removed.
func (s *Sim) settle() {
	now := s.w.Now
	for i := range s.w.Images {
		im := &s.w.Images[i]
		if im.State == "pending" && !im.AvailableAt.After(now) {
			im.State = "available"
		}
	}
	for i := range s.w.Instances {
		in := &s.w.Instances[i]
		if in.State == "pending" && !in.RunningAt.After(now) {
			in.State = "running"
		}
		if in.State == "shutting-down" && !in.TerminatedAt.After(now) {
			in.State = "terminated"
		}
	}
	for i := range s.w.TargetGroups {
		tg := &s.w.TargetGroups[i]
		kept := tg.Targets[:0]
		for _, t := range tg.Targets {
			if !t.DeregisteredAt.IsZero() && !t.DrainUntil.After(now) {
				continue
			}
			kept = append(kept, t)
		}
		tg.Targets = kept
	}
}
