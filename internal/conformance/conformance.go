// Package conformance is one suite of the AWS behaviours albctl depends on (error codes,
// states, idempotency, pagination, attribute rules), written once against SDK-shaped clients
// and run against every implementation of them: the simulator in every `go test`, moto in
// integration/, and any other endpoint that gets a Harness.
//
// It follows the shape of go-cloud's drivertest: an implementation provides a Harness, and
// RunConformance runs every case against it. docs/testing.md ("The conformance suite") says how
// to add a case or a harness; docs/aws-semantics.md holds the rules with their AWS sources.
//
// The package is imported by tests only; it lives outside _test.go files so that the
// simulator's tests, integration/ and the HTTP endpoint's tests can all run it.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// EC2 is what the suite calls on EC2: every operation albctl calls (cloud.EC2) and CreateTags,
// whose all-or-nothing rule albctl's tagging depends on.
type EC2 interface {
	cloud.EC2
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, optFns ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
}

// ELBV2 is what the suite calls on Elastic Load Balancing v2.
type ELBV2 interface {
	cloud.ELBV2
}

// IAM is what the suite calls on IAM.
type IAM interface {
	cloud.IAM
}

// Reads the suite covers when a client has them, so that the suite compiles whether or not
// cloud's interfaces list them yet; once they do, every client has them (see optional).
type (
	securityGroupReader interface {
		DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	}
	networkACLReader interface {
		DescribeNetworkAcls(ctx context.Context, in *ec2.DescribeNetworkAclsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error)
	}
	listenerReader interface {
		DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error)
	}
	lbAttributeReader interface {
		DescribeLoadBalancerAttributes(ctx context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error)
	}
)

// Env is one endpoint holding a seeded world, as a Harness hands it to a case.
type Env struct {
	EC2   EC2
	ELBV2 ELBV2
	IAM   IAM
	// IDs maps the world's IDs and ARNs to the endpoint's (mirror.Seeded.IDs); nil when the
	// endpoint keeps the world's own.
	IDs map[string]string
	// Advance lets d of the endpoint's time pass: the simulator's virtual clock, or nothing
	// for an endpoint whose states do not wait (moto). nil means nothing.
	Advance func(d time.Duration)
}

// Harness is what an implementation provides to run the suite.
type Harness interface {
	// Name names the implementation in messages ("simulator", "moto").
	Name() string
	// Start returns a fresh endpoint holding exactly w (and what the endpoint always has,
	// such as moto's default VPC). Each case starts its own.
	Start(t *testing.T, w *simulator.World) *Env
	// Differs says whether the implementation knowingly differs from AWS on rule (a Rule of
	// Cases), and why. A case whose rule differs must still fail, and is then skipped with
	// the reason (see RunConformance); any other failure fails. An implementation lists its
	// differences in one table.
	Differs(rule string) (reason string, ok bool)
}

// Case is one behaviour of one operation.
type Case struct {
	// Op is the operation the case is about, named as in cloud's interfaces.
	Op string
	// Name says what the case checks.
	Name string
	// Rule names the AWS rule (docs/aws-semantics.md) the case checks; a Harness's Differs
	// answers by rule.
	Rule string
	// World is the world to start from; nil is simulator.SeedWorld().
	World func() *simulator.World
	// Run checks the rule against e.
	Run func(t testing.TB, e *Env)
}

// Cases returns every case of the suite, sorted by operation and name.
func Cases() []Case {
	var all []Case
	for _, part := range [][]Case{
		instanceCases(), launchCases(), createImageCases(), imageCases(), snapshotCases(), networkCases(),
		tagCases(), profileCases(), loadBalancerCases(), targetGroupCases(),
		attributeCases(), targetCases(), subnetCases(), readPathCases(),
	} {
		all = append(all, part...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Op != all[j].Op {
			return all[i].Op < all[j].Op
		}
		return all[i].Name < all[j].Name
	})
	return all
}

// Rules returns the rule names of the suite, sorted, each once.
func Rules() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range Cases() {
		if !seen[c.Rule] {
			seen[c.Rule] = true
			out = append(out, c.Rule)
		}
	}
	sort.Strings(out)
	return out
}

