package discover

import (
	"reflect"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/simulator"
)

// choiceOf is the structural part of a proposal's zone decision: what the tests compare.
type choiceOf struct {
	AZ, Subnet  string
	Rule        Rule
	Candidates  []string
	NotPossible []string
	Findings    []Finding
	Warnings    []string
}

func summarize(p *Proposal) choiceOf {
	z := p.Zone
	return choiceOf{AZ: z.AZ, Subnet: z.Subnet, Rule: z.Rule, Candidates: z.Candidates, NotPossible: z.NotPossible, Findings: p.Findings, Warnings: p.Warnings}
}

const (
	az1c, az1d = "ap-northeast-1c", "ap-northeast-1d"
	cidr1c     = "10.0.2.0/24"
	// notServing1c is the planner's reason for 1c in the seed world: web-sg admits the
	// subnets of 1a and 1d only (internal/reach's words).
	notServing1c = "the node of web-alb there reaches no target of web-tg: security group sg-0a1b2c3d4e5f60010 (web-sg) of i-0a1b2c3d4e5f60001 admits no TCP 80 from 10.0.2.0/24 (the load balancer node in ap-northeast-1c); security group sg-0a1b2c3d4e5f60010 (web-sg) of a member admits no TCP 80 from 10.0.2.0/24 (the load balancer node in ap-northeast-1c)"
)

// refused1c: web-sg does not admit the node in 1c, and the planner agrees.
var refused1c = Finding{AZ: az1c, LB: "web-alb", Subnet: simulator.SeedSubnet1c, CIDR: cidr1c, Port: 80, NotServing: notServing1c}

func admitsALBGroup(w *simulator.World) {
	webSG(w).Ingress = &[]simulator.IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, SourceGroups: []string{simulator.SeedALBSG}}}
}

