package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// blogRules gives the instances' web-sg the blog's rule: HTTP from the 1a and 1d subnets
// only (written when the ALB had those two zones), so the 1c node reaches no target.
func blogRules(w *cloud.World) {
	w.SecurityGroups[0].Ingress = []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24", "10.0.3.0/24"}}}
}

func explicitZones(s *specs.Stack, zones ...string) {
	s.LoadBalancers[0].ZonesFromTargets = false
	s.LoadBalancers[0].Zones = zones
}

func oneInstance(s *specs.Stack) {
	s.Fleets[0].Zones = []specs.FleetZone{{AZ: "ap-northeast-1a", Count: 1}}
}

func diagsOf(t *testing.T, s *specs.Stack, w *cloud.World) string {
	t.Helper()
	p, err := Build(s, w)
	var diags hcl.Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("Build = %v, %v; want diagnostics", p, err)
	}
	return diags.Error()
}

// Zones that cannot serve are refused, naming the node and the rule that blocks it.
func TestZoneThatCannotServeIsRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		stack func(s *specs.Stack)
		world func(w *cloud.World)
		want  []string
	}{
		{"explicit zones keep 1c, which web-sg does not admit", func(s *specs.Stack) {
			explicitZones(s, "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
		}, blogRules, []string{"Zone cannot serve", "the load balancer node in ap-northeast-1c (subnet subnet-0c)",
			"security group sg-1 (web-sg) of i-0aaaaaaaaaaaaaaa1 admits no TCP 80 from 10.0.2.0/24",
			"(the load balancer node in ap-northeast-1c), and likewise web-1d-1.", "leave ap-northeast-1c out of zones"}},
		{"a network ACL rule denies the node's subnet", func(s *specs.Stack) {
			explicitZones(s, "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
		}, func(w *cloud.World) {
			w.NetworkACLs[0].Entries = append([]cloud.ACLEntry{{Number: 90, Protocol: "6", FromPort: 80, ToPort: 80, CIDR: "10.0.2.0/24", Action: "deny"}}, w.NetworkACLs[0].Entries...)
		}, []string{"node in ap-northeast-1c", "network ACL acl-1 does not allow inbound from 10.0.2.0/24 port 80 (rule 90 denies it)"}},
		{"the load balancer's group lets nothing out", func(s *specs.Stack) {}, func(w *cloud.World) {
			w.SecurityGroups[1].Egress = nil
		}, []string{"node in ap-northeast-1a (subnet subnet-0a) of web-alb reaches no target of web-tg", "security group sg-alb (web-alb-sg) of the load balancer allows no TCP 80 out"}},
		{"cross-zone off: a zone without targets has nothing to send to", func(s *specs.Stack) {
			explicitZones(s, "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
		}, func(w *cloud.World) {
			w.TargetGroups[0].Attributes["load_balancing.cross_zone.enabled"] = "false"
		}, []string{"node in ap-northeast-1c", "has nothing to send to: cross-zone load balancing is off for web-tg and ap-northeast-1c will hold none of its targets"}},
		{"zones = targets: a zone holding targets whose node reaches none", func(s *specs.Stack) {
			s.Fleets[0].Zones = []specs.FleetZone{{AZ: "ap-northeast-1a", Count: 1}, {AZ: "ap-northeast-1c", Count: 1}}
		}, blogRules, []string{"node in ap-northeast-1c", "admits no TCP 80 from 10.0.2.0/24", "cannot be trimmed"}},
		{"one instance, and no other zone's node reaches it", oneInstance, func(w *cloud.World) {
			w.SecurityGroups[0].Ingress = []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24"}}}
		}, []string{"An ALB needs two zones", "each able to serve", "the node in ap-northeast-1c reaches no target of web-tg", "the node in ap-northeast-1d reaches no target"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, w := seedStack(), seedWorld()
			c.stack(s)
			c.world(w)
			got := diagsOf(t, s, w)
			for _, want := range c.want {
				if !strings.Contains(got, want) {
					t.Errorf("diagnostics %q do not contain %q", got, want)
				}
			}
		})
	}
}

// The case: explicit zones on the blog's world, already what the ALB has, is not
// "No changes" but a plan error.
func TestExplicitZonesMatchingTheWorldStillChecked(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), converged()
	explicitZones(s, "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
	w.LoadBalancers[0].Zones = seedWorld().LoadBalancers[0].Zones
	if p := build(t, s, w); !p.Empty() {
		t.Fatalf("open rules: steps %v, want none", kinds(p))
	}
	blogRules(w)
	if got := diagsOf(t, s, w); !strings.Contains(got, "node in ap-northeast-1c") || !strings.Contains(got, "web-sg") {
		t.Errorf("diagnostics %q", got)
	}
}

// A fleet of one instance with zones = "targets": the ALB keeps a second zone whose node
// reaches the instance, and trims one that cannot, saying why.
func TestOneInstanceKeepsAZoneThatServes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		rules       func(w *cloud.World)
		keep        []string
		trimmed     string
		reasonParts []string
	}{
		{"every node reaches it: the first other zone is kept", func(*cloud.World) {}, []string{"ap-northeast-1a", "ap-northeast-1c"}, "ap-northeast-1d",
			[]string{"ap-northeast-1d has no targets: zones = \"targets\" keeps only the zones holding them"}},
		{"the blog's rules: 1c cannot, 1d can", blogRules, []string{"ap-northeast-1a", "ap-northeast-1d"}, "ap-northeast-1c",
			[]string{"ap-northeast-1c has no targets, and its node reaches no target of web-tg", "sg-1 (web-sg)", "from 10.0.2.0/24"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, w := seedStack(), seedWorld()
			oneInstance(s)
			c.rules(w)
			p := build(t, s, w)
			trim := step(t, p, TrimZones)
			if !slices.Equal(trim.Zones.AZs, c.keep) || !slices.Equal(trim.Zones.Removed, []string{c.trimmed}) {
				t.Errorf("trim to %v removing %v, want %v removing %s", trim.Zones.AZs, trim.Zones.Removed, c.keep, c.trimmed)
			}
			// The kept zone without targets serves across zones: the engine must not wait for
			// a healthy target in it.
			if !slices.Equal(trim.Zones.AcrossZones, c.keep[1:]) {
				t.Errorf("across_zones %v, want %v", trim.Zones.AcrossZones, c.keep[1:])
			}
			for _, part := range c.reasonParts {
				if !strings.Contains(trim.Reason, part) {
					t.Errorf("reason %q does not contain %q", trim.Reason, part)
				}
			}
			if slices.ContainsFunc(p.Steps, func(s Step) bool { return s.Kind == LaunchInstance }) {
				t.Errorf("steps %v: a fleet of one launches nothing", kinds(p))
			}
		})
	}
}

