package simulator

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/clock"
)

func total(t *testing.T, c *Clients) Counts {
	t.Helper()
	r := c.Report()
	if len(r.Listeners) != 1 {
		t.Fatalf("%d listeners", len(r.Listeners))
	}
	return r.Listeners[0].Total
}

// since sums the intervals starting at or after from.
func since(c *Clients, from time.Time) Counts {
	var n Counts
	for _, iv := range c.Report().Listeners[0].Intervals {
		if !iv.Start.Before(from) {
			n.add(iv.Counts)
		}
	}
	return n
}

func secondID(t *testing.T, s *Sim) string {
	for _, in := range s.World().Instances {
		if in.ID != SeedInstance {
			return in.ID
		}
	}
	t.Fatal("no second instance")
	return ""
}

func TestClientsSessions(t *testing.T) {
	t.Parallel()
	t.Run("no stickiness, two targets, local sessions: about half the requests lose the session", func(t *testing.T) {
		s := withSecondTarget(t)
		c := s.StartClients(ClientOptions{})
		advance(s, 10*time.Minute)
		n := total(t, c)
		if n.Requests != 200*121 || n.Served != n.Requests || n.SessionsStarted != 200 {
			t.Fatalf("%+v", n)
		}
		if ls := n.LostShare(); ls < 0.45 || ls > 0.55 {
			t.Fatalf("lost share %.3f, want about 0.5: %+v", ls, n)
		}
	})
	t.Run("no stickiness, shared sessions: none lost", func(t *testing.T) {
		w := reachableSeed()
		w.TargetGroups[0].Sessions = "shared"
		s := secondTarget(t, New(w))
		c := s.StartClients(ClientOptions{})
		advance(s, 10*time.Minute)
		if n := total(t, c); n.SessionsLost != 0 || c.Report().Listeners[0].Sessions != "shared" {
			t.Fatalf("%+v", n)
		}
	})
	t.Run("stickiness keeps every session", func(t *testing.T) {
		s := withSecondTarget(t)
		setAttr(t, s, "stickiness.enabled", "true")
		c := s.StartClients(ClientOptions{})
		advance(s, 10*time.Minute)
		if n := total(t, c); n.SessionsLost != 0 || n.SessionsStarted != 200 || n.Served != n.Requests {
			t.Fatalf("%+v", n)
		}
	})
	// The ALB resets the expiry of the cookie it generates after every request, for lb_cookie
	// and app_cookie alike (docs/simulator.md, "Stickiness cookies"): a client that comes
	// back within the duration keeps its target however long it stays; one that stays away
	// longer than the duration lands anywhere.
	for _, tc := range []struct {
		name  string
		attrs [][2]string
	}{
		{"lb_cookie", [][2]string{{"stickiness.lb_cookie.duration_seconds", "%d"}}},
		{"app_cookie", [][2]string{{"stickiness.app_cookie.cookie_name", "SESSION"}, {"stickiness.app_cookie.duration_seconds", "%d"}, {"stickiness.type", "app_cookie"}}},
	} {
		t.Run(tc.name+": the expiry slides, so a client returning within the duration keeps its target", func(t *testing.T) {
			// A fixed expiry would end every cookie after 60 s and move about half the
			// clients each minute.
			if n := sticky(t, tc.attrs, 60); n.SessionsLost != 0 || n.Served != n.Requests {
				t.Fatalf("%+v", n)
			}
		})
		t.Run(tc.name+": a client away longer than the duration may land elsewhere", func(t *testing.T) {
			// Requests every 5 s, cookies of 3 s: every request draws anew.
			if ls := sticky(t, tc.attrs, 3).LostShare(); ls < 0.4 || ls > 0.6 {
				t.Fatalf("lost share %.3f, want about 0.5", ls)
			}
		})
	}
	t.Run("deregistering a sticky target loses the sessions it held", deregisterStickyTarget)
}

// sticky runs the clients for 10 minutes against two targets with stickiness on and the
// target group attributes attrs, "%d" standing for the cookie's duration secs.
func sticky(t *testing.T, attrs [][2]string, secs int) Counts {
	s := withSecondTarget(t)
	for _, kv := range attrs {
		v := kv[1]
		if v == "%d" {
			v = strconv.Itoa(secs)
		}
		setAttr(t, s, kv[0], v)
	}
	setAttr(t, s, "stickiness.enabled", "true")
	c := s.StartClients(ClientOptions{})
	advance(s, 10*time.Minute)
	return total(t, c)
}

