package simulator

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/cloud"
)

var (
	_ cloud.EC2   = (*EC2)(nil)
	_ cloud.ELBV2 = (*ELBV2)(nil)
)

// The operations served beyond the cloud interfaces, with the SDK clients' signatures: the
// SDK clients and the simulator both satisfy them.
type (
	ec2Ops2 interface {
		DescribeInstanceTypeOfferings(context.Context, *ec2.DescribeInstanceTypeOfferingsInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error)
		DeregisterImage(context.Context, *ec2.DeregisterImageInput, ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error)
		DeleteSnapshot(context.Context, *ec2.DeleteSnapshotInput, ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error)
		RunInstances(context.Context, *ec2.RunInstancesInput, ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error)
	}
	elbOps2 interface {
		ModifyTargetGroup(context.Context, *elbv2.ModifyTargetGroupInput, ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupOutput, error)
	}
	iamOps2 interface {
		GetInstanceProfile(context.Context, *iam.GetInstanceProfileInput, ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
		ListInstanceProfiles(context.Context, *iam.ListInstanceProfilesInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error)
	}
)

var (
	_ ec2Ops2 = (*ec2.Client)(nil)
	_ ec2Ops2 = (*EC2)(nil)
	_ elbOps2 = (*elbv2.Client)(nil)
	_ elbOps2 = (*ELBV2)(nil)
	_ iamOps2 = (*iam.Client)(nil)
	_ iamOps2 = (*IAM)(nil)
)

// Sim is a simulated AWS account: EC2 and ELBv2 over one World, on a virtual clock. It is
// safe for concurrent use; every call holds one lock.
type Sim struct {
	mu    sync.Mutex
	w     *World
	calls map[string]int
	ec2   *EC2
	elb   *ELBV2
	iam   *IAM
	clock *Clock
	// gen counts changes (every call that is not a Describe, every clock advance, every
	// World), so that a pagination may reuse the list its first page computed while nothing
	// changed.
	gen   uint64
	pages map[string]pagedList
	// clients is the client model, when StartClients started it: it runs as the clock moves.
	clients *Clients
	// metrics are the CloudWatch datapoints recorded as the clock moves (metrics.go).
	metrics *metricStore
	// roundTrip, when set (WithRoundTripCheck), hears of every state a world file could not
	// hold.
	roundTrip func(op string, err error)
	checked   []byte // the world as last checked, without its clock (json.Marshal)
}

type pagedList struct {
	gen  uint64
	list []*Instance
}

// Option configures a Sim.
type Option func(*Sim)

// New returns a simulator of w. The simulator owns w from now on: use World for a copy.
func New(w *World, opts ...Option) *Sim {
	s := &Sim{w: w, calls: map[string]int{}}
	s.ec2 = &EC2{s: s}
	s.elb = &ELBV2{s: s}
	s.iam = &IAM{s: s}
	s.clock = &Clock{s: s}
	for _, o := range opts {
		o(s)
	}
	w.normalize()
	s.settle()
	s.startMetrics()
	s.checkRoundTrip("New")
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
	s.checkRoundTrip("CreateInstanceProfile")
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
	c.s.gen++
	c.s.runModels(c.s.w.Now.Add(d))
	c.s.w.Now = c.s.w.Now.Add(d)
	c.s.settle()
	c.s.checkRoundTrip("Advance")
}

// knownOps are the operations the simulator serves, by service.
var knownOps = map[string]bool{}

var ec2Ops = []string{
	"DescribeInstances", "DescribeImages", "DescribeSubnets", "DescribeVpcs", "DescribeSecurityGroups",
	"DescribeInstanceTypeOfferings", "CreateImage", "RunInstances", "TerminateInstances",
	"AssociateIamInstanceProfile", "CreateTags", "DeregisterImage", "DeleteSnapshot",
	"DescribeNetworkAcls", "DescribeSnapshots",
}

var elbOps = []string{
	"DescribeLoadBalancers", "DescribeTargetGroups", "DescribeTargetGroupAttributes",
	"ModifyTargetGroupAttributes", "DescribeTargetHealth", "RegisterTargets", "DeregisterTargets",
	"SetSubnets", "DescribeListeners", "ModifyTargetGroup", "DescribeLoadBalancerAttributes",
}

var iamOps = []string{"GetInstanceProfile", "ListInstanceProfiles"}

func init() {
	for _, op := range ec2Ops {
		knownOps[op] = true
	}
	for _, op := range elbOps {
		knownOps[op] = true
	}
	for _, op := range iamOps {
		knownOps[op] = true
	}
}

// begin starts an operation: it takes the lock, counts the call, settles time, and answers
// a throttling fault if one is due. On success the caller must call unlock (deferred); on an
// error the lock is already released.
func (s *Sim) begin(ctx context.Context, op string, throttle *smithy.GenericAPIError) (unlock func(), err error) {
	s.mu.Lock()
	unlock = s.mu.Unlock
	if s.roundTrip != nil {
		unlock = func() { s.checkRoundTrip(op); s.mu.Unlock() }
	}
	s.calls[op]++
	if !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "Get") {
		s.gen++
	}
	if err := ctx.Err(); err != nil {
		unlock()
		return nil, err
	}
	s.settle()
	if n := s.w.Faults.Throttle[op]; n > 0 {
		if n == 1 {
			delete(s.w.Faults.Throttle, op)
		} else {
			s.w.Faults.Throttle[op] = n - 1
		}
		unlock()
		return nil, throttle
	}
	if s.throttled(op) {
		unlock()
		return nil, throttle
	}
	return unlock, nil
}

