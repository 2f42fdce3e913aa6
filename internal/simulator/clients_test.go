package simulator

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
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
	t.Run("a cookie outlives its duration: the client may land elsewhere", func(t *testing.T) {
		s := withSecondTarget(t)
		setAttr(t, s, "stickiness.enabled", "true")
		setAttr(t, s, "stickiness.lb_cookie.duration_seconds", "60")
		c := s.StartClients(ClientOptions{})
		advance(s, 10*time.Minute)
		if n := total(t, c); n.SessionsLost == 0 {
			t.Fatalf("%+v", n)
		}
	})
	t.Run("deregistering a sticky target loses the sessions it held", func(t *testing.T) {
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
	})
}

func TestClientsRouting(t *testing.T) {
	t.Run("the seed: the 1c node's third gets 504", func(t *testing.T) {
		s := New(SeedWorld())
		c := s.StartClients(ClientOptions{})
		advance(s, 5*time.Minute)
		n := total(t, c)
		if share := n.Share(n.Status504); share < 0.32 || share > 0.35 || n.Served+n.Status504 != n.Requests {
			t.Fatalf("504 share %.3f: %+v", share, n)
		}
		if !strings.Contains(strings.Join(n.Why, "\n"), "admits no TCP 80 from 10.0.2.0/24") {
			t.Fatalf("why: %q", n.Why)
		}
	})
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
	t.Run("cross-zone off: a zone losing its only target leaves DNS; cached clients fail for up to a TTL", func(t *testing.T) {
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
	})
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

func TestClientsDeterministic(t *testing.T) {
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
