package mirror_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/simulator"
)

// oddAccount is a region with one of everything a copy cannot carry as it is.
func oddAccount() *cloud.World {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	vpc, sn, web := "vpc-0000000000000001a", "subnet-0000000000000001a", "sg-0000000000000001a"
	return &cloud.World{
		VPCs:    []cloud.VPC{{ID: vpc, CIDR: "10.0.0.0/16", OwnerID: "111122223333"}},
		Subnets: []cloud.Subnet{{ID: sn, AZ: "eu-west-1a", VpcID: vpc, CIDR: "10.0.1.0/24", AvailableIPs: 250}},
		SecurityGroups: []cloud.SecurityGroup{{ID: web, Name: "web", VpcID: vpc,
			Ingress: []cloud.SGRule{
				{Protocol: "tcp", FromPort: 80, ToPort: 80, PrefixLists: []string{"pl-00000001"}},
				{Protocol: "udp", FromPort: 53, ToPort: 53, CIDRs: []string{"10.0.0.0/16"}},
				{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"2001:db8::/32"}},
				{Protocol: "tcp", FromPort: 80, ToPort: 80, Groups: []string{"sg-0000000000000009f"}},
			},
			Egress: []cloud.SGRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}},
		}},
		NetworkACLs: []cloud.NetworkACL{{ID: "acl-0000000000000001a", VpcID: vpc, IsDefault: true, Subnets: []string{sn}, Entries: []cloud.ACLEntry{
			{Number: 50, Protocol: "17", FromPort: 53, ToPort: 53, CIDR: "0.0.0.0/0", Action: "deny"},
			{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
			{Number: 32767, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "deny"},
			{Number: 32768, Protocol: "-1", CIDR: "::/0", Action: "deny"},
			{Number: 100, Egress: true, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
		}}},
		Images: []cloud.Image{{ID: "ami-0000000000000001a", Name: "web", State: "available", OwnerID: "111122223333", Created: t0, SnapshotIDs: []string{"snap-0000000000000009f"}}},
		Instances: []cloud.Instance{
			{ID: "i-0000000000000001a", State: "running", AZ: "eu-west-1a", SubnetID: sn, VpcID: vpc, ImageID: "ami-0000000000000001a", InstanceType: "t3.small", SecurityGroupIDs: []string{web}, LaunchTime: t0, ReservationID: "r-0000000000000001a", OwnerID: "111122223333"},
			{ID: "i-0000000000000002a", State: "running", AZ: "eu-west-1a", SubnetID: sn, VpcID: vpc, ImageID: "ami-0000000000000001a", InstanceType: "t3.small", SecurityGroupIDs: []string{web}, LaunchTime: t0, ReservationID: "r-0000000000000002a", OwnerID: "111122223333"},
		},
		LoadBalancers: []cloud.LoadBalancer{
			{ARN: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/nlb/1", Name: "nlb", VpcID: vpc, Type: "network", Created: t0},
			{ARN: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/alb/1", Name: "alb", VpcID: vpc, Type: "application", State: "active", Created: t0,
				Zones:      []cloud.LBZone{{AZ: "eu-west-1a", SubnetID: sn}},
				Attributes: map[string]string{"idle_timeout.timeout_seconds": "60", "some.future.attribute": "x"},
				Listeners:  []cloud.Listener{{ARN: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/alb/1/2", Port: 443, Protocol: "HTTPS"}}},
		},
		TargetGroups: []cloud.TargetGroup{
			{ARN: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/ips/1", Name: "ips", VpcID: vpc, TargetType: "ip", Protocol: "HTTP", Port: 80},
			{ARN: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/1", Name: "web", VpcID: vpc, TargetType: "instance", Protocol: "HTTP", Port: 80,
				HealthCheck: cloud.HealthCheck{Protocol: "HTTP", Path: "/", Port: "traffic-port", IntervalSeconds: 30, TimeoutSeconds: 5, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"},
				Attributes:  map[string]string{"waf.fail_open.enabled": "false", "deregistration_delay.timeout_seconds": "60"},
				Targets: []cloud.Target{
					{ID: "i-0000000000000001a", Port: 80, State: "unhealthy", Reason: "Target.ResponseCodeMismatch", Description: "Health checks failed with these codes: [502]"},
					{ID: "i-0000000000000002a", Port: 80, State: "draining", Reason: "Target.DeregistrationInProgress"},
					{ID: "i-00000000000000099", Port: 80, State: "unhealthy", Reason: "Target.Timeout"},
				}},
		},
	}
}

// TestCopyNamesEachAssumption: every kind of assumption is made where it applies, on the
// resource it concerns, and what the copy does instead holds in the world it makes.
func TestCopyNamesEachAssumption(t *testing.T) {
	t.Parallel()
	w, notes, err := mirror.Copy(oddAccount(), "111122223333", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ kind, resource, text string }{
		{mirror.AssumePrefixList, "sg-0000000000000001a", "pl-00000001"},
		{mirror.AssumeProtocol, "sg-0000000000000001a", "inbound rule udp port 53"},
		{mirror.AssumeProtocol, "acl-0000000000000001a", "inbound entry 50 (protocol 17)"},
		{mirror.AssumeIPv6, "sg-0000000000000001a", "2001:db8::/32"},
		{mirror.AssumeForeignGroup, "sg-0000000000000001a", "sg-0000000000000009f"},
		{mirror.AssumeSnapshot, "ami-0000000000000001a", "snap-0000000000000009f"},
		{mirror.AssumeHealth, "web i-0000000000000001a", "answers 502"},
		{mirror.AssumeHealth, "web i-0000000000000002a", "whole delay (60 s)"},
		{mirror.AssumeApp, "images", "boot time"},
		{mirror.AssumeApp, "ami-0000000000000001a", "some of its instances pass their checks and some fail"},
		{mirror.AssumeSessions, "web", "on each server"},
		{mirror.AssumeLeftOut, "nlb", "network load balancer"},
		{mirror.AssumeLeftOut, "ips", "type ip"},
		{mirror.AssumeLeftOut, "alb", "listener HTTPS 443"},
		{mirror.AssumeLeftOut, "web", "i-00000000000000099"},
		{mirror.AssumeAttribute, "alb", "some.future.attribute=x"},
		{mirror.AssumeAttribute, "web", "waf.fail_open.enabled=false"},
		{mirror.AssumeClock, "world", "2024-03-01T01:00:00Z"},
	}
	for _, x := range want {
		found := false
		for _, n := range notes {
			found = found || (n.Kind == x.kind && n.Resource == x.resource && strings.Contains(n.Text, x.text))
		}
		if !found {
			t.Errorf("no %s assumption on %s saying %q; got:\n%v", x.kind, x.resource, x.text, notes)
		}
	}
	for i := 1; i < len(notes); i++ {
		if a, b := notes[i-1], notes[i]; a.Kind > b.Kind || (a.Kind == b.Kind && a.Resource > b.Resource) {
			t.Errorf("assumptions not sorted: %v before %v", a, b)
		}
	}
	// What the copy does instead: the group admits TCP 80 from the IPv6 block only (the
	// prefix list, UDP and foreign-group rules are gone), the ACL keeps two rules, the
	// unhealthy target's app answers 502, the draining one drains for 60 s from the clock;
	// the image serves (one of its instances passes, one fails).
	g := w.SecurityGroups[0]
	if in := *g.Ingress; len(in) != 1 || in[0].CIDRs[0] != "2001:db8::/32" {
		t.Errorf("ingress %+v", in)
	}
	if a := w.NetworkACLs[0]; len(a.Inbound) != 1 || len(a.Outbound) != 1 {
		t.Errorf("acl %+v", a)
	}
	if app := w.Instances[0].App; app == nil || app.Health != "fails" || app.StatusCode != 502 {
		t.Errorf("app of the unhealthy target %+v", app)
	}
	if im := w.Images[0]; im.App != nil || len(im.Snapshots) != 0 {
		t.Errorf("image %+v", im)
	}
	tg := w.TargetGroups[0]
	if d := tg.Targets[1]; !d.DeregisteredAt.Equal(w.Now) || d.DrainUntil.Sub(w.Now) != time.Minute {
		t.Errorf("draining target %+v (clock %s)", d, w.Now)
	}
	if len(w.LoadBalancers) != 1 || len(w.Listeners) != 0 || len(w.TargetGroups) != 1 || len(tg.Targets) != 2 {
		t.Errorf("left out: %d load balancers, %d listeners, %d target groups, %d targets", len(w.LoadBalancers), len(w.Listeners), len(w.TargetGroups), len(tg.Targets))
	}
	if _, ok := w.LoadBalancers[0].Attributes["idle_timeout.timeout_seconds"]; ok {
		t.Error("a default attribute is written into the world")
	}
}

// An image all of whose checked instances fail the same way fails that way in the copy:
// instances a rehearsal launches from it fail too, as they would in the account.
func TestCopyInfersTheAppOfAnImage(t *testing.T) {
	t.Parallel()
	acct := oddAccount()
	acct.TargetGroups[1].Targets = acct.TargetGroups[1].Targets[:1] // the 502 one only
	acct.Instances = acct.Instances[:1]
	w, notes, err := mirror.Copy(acct, "111122223333", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if im := w.Images[0]; im.App == nil || im.App.Health != "fails" || im.App.StatusCode != 502 {
		t.Errorf("image app %+v", im.App)
	}
	found := false
	for _, n := range notes {
		found = found || (n.Kind == mirror.AssumeApp && n.Resource == "ami-0000000000000001a" && strings.Contains(n.Text, "fail the same way"))
	}
	if !found {
		t.Errorf("no app assumption on the image: %v", notes)
	}
}

// Where the rules the copy carries make a target's health differ from the account's (here
// the web group admits the load balancer through a prefix list, which the copy cannot
// follow), the copy says so on that target.
func TestCopySaysWhereItsHealthDiffers(t *testing.T) {
	t.Parallel()
	sim := simulator.New(simulator.SeedWorld())
	cw, err := cloud.ReadRegion(context.Background(), cloud.RegionAPI{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: worldIAM{sim.World()}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cw.SecurityGroups {
		if g := &cw.SecurityGroups[i]; g.ID == simulator.SeedWebSG {
			g.Ingress = []cloud.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, PrefixLists: []string{"pl-0123456789abcdef0"}}}
		}
	}
	if got := cw.TargetGroups[0].Targets[0].State; got != "healthy" {
		t.Fatalf("setup: the seed target is %s", got)
	}
	_, notes, err := mirror.Copy(cw, "123456789012", "ap-northeast-1")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range notes {
		found = found || (n.Kind == mirror.AssumeHealth && n.Resource == "web-tg "+simulator.SeedInstance && strings.Contains(n.Text, "the account reports healthy, the copy unhealthy (Target.Timeout)"))
	}
	if !found {
		t.Errorf("the copy does not say that its target fails where the account's is healthy:\n%v", notes)
	}
	// Without the change the copy agrees with the account, and says nothing of the kind.
	cw2, _ := cloud.ReadRegion(context.Background(), cloud.RegionAPI{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: worldIAM{sim.World()}})
	_, notes, _ = mirror.Copy(cw2, "123456789012", "ap-northeast-1")
	for _, n := range notes {
		if strings.Contains(n.Text, "the account reports ") && n.Kind == mirror.AssumeHealth {
			t.Errorf("a faithful copy reports a difference: %v", n)
		}
	}
}
