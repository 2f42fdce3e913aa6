package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	gocmp "github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/simulator"
)

// The answer of a create is lost and the SDK retries it: these clients make every create
// that AWS answers "already exists" to on a repeat twice, and return the second answer (the
// known CI flake: CreateInstanceProfile retried after a dropped connection got 409
// EntityAlreadyExists and seed failed). Not CreateLoadBalancer and CreateListener: AWS
// answers a repeat with the same settings with the same resource (ELBv2 API Reference:
// both are idempotent), where moto makes a second one; not RegisterImage: AWS answers
// InvalidAMIName.Duplicate (Seed takes it as done), where moto registers a second image.
type retriedEC2 struct{ *ec2.Client }
type retriedELB struct{ *elbv2.Client }
type retriedIAM struct{ *iam.Client }

func twice[I, O any](ctx context.Context, call func(context.Context, I, ...func(*ec2.Options)) (O, error), in I) (O, error) {
	_, _ = call(ctx, in)
	return call(ctx, in)
}

func (c retriedEC2) CreateSubnet(ctx context.Context, in *ec2.CreateSubnetInput, _ ...func(*ec2.Options)) (*ec2.CreateSubnetOutput, error) {
	return twice(ctx, c.Client.CreateSubnet, in)
}
func (c retriedEC2) CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, _ ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error) {
	return twice(ctx, c.Client.CreateSecurityGroup, in)
}
func (c retriedEC2) AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
	return twice(ctx, c.Client.AuthorizeSecurityGroupIngress, in)
}
func (c retriedEC2) AuthorizeSecurityGroupEgress(ctx context.Context, in *ec2.AuthorizeSecurityGroupEgressInput, _ ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupEgressOutput, error) {
	return twice(ctx, c.Client.AuthorizeSecurityGroupEgress, in)
}
func (c retriedEC2) CreateNetworkAclEntry(ctx context.Context, in *ec2.CreateNetworkAclEntryInput, _ ...func(*ec2.Options)) (*ec2.CreateNetworkAclEntryOutput, error) {
	return twice(ctx, c.Client.CreateNetworkAclEntry, in)
}
func (c retriedEC2) CreateKeyPair(ctx context.Context, in *ec2.CreateKeyPairInput, _ ...func(*ec2.Options)) (*ec2.CreateKeyPairOutput, error) {
	return twice(ctx, c.Client.CreateKeyPair, in)
}

func twiceELB[I, O any](ctx context.Context, call func(context.Context, I, ...func(*elbv2.Options)) (O, error), in I) (O, error) {
	_, _ = call(ctx, in)
	return call(ctx, in)
}

func (c retriedELB) CreateTargetGroup(ctx context.Context, in *elbv2.CreateTargetGroupInput, _ ...func(*elbv2.Options)) (*elbv2.CreateTargetGroupOutput, error) {
	return twiceELB(ctx, c.Client.CreateTargetGroup, in)
}

func (c retriedIAM) CreateInstanceProfile(ctx context.Context, in *iam.CreateInstanceProfileInput, _ ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error) {
	_, _ = c.Client.CreateInstanceProfile(ctx, in)
	return c.Client.CreateInstanceProfile(ctx, in)
}

// restrict keeps of a snapshot of moto what Seed made or found for the world: moto has a
// default VPC with its subnets, and a default group and ACL in every VPC, that the world
// does not describe.
func restrict(w *simulator.World, known map[string]string) {
	has := func(id string) bool { _, ok := known[id]; return ok }
	w.VPCs = slices.DeleteFunc(w.VPCs, func(v simulator.VPC) bool { return !has(v.ID) })
	w.Subnets = slices.DeleteFunc(w.Subnets, func(s simulator.Subnet) bool { return !has(s.ID) })
	w.SecurityGroups = slices.DeleteFunc(w.SecurityGroups, func(g simulator.SecurityGroup) bool { return !has(g.ID) })
	w.NetworkACLs = slices.DeleteFunc(w.NetworkACLs, func(a simulator.NetworkACL) bool { return !has(a.ID) && !slices.ContainsFunc(a.Subnets, has) })
}