// Scaling out to two zones and back to one is a plan both ways.
func TestScaleOutCanBeUndone(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), converged()
	oneInstance(s)
	blogRules(w)
	p := build(t, s, w)
	if got := kinds(p); !slices.Contains(got, string(DeregisterTarget)) || !slices.Contains(got, string(TerminateInstance)) || slices.Contains(got, string(TrimZones)) {
		t.Errorf("steps %v: want the 1d member retired and the zones 1a and 1d kept (1d's node reaches the 1a source)", got)
	}
}

// Without the network read, zones are not checked, and the plan says so.
func TestNetworkNotReadIsAWarning(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), seedWorld()
	explicitZones(s, "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
	blogRules(w)
	w.NetworkRead = false
	p := build(t, s, w)
	if !slices.ContainsFunc(p.Warnings, func(s string) bool {
		return strings.Contains(s, "load balancer web-alb: not checked that each zone's node reaches a target")
	}) {
		t.Errorf("warnings %v", p.Warnings)
	}
	w.NetworkRead = true
	if p, err := Build(s, w); err == nil {
		t.Errorf("network read: plan %v, want an error", kinds(p))
	}
}

// Check refuses a plan that leaves a zone whose node cannot serve, whoever made it.
func TestCheckZonesServe(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), seedWorld()
	p := build(t, s, w)
	if errs := Check(w, p); len(errs) != 0 {
		t.Fatalf("Check: %v", errs)
	}
	blogRules(w)
	w.SecurityGroups[0].Ingress[0].CIDRs = []string{"10.0.1.0/24"} // now the 1d node reaches nothing
	errs := Check(w, p)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "trim_zones.web leaves web-alb enabled in ap-northeast-1d, whose node cannot serve") {
		t.Errorf("Check: %v", errs)
	}
}

// An ALB has cross-zone load balancing on at the load balancer level whatever its attribute
// says (an emulator reports "false"): only the target group can turn it off.
func TestCrossZoneIsTheTargetGroups(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), seedWorld()
	oneInstance(s)
	w.LoadBalancers[0].Attributes = map[string]string{"load_balancing.cross_zone.enabled": "false"}
	if trim := step(t, build(t, s, w), TrimZones); !slices.Equal(trim.Zones.AZs, []string{"ap-northeast-1a", "ap-northeast-1c"}) {
		t.Errorf("trim to %v, want 1a and 1c (1c serves across zones)", trim.Zones.AZs)
	}
	w.TargetGroups[0].Attributes["load_balancing.cross_zone.enabled"] = "false"
	if got := diagsOf(t, s, w); !strings.Contains(got, "An ALB needs two zones") || !strings.Contains(got, "cross-zone load balancing is off for web-tg") {
		t.Errorf("cross-zone off on the target group: %q", got)
	}
}