// RunConformance runs every case against h, each as the subtest "Op/Name".
//
// A case whose rule h lists as differing still runs, on a fresh endpoint, with its failures
// recorded instead of reported: if it fails, the subtest is skipped with h's reason and the
// first failure; if it passes, the subtest fails, since the listed difference is no longer
// true (a newer emulator fixed it) and the table must lose it.
func RunConformance(t *testing.T, h Harness) {
	t.Helper()
	for _, c := range Cases() {
		t.Run(c.Op+"/"+c.Name, func(t *testing.T) {
			w := simulator.SeedWorld()
			if c.World != nil {
				w = c.World()
			}
			why, differs := h.Differs(c.Rule)
			if !differs {
				c.Run(t, h.Start(t, w))
				return
			}
			p := probeCase(t, c, h.Start(t, w))
			switch {
			case p.skipped != "":
				t.Skip(p.skipped)
			case !p.failed:
				t.Fatalf("%s is listed as differing from AWS on rule %q (%s), but this case passes: take the rule out of its table", h.Name(), c.Rule, why)
			default:
				t.Skipf("%s knowingly differs from AWS on rule %q: %s; here: %s", h.Name(), c.Rule, why, p.first)
			}
		})
	}
}

// probe is a testing.TB that records a case's failures instead of reporting them. What it does
// not override (Name, TempDir, Cleanup, Log) goes to the real test.
type probe struct {
	testing.TB
	mu      sync.Mutex
	failed  bool
	first   string // the first failure's message
	skipped string
}

// probeCase runs c.Run against e with a probe, in a goroutine of its own, since Fatal and Skip
// end the goroutine that calls them.
func probeCase(t *testing.T, c Case, e *Env) *probe {
	p := &probe{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(p, e)
	}()
	<-done
	return p
}

func (p *probe) Helper() {}

func (p *probe) fail(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.failed {
		p.failed, p.first = true, msg
	}
}

func (p *probe) skip(msg string) {
	p.mu.Lock()
	p.skipped = msg
	p.mu.Unlock()
	runtime.Goexit()
}

func (p *probe) Fail()                             { p.fail("failed") }
func (p *probe) FailNow()                          { p.fail("failed"); runtime.Goexit() }
func (p *probe) Error(args ...any)                 { p.fail(fmt.Sprint(args...)) }
func (p *probe) Errorf(format string, args ...any) { p.fail(fmt.Sprintf(format, args...)) }
func (p *probe) Fatal(args ...any)                 { p.fail(fmt.Sprint(args...)); runtime.Goexit() }
func (p *probe) Fatalf(format string, args ...any) {
	p.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (p *probe) Skip(args ...any)                 { p.skip(fmt.Sprint(args...)) }
func (p *probe) Skipf(format string, args ...any) { p.skip(fmt.Sprintf(format, args...)) }
func (p *probe) SkipNow()                         { p.skip("skipped") }

func (p *probe) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

func (p *probe) Skipped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skipped != ""
}

// CloudOperations returns the methods of cloud's EC2, ELBV2 and IAM interfaces: the
// operations albctl calls, each of which needs a case.
func CloudOperations() []string {
	var ops []string
	for _, it := range []reflect.Type{
		reflect.TypeFor[cloud.EC2](), reflect.TypeFor[cloud.ELBV2](), reflect.TypeFor[cloud.IAM](),
	} {
		for i := range it.NumMethod() {
			ops = append(ops, it.Method(i).Name)
		}
	}
	sort.Strings(ops)
	return ops
}

// isCloudOperation reports whether albctl calls op (it is in cloud's interfaces).
func isCloudOperation(op string) bool {
	for _, o := range CloudOperations() {
		if o == op {
			return true
		}
	}
	return false
}

// optional returns client as T, or skips the case when the client lacks the method and albctl
// does not call it yet. When cloud's interfaces list the operation, every client has it (EC2
// and ELBV2 embed them), so the skip cannot hide a missing operation albctl calls.
func optional[T any](t testing.TB, op string, client any) T {
	t.Helper()
	c, ok := client.(T)
	if !ok {
		if isCloudOperation(op) {
			t.Fatalf("the client has no %s, which albctl calls", op)
		}
		t.Skipf("the client has no %s and albctl does not call it yet", op)
	}
	return c
}

// id is the endpoint's ID for a world ID or ARN.
func (e *Env) id(t testing.TB, worldID string) string {
	t.Helper()
	if e.IDs == nil {
		return worldID
	}
	got, ok := e.IDs[worldID]
	if !ok {
		t.Fatalf("the harness seeded no %s", worldID)
	}
	return got
}

// advance lets d pass on the endpoint.
func (e *Env) advance(d time.Duration) {
	if e.Advance != nil {
		e.Advance(d)
	}
}

var ctx = context.Background()

// errorCode is the AWS error code of err, "" for nil.
func errorCode(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v carries no AWS error code", err)
	}
	return ae.ErrorCode()
}

// wantCode fails unless err carries the AWS error code want.
func wantCode(t testing.TB, err error, want string) {
	t.Helper()
	if got := errorCode(t, err); got != want {
		t.Fatalf("error code %q, want %q (error: %v)", got, want, err)
	}
}

// must fails on an error.
func must(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