// deregisterStickyTarget: the clients pinned to a deregistered sticky target lose their
// session once, then stay on the other.
func deregisterStickyTarget(t *testing.T) {
	s := withSecondTarget(t)
	setAttr(t, s, "stickiness.enabled", "true")
	c := s.StartClients(ClientOptions{})
	advance(s, 2*time.Minute)
	if n := total(t, c); n.SessionsLost != 0 {
		t.Fatalf("before: %+v", n)
	}
	at := s.Clock().Now()
	if _, err := s.ELBV2().DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targetsOfIDs(secondID(t, s))}); err != nil {
		t.Fatal(err)
	}
	advance(s, 2*time.Minute)
	after := since(c, at)
	// About half the clients were pinned to it; each loses its session once, then stays.
	if after.SessionsLost < 70 || after.SessionsLost > 130 || after.Served != after.Requests {
		t.Fatalf("after: %+v", after)
	}
	lostOnce := after.SessionsLost
	advance(s, 5*time.Minute)
	if n := since(c, at); n.SessionsLost != lostOnce {
		t.Fatalf("sessions kept being lost: %d then %d", lostOnce, n.SessionsLost)
	}
}

func TestClientsRouting(t *testing.T) {
	t.Parallel()
	t.Run("the seed: the 1c node's third gets 504, each after the 10 s connect timeout", func(t *testing.T) {
		s := New(SeedWorld())
		c := s.StartClients(ClientOptions{})
		advance(s, 5*time.Minute)
		n := total(t, c)
		// A third of the clients wait 10 s on each 504 and so send every 10 s, not every
		// 5 s: (1/3)/2 of the rate of the others, a 504 share of 1/5, and 61 ticks of 200
		// clients send about 200*61*(2/3 + 1/6) requests.
		if share := n.Share(n.Status504); share < 0.18 || share > 0.22 || n.Served+n.Status504 != n.Requests {
			t.Fatalf("504 share %.3f: %+v", share, n)
		}
		if n.Requests < 9900 || n.Requests > 10400 {
			t.Fatalf("%d requests, want about 10170: %+v", n.Requests, n)
		}
		if !strings.Contains(strings.Join(n.Why, "\n"), "admits no TCP 80 from 10.0.2.0/24") {
			t.Fatalf("why: %q", n.Why)
		}
	})
	t.Run("a zone disabled: its clients get connection errors until their DNS answer expires", zoneDisabledHoldsDNS)
	t.Run("a group with no registered target: 503", func(t *testing.T) {
		s := New(reachableSeed())
		setAttr(t, s, "deregistration_delay.timeout_seconds", "0")
		if _, err := s.ELBV2().DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targetsOfIDs(SeedInstance)}); err != nil {
			t.Fatal(err)
		}
		c := s.StartClients(ClientOptions{})
		advance(s, time.Minute)
		if n := total(t, c); n.Status503 != n.Requests || n.Requests == 0 {
			t.Fatalf("%+v", n)
		}
		if tr := only(t, s); tr.Status503 != 1 {
			t.Fatalf("%+v", tr)
		}
	})
	t.Run("every target unhealthy: the ALB fails open and the app serves", func(t *testing.T) {
		w := reachableSeed()
		w.Images[0].App = &App{HealthPath: "/health"}
		w.Instances[0].App = &App{HealthPath: "/health"}
		s := secondTarget(t, New(w))
		if _, err := s.ELBV2().ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{TargetGroupArn: aws.String(SeedTargetGroup), HealthCheckPath: aws.String("/wrong")}); err != nil {
			t.Fatal(err)
		}
		advance(s, 2*time.Minute)
		if h := healthOf(t, s, SeedInstance); !strings.HasPrefix(h, "unhealthy") {
			t.Fatal(h)
		}
		c := s.StartClients(ClientOptions{})
		advance(s, time.Minute)
		if n := total(t, c); n.Served != n.Requests || !strings.Contains(strings.Join(n.Why, " "), "fails open to 2 target(s)") {
			t.Fatalf("%+v", n)
		}
	})
	t.Run("cross-zone off: a zone losing its only target leaves DNS; cached clients fail for up to a TTL", crossZoneOffLosesItsOnlyTarget)
	t.Run("a rebooting target of two fails its share until its second failed check", func(t *testing.T) {
		s := withSecondTarget(t)
		setAttr(t, s, "stickiness.enabled", "true")
		c := s.StartClients(ClientOptions{Bucket: 10 * time.Second})
		if _, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-new")}); err != nil {
			t.Fatal(err)
		}
		advance(s, 5*time.Minute)
		var failing time.Duration
		for _, iv := range c.Report().Listeners[0].Intervals {
			if iv.Status504 > 0 {
				failing += iv.End.Sub(iv.Start)
			}
		}
		// Two failed checks 30 s apart: between 30 s and 70 s of failures.
		if failing < 30*time.Second || failing > 70*time.Second {
			t.Fatalf("failing for %s", failing)
		}
	})
}