// TestMotoRoundTrip: for generated worlds (the blog world, several groups and an ACL deny,
// unhealthy and draining targets, cross-zone off and attributes, images with snapshots),
// snapshot(seed(W)) behaves as W (mirror.Project), but for what mirror.NotCarried lists,
// with every create answered as if retried after a lost answer.
func TestMotoRoundTrip(t *testing.T) {
	motoEndpoint(t)
	for _, rt := range mirror.RoundTripWorlds() {
		if n := rt.Name; n != "blog" && n != "blog+groups" && n != "blog+acl-deny" && n != "blog+health" && n != "blog+cross-zone-off" && n != "blog+groups+acl-deny+health+cross-zone-off" {
			continue // every feature alone and all together: 16 worlds against moto take too long
		}
		t.Run(rt.Name, func(t *testing.T) {
			m := newMoto(t)
			seeded, err := mirror.Seed(context.Background(), mirror.SeedAPI{EC2: retriedEC2{m.ec2}, ELBV2: retriedELB{m.elb}, IAM: retriedIAM{m.iam}}, rt.World)
			if err != nil {
				t.Fatalf("seed with retried creates: %v", err)
			}
			snap, notes, err := mirror.Snapshot(context.Background(), mirror.SnapshotAPI{EC2: m.ec2, ELBV2: m.elb, IAM: m.iam}, motoRegion)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d assumptions", len(notes))
			back := map[string]string{}
			for w, e := range seeded.IDs {
				back[e] = w
			}
			restrict(snap, back)
			rename := func(id string) string {
				if w, ok := back[id]; ok {
					return w
				}
				return "?" + id
			}
			want, err := mirror.Project(rt.World, nil, true)
			if err != nil {
				t.Fatal(err)
			}
			got, err := mirror.Project(snap, rename, true)
			if err != nil {
				t.Fatal(err)
			}
			if d := gocmp.Diff(want, got); d != "" {
				t.Errorf("snapshot(seed(W)) behaves otherwise than W (-world +snapshot):\n%s", d)
			}
		})
	}
}

// phaseRow is one phase of the rehearsal: its shares (in the order of shareNames) and its
// causes.
type phaseRow struct {
	shares []float64
	why    []string
}