// apiErr is an AWS error answered to the caller.
func apiErr(code, format string, args ...any) error {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

// apiServerErr is an AWS error of AWS's side (a 5xx), such as a capacity shortage.
func apiServerErr(code, format string, args ...any) error {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultServer}
}

// errDryRun is EC2's answer to a DryRun request that would have succeeded.
func errDryRun() error {
	return apiErr("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
}

// newHex returns n hex digits derived from the seed, kind and the next counter value.
func (s *Sim) newHex(kind string, n int) string {
	s.w.Counter++
	h := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%d", s.w.Seed, kind, s.w.Counter))
	return hex.EncodeToString(h[:])[:n]
}

// derivedHex returns n hex digits derived from the seed, kind and another resource's ID,
// without taking a number from the counter.
func (s *Sim) derivedHex(kind, from string, n int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s", s.w.Seed, kind, from))
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

// settle brings every state up to the clock: images become available (or failed),
// instances running or terminated, targets of terminating instances drain, drained targets
// are removed, and terminated instances leave the world an hour after termination.
func (s *Sim) settle() {
	now := s.w.Now
	for i := range s.w.Images {
		im := &s.w.Images[i]
		if im.State == "pending" && !im.AvailableAt.After(now) {
			im.State = "available"
			if im.Fail != nil {
				im.State = "failed"
				for _, id := range im.Snapshots {
					if sn := s.snapshot(id); sn != nil && sn.State == "pending" {
						sn.State = "error"
					}
				}
			}
		}
	}
	for i := range s.w.Snapshots {
		sn := &s.w.Snapshots[i]
		if sn.State == "pending" && !sn.CompletedAt.After(now) {
			sn.State = "completed"
		}
	}
	gone := false
	for i := range s.w.Instances {
		in := &s.w.Instances[i]
		if in.State == "pending" && !in.RunningAt.After(now) {
			in.State = "running"
		}
		if in.State == "shutting-down" && !in.TerminatedAt.After(now) {
			in.State = "terminated"
			s.takeAddresses(in.Subnet, -1)
		}
		if in.State == "terminated" && !in.TerminatedAt.Add(TerminatedVisible).After(now) {
			gone = true
		}
	}
	for i := range s.w.TargetGroups {
		tg := &s.w.TargetGroups[i]
		delay, _ := strconv.Atoi(tg.Attributes["deregistration_delay.timeout_seconds"])
		kept := tg.Targets[:0]
		for _, t := range tg.Targets {
			in := s.instance(t.ID)
			if in == nil || (in.State == "terminated" && !in.TerminatedAt.Add(TerminatedVisible).After(now)) {
				continue
			}
			if t.DeregisteredAt.IsZero() && (in.State == "shutting-down" || in.State == "terminated") {
				// AWS deregisters the targets of a terminated instance by itself.
				at := in.TerminatingAt
				if at.IsZero() {
					at = now
				}
				t.DeregisteredAt, t.DrainUntil = at, at.Add(time.Duration(delay)*time.Second)
			}
			if !t.DeregisteredAt.IsZero() && !t.DrainUntil.After(now) {
				continue
			}
			kept = append(kept, t)
		}
		tg.Targets = kept
	}
	if gone {
		s.w.Instances = slices.DeleteFunc(s.w.Instances, func(in Instance) bool {
			return in.State == "terminated" && !in.TerminatedAt.Add(TerminatedVisible).After(now)
		})
	}
}