// TestChooseZone: the second zone init proposes, and why, on variations of the seed world.
func TestChooseZone(t *testing.T) {
	tests := []struct {
		name   string
		change func(w *simulator.World)
		want   choiceOf
	}{
		{
			name: "seed: web-sg admits 1a and 1d only, so 1d",
			want: choiceOf{AZ: az1d, Rule: RuleReachable, Candidates: []string{az1c, az1d},
				Findings: []Finding{refused1c, {AZ: az1d, Admitted: true, Serves: true}}},
		},
		{
			name:   "web-sg admits the load balancer's group: every zone, the first",
			change: admitsALBGroup,
			want: choiceOf{AZ: az1c, Rule: RuleAllReachable, Candidates: []string{az1c, az1d},
				Findings: []Finding{{AZ: az1c, Admitted: true, Serves: true}, {AZ: az1d, Admitted: true, Serves: true}}},
		},
		{
			name: "1d does not offer t3.small: 1c, the only zone left",
			change: func(w *simulator.World) {
				admitsALBGroup(w)
				w.InstanceTypeOfferings = map[string][]string{az1d: {"m5.large"}}
			},
			want: choiceOf{AZ: az1c, Rule: RuleAllReachable, Candidates: []string{az1c},
				NotPossible: []string{"ap-northeast-1d: t3.small is not offered there"},
				Findings:    []Finding{{AZ: az1c, Admitted: true, Serves: true}}},
		},
		{
			name: "two subnets in 1d: the load balancer's, as the source is in the load balancer's",
			change: func(w *simulator.World) {
				w.Subnets = append(w.Subnets, simulator.Subnet{ID: "subnet-0a1b2c3d4e5f61d02", VPC: simulator.SeedVPC, AZ: az1d, CIDR: "10.0.4.0/24"})
			},
			want: choiceOf{AZ: az1d, Subnet: simulator.SeedSubnet1d, Rule: RuleReachable, Candidates: []string{az1c, az1d},
				Findings: []Finding{refused1c, {AZ: az1d, Admitted: true, Serves: true}}},
		},
		{
			name: "web-sg is not in the region: the first by name, with a warning",
			change: func(w *simulator.World) {
				w.SecurityGroups = slicesDelete(w.SecurityGroups, simulator.SeedWebSG)
			},
			want: choiceOf{AZ: az1c, Rule: RuleGroupsUnread, Candidates: []string{az1c, az1d},
				Warnings: []string{"init could not find security groups sg-0a1b2c3d4e5f60010 in the region: check that the load balancer can reach a member in ap-northeast-1c"}},
		},
		{
			// The health check goes to 8080, which web-sg does not admit: init's reading
			// refuses every zone, the planner (which checks the traffic port) accepts them,
			// so the first, with a warning.
			name: "the health check port is not admitted: the first the planner accepts, with a warning",
			change: func(w *simulator.World) {
				admitsALBGroup(w)
				seedTG(w).HealthCheck.Port = "8080"
			},
			want: choiceOf{AZ: az1c, Rule: RuleNoneReachable, Candidates: []string{az1c, az1d},
				Findings: []Finding{
					{AZ: az1c, LB: "web-alb", Subnet: simulator.SeedSubnet1c, CIDR: cidr1c, Port: 8080, Serves: true},
					{AZ: az1d, LB: "web-alb", Subnet: simulator.SeedSubnet1d, CIDR: "10.0.3.0/24", Port: 8080, Serves: true}},
				Warnings: []string{"the source's security groups admit no load balancer node on port 80: check that the load balancer can reach a member in ap-northeast-1c"}},
		},
		{
			// Cross-zone load balancing off: the node in 1c must reach a target in 1c. The
			// load balancer's group lets it out only to 1a and 1d, so web-sg admitting that
			// group is not enough there: the planner refuses 1c, and so does init.
			name: "cross-zone off and the load balancer's egress stops at 1c: 1d",
			change: func(w *simulator.World) {
				admitsALBGroup(w)
				seedTG(w).Attributes["load_balancing.cross_zone.enabled"] = "false"
				albSG(w).Egress = &[]simulator.IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24", "10.0.3.0/24"}}}
			},
			want: choiceOf{AZ: az1d, Rule: RuleReachable, Candidates: []string{az1c, az1d},
				Findings: []Finding{
					{AZ: az1c, Admitted: true, NotServing: "the node of web-alb there reaches no target of web-tg: security group sg-0a1b2c3d4e5f60011 (web-alb-sg) of the load balancer allows no TCP 80 out to 10.0.2.0/24 (a member in ap-northeast-1c)"},
					{AZ: az1d, Admitted: true, Serves: true}}},
		},
		{
			// The same with cross-zone on: the node in 1c serves through the source in 1a,
			// so the planner accepts 1c, the first.
			name: "cross-zone on and the load balancer's egress stops at 1c: 1c serves across zones",
			change: func(w *simulator.World) {
				admitsALBGroup(w)
				albSG(w).Egress = &[]simulator.IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24", "10.0.3.0/24"}}}
			},
			want: choiceOf{AZ: az1c, Rule: RuleAllReachable, Candidates: []string{az1c, az1d},
				Findings: []Finding{{AZ: az1c, Admitted: true, Serves: true}, {AZ: az1d, Admitted: true, Serves: true}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := simulator.SeedWorld()
			if tt.change != nil {
				tt.change(w)
			}
			p, err := proposeOn(t, w, "web", "")
			if err != nil {
				t.Fatal(err)
			}
			if got := summarize(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestChooseZoneRefuses: no zone plan would accept, or none at all: no proposal.
func TestChooseZoneRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(w *simulator.World)
		want   string
	}{
		{"web-sg admits nothing", func(w *simulator.World) { webSG(w).Ingress = &[]simulator.IngressRule{} },
			"no second zone for i-0a1b2c3d4e5f60001 that plan would accept: ap-northeast-1c: security group sg-0a1b2c3d4e5f60010 admits no TCP 80 from 10.0.2.0/24, web-alb's subnet subnet-0a1b2c3d4e5f61c01 there, so its load balancer node could not reach a member; ap-northeast-1d: security group sg-0a1b2c3d4e5f60010 admits no TCP 80 from 10.0.3.0/24, web-alb's subnet subnet-0a1b2c3d4e5f61d01 there, so its load balancer node could not reach a member. Let the source's security groups admit the load balancer's subnets (or its security group) on port 80, then run init again"},
		{"1d does not offer t3.small and 1c is refused", func(w *simulator.World) { w.InstanceTypeOfferings = map[string][]string{az1d: {"m5.large"}} },
			"so its load balancer node could not reach a member; ap-northeast-1d: t3.small is not offered there. Let"},
		{"the load balancer has no other zone", func(w *simulator.World) { w.LoadBalancers[0].Subnets = w.LoadBalancers[0].Subnets[:1] },
			"no second zone for i-0a1b2c3d4e5f60001: the load balancer web-alb has no other zone a member could go to (). Add a subnet"},
		{"no subnet of the VPC in 1c and 1d", func(w *simulator.World) {
			w.Subnets[1].VPC, w.Subnets[2].VPC = "vpc-other", "vpc-other"
		}, "(ap-northeast-1c: no subnet of vpc-0a1b2c3d4e5f60001 there; ap-northeast-1d: no subnet of vpc-0a1b2c3d4e5f60001 there)"},
		{"a source_ip stickiness", func(w *simulator.World) {
			a := seedTG(w).Attributes
			a["stickiness.enabled"], a["stickiness.type"] = "true", "source_ip"
		}, "target group web-tg has stickiness of type source_ip, which a spec cannot express"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := simulator.SeedWorld()
			tt.change(w)
			p, err := proposeOn(t, w, "web", "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, %v; want an error with %q", p, err, tt.want)
			}
		})
	}
}