// A member the plan retires serves no zone: a node that reaches only it is refused, and a
// member the plan launches counts in its place.
func TestFutureTargetsAreJudged(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), converged()
	explicitZones(s, "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
	w.LoadBalancers[0].Zones = seedWorld().LoadBalancers[0].Zones
	// The source's web-sg admits the 1a and 1d nodes; the 1d member's own group only the 1c
	// node.
	blogRules(w)
	w.SecurityGroups = append(w.SecurityGroups, cloud.SecurityGroup{ID: "sg-2", Name: "member-sg", VpcID: "vpc-1",
		Ingress: []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.2.0/24"}}}, Egress: allTraffic()})
	w.Instances[1].SecurityGroupIDs = []string{"sg-2"}
	if p := build(t, s, w); !p.Empty() {
		t.Fatalf("the 1c node reaches the member: steps %v, want none", kinds(p))
	}
	oneInstance(s)
	if got := diagsOf(t, s, w); !strings.Contains(got, "node in ap-northeast-1c") || !strings.Contains(got, "of i-0aaaaaaaaaaaaaaa1 admits no TCP 80 from 10.0.2.0/24") || strings.Contains(got, "i-0bbbbbbbbbbbbbbb1") {
		t.Errorf("retiring the member the 1c node reaches: %q", got)
	}
}

// A zone served only by a member the plan launches is kept: the launch's subnet and groups
// are judged as the instance will have them.
func TestPlannedLaunchServesAZone(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), seedWorld()
	explicitZones(s, "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
	// The 1a subnet's own ACL refuses the 1c subnet: the 1c node cannot reach the source,
	// only the member to be launched in 1d.
	w.NetworkACLs[0].Subnets = []string{"subnet-0c", "subnet-0d"}
	w.NetworkACLs = append(w.NetworkACLs, cloud.NetworkACL{ID: "acl-0a", VpcID: "vpc-1", Subnets: []string{"subnet-0a"}, Entries: []cloud.ACLEntry{
		{Number: 90, Protocol: "-1", CIDR: "10.0.2.0/24", Action: "deny"},
		{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
		{Number: 100, Egress: true, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
	}})
	p := build(t, s, w)
	if !slices.ContainsFunc(p.Steps, func(s Step) bool { return s.Kind == LaunchInstance && s.Launch.AZ == "ap-northeast-1d" }) {
		t.Fatalf("steps %v: want the 1d launch", kinds(p))
	}
	s.Fleets[0].Zones = []specs.FleetZone{{AZ: "ap-northeast-1a", Count: 1}}
	if got := diagsOf(t, s, w); !strings.Contains(got, "node in ap-northeast-1c") || !strings.Contains(got, "network ACL acl-0a does not allow inbound from 10.0.2.0/24 port 80 (rule 90 denies it)") {
		t.Errorf("without the launch: %q", got)
	}
}

// A rule that stops one target is said once, without a list of others it stops too.
func TestOneBlockedTargetIsNamedAlone(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), seedWorld()
	oneInstance(s)
	w.SecurityGroups[1].Egress = nil
	got := diagsOf(t, s, w)
	if !strings.Contains(got, "allows no TCP 80 out") || strings.Contains(got, "likewise") || strings.Contains(got, "more") {
		t.Errorf("diagnostics %q: want the one blocked target alone", got)
	}
}

// A target registered on a port of its own (not the target group's) is reached on that port.
func TestTargetOnItsOwnPortIsReachedThere(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), seedWorld()
	oneInstance(s)
	w.TargetGroups[0].Targets[0].Port = 8080
	w.SecurityGroups[0].Ingress = []cloud.SGRule{{Protocol: "tcp", FromPort: 8080, ToPort: 8080, CIDRs: []string{"10.0.0.0/16"}}}
	if _, err := Build(s, w); err != nil {
		t.Fatalf("the target's own port 8080 is admitted, yet: %v", err)
	}
	w.SecurityGroups[0].Ingress[0].FromPort, w.SecurityGroups[0].Ingress[0].ToPort = 80, 80
	if got := diagsOf(t, s, w); !strings.Contains(got, "admits no TCP 8080") {
		t.Errorf("diagnostics %q: want the target's port 8080 judged", got)
	}
}

// Three rules that each stop a target are all named; only past three are the rest counted.
func TestThreeBlockingRulesAreAllNamed(t *testing.T) {
	t.Parallel()
	s, w := seedStack(), seedWorld()
	oneInstance(s)
	w.SecurityGroups[0].Ingress = nil
	// Two more targets, each in a group of its own that admits nothing: with web-sg, three rules.
	for i, sg := range []string{"sg-2", "sg-3"} {
		w.SecurityGroups = append(w.SecurityGroups, cloud.SecurityGroup{ID: sg, Name: "other-" + sg, VpcID: "vpc-1", Egress: allTraffic()})
		in := member("i-0eeeeeeeeeeeeee"+itoa(i+1), "ap-northeast-1a", "subnet-0a", 0)
		in.Tags = map[string]string{"Name": "other-" + itoa(i+1)}
		in.SecurityGroupIDs = []string{sg}
		w.Instances = append(w.Instances, in)
		w.TargetGroups[0].Targets = append(w.TargetGroups[0].Targets, cloud.Target{ID: in.ID, Port: 80, State: "healthy"})
	}
	got := diagsOf(t, s, w)
	for _, want := range []string{"sg-1 (web-sg)", "sg-2 (other-sg-2)", "sg-3 (other-sg-3)"} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics %q do not name %q", got, want)
		}
	}
	if strings.Contains(got, "more") {
		t.Errorf("diagnostics %q count more rules than the three named", got)
	}
}
