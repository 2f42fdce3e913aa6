package discover

import (
	"maps"
	"reflect"
	"testing"

	"github.com/albctl/albctl/internal/simulator"
)

// TestProposeSeed: the whole proposal for the seed world's "web", field by field.
func TestProposeSeed(t *testing.T) {
	w := simulator.SeedWorld()
	attrs := maps.Clone(seedTG(w).Attributes)
	got, err := proposeOn(t, w, "web", "")
	if err != nil {
		t.Fatal(err)
	}
	want := &Proposal{
		Origin: testOrigin,
		Label:  "web",
		Source: Source{
			ID: simulator.SeedInstance, Name: "web", AZ: "ap-northeast-1a", Subnet: simulator.SeedSubnet1a, VPC: simulator.SeedVPC,
			Type: "t3.small", Image: simulator.SeedImage, State: "running", Profile: simulator.SeedProfileARN,
			Groups: []string{simulator.SeedWebSG}, NameUnique: true,
		},
		TargetGroup: TargetGroup{
			ARN: simulator.SeedTargetGroup, Name: "web-tg", Protocol: "HTTP", VPC: simulator.SeedVPC, Port: 80,
			HC:         HealthCheck{Protocol: "HTTP", Port: "traffic-port", Path: "/health", Matcher: "200", Interval: 30, Timeout: 6, Healthy: 5, Unhealthy: 2},
			Attributes: attrs,
			Targets:    []string{simulator.SeedInstance + " (healthy)"},
		},
		Stickiness: Stickiness{Type: "lb_cookie", Seconds: 86400},
		LoadBalancers: []LoadBalancer{{
			ARN: simulator.SeedALB, Name: "web-alb", Scheme: "internet-facing", VPC: simulator.SeedVPC, Groups: []string{simulator.SeedALBSG},
			Zones: []LBZone{
				{AZ: "ap-northeast-1a", Subnet: simulator.SeedSubnet1a, CIDR: "10.0.1.0/24"},
				{AZ: az1c, Subnet: simulator.SeedSubnet1c, CIDR: cidr1c},
				{AZ: az1d, Subnet: simulator.SeedSubnet1d, CIDR: "10.0.3.0/24"},
			},
		}},
		Zone: ZoneChoice{
			AZ: az1d, Rule: RuleReachable, Candidates: []string{az1c, az1d},
			Short: "its load balancer node can reach a member",
			Reasons: []string{
				"the first alphabetically of the load balancer's other zones whose node the source's security groups (sg-0a1b2c3d4e5f60010) admit on port 80 (ap-northeast-1d). Not chosen:",
				"- ap-northeast-1c: security group sg-0a1b2c3d4e5f60010 admits no TCP 80 from 10.0.2.0/24, web-alb's subnet subnet-0a1b2c3d4e5f61c01 there, so its load balancer node could not reach a member.",
				"A member there goes into subnet-0a1b2c3d4e5f61d01 (web-public-1d), the only subnet of vpc-0a1b2c3d4e5f60001 in ap-northeast-1d.",
			},
		},
		Findings: []Finding{refused1c, {AZ: az1d, Admitted: true, Serves: true}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}

// TestProposeSource: how the proposal names the source and what it keeps of the target
// group, on variations of the seed world.
func TestProposeSource(t *testing.T) {
	twin := func(w *simulator.World) {
		in := w.Instances[0]
		in.ID, in.Reservation, in.IAMAssociation, in.IAMProfileARN = "i-0a1b2c3d4e5f60099", "r-0a1b2c3d4e5f60099", "", ""
		w.Instances = append(w.Instances, in)
	}
	tests := []struct {
		name, source string
		change       func(w *simulator.World)
		wantName     string
		wantUnique   bool
		wantProfile  string
		wantLabel    string
		wantSticky   Stickiness
	}{
		{name: "by Name tag", source: "web", wantName: "web", wantUnique: true, wantProfile: simulator.SeedProfileARN, wantLabel: "web", wantSticky: Stickiness{Type: "lb_cookie", Seconds: 86400}},
		{name: "by ID, a Name tag shared", source: simulator.SeedInstance, change: twin, wantName: "web", wantProfile: simulator.SeedProfileARN, wantLabel: "web", wantSticky: Stickiness{Type: "lb_cookie", Seconds: 86400}},
		{name: "no Name tag: the target group's name labels", source: simulator.SeedInstance,
			change:   func(w *simulator.World) { delete(w.Instances[0].Tags, "Name") },
			wantName: "", wantProfile: simulator.SeedProfileARN, wantLabel: "web-tg", wantSticky: Stickiness{Type: "lb_cookie", Seconds: 86400}},
		{name: "no profile, app cookie on", source: "web",
			change: func(w *simulator.World) {
				w.Instances[0].IAMProfileARN, w.Instances[0].IAMAssociation = "", ""
				a := seedTG(w).Attributes
				a["stickiness.enabled"], a["stickiness.type"] = "true", "app_cookie"
				a["stickiness.app_cookie.cookie_name"], a["stickiness.app_cookie.duration_seconds"] = "SESSIONID", "43200"
			},
			wantName: "web", wantUnique: true, wantLabel: "web", wantSticky: Stickiness{On: true, Type: "app_cookie", Seconds: 43200, Cookie: "SESSIONID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := simulator.SeedWorld()
			if tt.change != nil {
				tt.change(w)
			}
			p, err := proposeOn(t, w, tt.source, "")
			if err != nil {
				t.Fatal(err)
			}
			type view struct {
				Name           string
				Unique         bool
				Profile, Label string
				Sticky         Stickiness
			}
			got := view{p.Source.Name, p.Source.NameUnique, p.Source.Profile, p.Label, p.Stickiness}
			want := view{tt.wantName, tt.wantUnique, tt.wantProfile, tt.wantLabel, tt.wantSticky}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}