// phases reads the phase table of plan -rehearse -json: by listener and phase, the shares
// (every share docs/plan-json.md lists) and the causes.
func phases(t *testing.T, out string) map[string]phaseRow {
	t.Helper()
	var doc struct {
		Rehearsal struct {
			Listeners []struct {
				LoadBalancer string `json:"load_balancer"`
				TargetGroup  string `json:"target_group"`
				Phases       []struct {
					Phase        string   `json:"phase"`
					Step         string   `json:"step"`
					Served       float64  `json:"served"`
					ConnErrors   float64  `json:"connection_errors"`
					Status502    float64  `json:"status_502"`
					Status503    float64  `json:"status_503"`
					Status504    float64  `json:"status_504"`
					AppErrors    float64  `json:"target_errors"`
					SessionsLost float64  `json:"sessions_lost"`
					Why          []string `json:"why"`
				} `json:"phases"`
			} `json:"listeners"`
		} `json:"rehearsal"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("plan -rehearse -json: %v\n%s", err, out)
	}
	table := map[string]phaseRow{}
	for _, l := range doc.Rehearsal.Listeners {
		for _, p := range l.Phases {
			table[fmt.Sprintf("%s -> %s: %s %s", l.LoadBalancer, l.TargetGroup, p.Phase, p.Step)] = phaseRow{
				shares: []float64{p.Served, p.ConnErrors, p.Status502, p.Status503, p.Status504, p.AppErrors, p.SessionsLost},
				why:    p.Why,
			}
		}
	}
	return table
}

// TestMotoRehearsalMatchesTheWorldFile is issue 16's journey: a world seeded into moto and
// rehearsed through a snapshot of it shows the same phase table as the world file (each
// share within one point), for the blog world (the security group rules that make the 1c
// node's requests fail are carried over) and for three worlds derived from it with other
// causes of failure (rehearsalWorlds): an ACL denying the return path, an unhealthy
// target, cross-zone load balancing off with empty zones.
func TestMotoRehearsalMatchesTheWorldFile(t *testing.T) {
	motoEndpoint(t)
	bin := albctl(t)
	for _, rw := range rehearsalWorlds() {
		t.Run(rw.name, func(t *testing.T) { rehearseBoth(t, bin, rw) })
	}
}

func rehearseBoth(t *testing.T, bin string, rw rehearsalWorld) {
	m := newMoto(t)
	dir := t.TempDir()
	w, err := simulator.LoadWorld(repoPath("examples/blog/world.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rw.edit != nil {
		rw.edit(w)
	}
	world := filepath.Join(dir, "world.json")
	if err := w.Save(world); err != nil {
		t.Fatal(err)
	}
	spec, _ := filepath.Abs(repoPath(rw.spec))
	noCreds := cliEnv(dir)
	creds := cliEnv(dir, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION="+motoRegion)
	seeded := runCLI(t, bin, noCreds, "sim", "seed", "--endpoint", m.endpoint, world)
	seeded.must(t, 0, "resources created")
	// moto runs no health checks; the copy reads it through a stand-in for AWS's.
	ids := seededIDs(t, seeded.stdout)
	endpoint := healthChecker(t, m.endpoint, failingApps(t, w, ids))
	// The copy's seed is a hash of the IDs it read (mirror.NotCarried): the world file is
	// rehearsed with the same seed, so that both draw the same simulated delays (an image's
	// pending time, for one) and the comparison holds the copy, not the dice.
	snapFile := filepath.Join(dir, "snap.json")
	runCLI(t, bin, noCreds, "sim", "snapshot", "--endpoint", endpoint, "--region", motoRegion, "-o", snapFile).must(t, 0, "Wrote ")
	snap, err := simulator.LoadWorld(snapFile)
	if err != nil {
		t.Fatal(err)
	}
	// The simulator keys draws by IDs too (a listener's clients by its ARN, an instance's
	// pending time by its ID): the world file is rehearsed under the IDs moto handed out.
	w = renamed(t, w, ids)
	w.Seed = snap.Seed
	if err := w.Save(world); err != nil {
		t.Fatal(err)
	}
	fromFile := runCLI(t, bin, noCreds, "plan", "-rehearse", "-json", "--world", world, spec)
	fromMoto := runCLI(t, bin, creds, "plan", "-rehearse", "-json", "--cloud", "aws", "--endpoint", endpoint, spec)
	for _, r := range []run{fromFile, fromMoto} {
		if r.code != 0 { // the spec must plan on both
			t.Fatalf("plan -rehearse: exit %d\n%s", r.code, r.stderr)
		}
	}
	checkRehearsal(t, fromFile.stdout, nil)
	checkRehearsal(t, fromMoto.stdout, rw.kinds)
	want, got := phases(t, fromFile.stdout), phases(t, fromMoto.stdout)
	showsCause(t, rw, want)
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: not in the rehearsal of the copy of moto (it has %v)", k, slices.Sorted(maps.Keys(got)))
			continue
		}
		for i, name := range shareNames {
			if d := g.shares[i] - w.shares[i]; d > 0.01 || d < -0.01 {
				t.Errorf("%s: %s %.1f%% on the copy of moto, %.1f%% on the world file", k, name, 100*g.shares[i], 100*w.shares[i])
			}
		}
		// Under the same IDs the causes read alike: a copy that fails as often for
		// another reason (an ACL that denies everything for one that denies the return
		// path) does not match.
		if d := gocmp.Diff(w.why, g.why); d != "" {
			t.Errorf("%s: other causes on the copy of moto (-world file +copy):\n%s", k, d)
		}
	}
	if len(got) != len(want) {
		t.Errorf("the copy of moto has phases %v, the world file %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
}

// checkRehearsal: the plan ran to the end on the copy, and the copy says what it assumed
// (moto adds waf.fail_open.enabled to a target group: an attribute the simulator does not
// model); the world file is no copy.
func checkRehearsal(t *testing.T, out string, want []string) {
	t.Helper()
	var doc struct {
		Rehearsal struct {
			Outcome     string              `json:"outcome"`
			Error       string              `json:"error"`
			Assumptions []mirror.Assumption `json:"assumptions"`
		} `json:"rehearsal"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Rehearsal.Outcome != "complete" {
		t.Errorf("rehearsal %s (%s), want complete: a world whose plan stops compares little", doc.Rehearsal.Outcome, doc.Rehearsal.Error)
	}
	var kinds []string
	for _, a := range doc.Rehearsal.Assumptions {
		kinds = append(kinds, a.Kind)
	}
	slices.Sort(kinds)
	want = slices.Sorted(slices.Values(want))
	if kinds = slices.Compact(kinds); !slices.Equal(kinds, want) {
		t.Errorf("assumption kinds %v, want %v", kinds, want)
	}
}

// showsCause fails unless the world file's rehearsal shows the world's cause of failure.
func showsCause(t *testing.T, rw rehearsalWorld, table map[string]phaseRow) {
	t.Helper()
	if len(table) == 0 {
		t.Fatal("no phases in the rehearsal of the world file")
	}
	for _, p := range table {
		if p.shares[rw.share] > 0 && slices.ContainsFunc(p.why, func(s string) bool { return strings.Contains(s, rw.cause) }) {
			return
		}
	}
	t.Errorf("no phase of the world file's rehearsal has %s > 0 with a cause containing %q: the world does not show its failure", shareNames[rw.share], rw.cause)
}