// zoneDisabledHoldsDNS: after SetSubnets drops 1c, its clients hold the gone node's address
// for the DNS TTL plus their own cache, and fail to connect meanwhile.
func zoneDisabledHoldsDNS(t *testing.T) {
	for _, tc := range []struct {
		cache time.Duration
		hold  time.Duration // the TTL plus the client's own cache
	}{{0, DNSTTL}, {90 * time.Second, DNSTTL + 90*time.Second}} {
		w := reachableSeed()
		w.ClientDNSCache = clock.Duration(tc.cache)
		s := New(w)
		c := s.StartClients(ClientOptions{Bucket: 5 * time.Second})
		advance(s, 5*time.Minute)
		if n := total(t, c); n.Served != n.Requests {
			t.Fatalf("before: %+v", n)
		}
		at := s.Clock().Now()
		if _, err := s.ELBV2().SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(SeedALB), Subnets: []string{SeedSubnet1a, SeedSubnet1d}}); err != nil {
			t.Fatal(err)
		}
		advance(s, tc.hold-time.Second)
		during := since(c, at)
		// A third of the clients held 1c's address, each for a uniform part of the hold:
		// about a sixth of the requests.
		if share := during.Share(during.ConnectionErrors); share < 0.13 || share > 0.2 || during.Served+during.ConnectionErrors != during.Requests {
			t.Fatalf("cache %s: connection error share %.3f: %+v", tc.cache, share, during)
		}
		if during.Status502+during.Status503+during.Status504 != 0 || !strings.Contains(strings.Join(during.Why, " "), "node in ap-northeast-1c (gone)") {
			t.Fatalf("cache %s: %+v", tc.cache, during)
		}
		last := at.Add(tc.hold - 10*time.Second)
		if n := since(c, last); n.ConnectionErrors == 0 {
			t.Fatalf("cache %s: no client held the address to the end of the hold: %+v", tc.cache, n)
		}
		after := s.Clock().Now().Add(time.Second)
		advance(s, 2*time.Minute)
		if n := since(c, after); n.Served != n.Requests {
			t.Fatalf("cache %s: after the hold: %+v", tc.cache, n)
		}
	}
}

// crossZoneOffLosesItsOnlyTarget: with cross-zone off, a zone whose only target goes leaves
// DNS, and the clients that cached its node get 503 until their answer expires.
func crossZoneOffLosesItsOnlyTarget(t *testing.T) {
	s := withSecondTarget(t)
	setAttr(t, s, "load_balancing.cross_zone.enabled", "false")
	c := s.StartClients(ClientOptions{})
	advance(s, 2*time.Minute)
	if n := total(t, c); n.Served != n.Requests {
		t.Fatalf("before: %+v (1c has no target and is out of DNS)", n)
	}
	at := s.Clock().Now()
	if _, err := s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{secondID(t, s)}}); err != nil {
		t.Fatal(err)
	}
	advance(s, DNSTTL)
	during := since(c, at)
	// The clients of the 1d node (half) fail until their answer expires: on average
	// half a TTL, so about a quarter of the requests in this minute.
	if share := during.Share(during.Status503); share < 0.15 || share > 0.35 {
		t.Fatalf("during the TTL: 503 share %.3f: %+v", share, during)
	}
	later := s.Clock().Now()
	advance(s, 2*time.Minute)
	if n := since(c, later); n.Served != n.Requests {
		t.Fatalf("after the TTL: %+v", n)
	}
	if tr := only(t, s); tr.Served != 1 || !strings.Contains(tr.Why, "ap-northeast-1d is out of DNS") {
		t.Fatalf("%+v", tr)
	}
}

func TestClientsDeterministic(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) []byte {
		w := reachableSeed()
		w.Seed = seed
		s := secondTarget(t, New(w))
		c := s.StartClients(ClientOptions{Clients: 150, Every: 3 * time.Second, Bucket: 30 * time.Second})
		advance(s, 2*time.Minute)
		if _, err := s.ELBV2().DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targetsOfIDs(SeedInstance)}); err != nil {
			t.Fatal(err)
		}
		advance(s, 3*time.Minute)
		return c.Report().JSON()
	}
	a, b := run(1), run(1)
	if !bytes.Equal(a, b) {
		t.Fatal("same world and seed, different reports")
	}
	if bytes.Equal(a, run(2)) {
		t.Fatal("another seed gives the same report: the draws ignore the seed")
	}
	if !bytes.Contains(a, []byte(`"sessions_lost"`)) || !bytes.HasSuffix(a, []byte("}\n")) {
		t.Fatalf("%s", a)
	}
}

func TestClientsDoNotChangeTheWorld(t *testing.T) {
	t.Parallel()
	plain, modelled := withSecondTarget(t), withSecondTarget(t)
	modelled.StartClients(ClientOptions{})
	for _, s := range []*Sim{plain, modelled} {
		if _, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-new")}); err != nil {
			t.Fatal(err)
		}
		advance(s, 90*time.Minute)
	}
	a, _ := plain.World().Marshal()
	b, _ := modelled.World().Marshal()
	if !bytes.Equal(a, b) {
		t.Fatal("running the client model changed the world")
	}
}
