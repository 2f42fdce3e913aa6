package engine_test

import (
	"context"
	"fmt"
	"github.com/albctl/albctl/internal/testkit"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
)

// Tests of the shared waits (poll.go, docs/design.md "Polling"). They assert call counts and
// simulated times, which the virtual clock makes the same on every run.

// readsAt counts the calls of one operation per instant of the simulated clock.
type readsAt struct {
	clock *simulator.Clock
	at    map[time.Time]int
	total int
}

func (c *readsAt) add() { c.at[c.clock.Now()]++; c.total++ }

type countingInstances struct {
	cloud.EC2
	r *readsAt
}

func (e countingInstances) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, o ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	e.r.add()
	return e.EC2.DescribeInstances(ctx, in, o...)
}

type countingHealth struct {
	cloud.ELBV2
	r *readsAt
}

func (e countingHealth) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, o ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	e.r.add()
	return e.ELBV2.DescribeTargetHealth(ctx, in, o...)
}

// launchLike is a launch of one more instance like member, from member's image, after wait.
func launchLike(member cloud.Instance, n int, after string) plan.Step {
	name := fmt.Sprintf("web-extra-%d", n)
	s := plan.Step{
		ID: "launch_instance." + name, Kind: plan.LaunchInstance, Resource: "instance " + name, Reason: "r", DependsOn: []string{},
		Launch: &plan.LaunchParams{
			ImageID: member.ImageID, AZ: member.AZ, SubnetID: member.SubnetID, InstanceType: member.InstanceType,
			SecurityGroupIDs: member.SecurityGroupIDs, ClientToken: "engine-test-poll-" + name,
			Tags: map[string]string{"Name": name, cloud.TagFleet: "web"},
		},
	}
	if after != "" {
		s.DependsOn = []string{after}
	}
	return s
}

func pause(id string, d time.Duration) plan.Step {
	return plan.Step{ID: id, Kind: plan.Wait, Resource: "wait", Reason: "r", DependsOn: []string{}, Wait: &plan.WaitParams{Duration: clock.Duration(d)}}
}

// Launches that start a few seconds apart are read together: after each one's first read,
// they follow one cadence, so five staggered launches cost a few more DescribeInstances than
// one, not five times as many, and never two at one instant.
func TestStaggeredWaitersShareOneRead(t *testing.T) {
	reads := func(n int) *readsAt {
		fw := newFleetWorld(t)
		var steps []plan.Step
		for i := range n {
			wait := fmt.Sprintf("wait.%d", i)
			steps = append(steps, pause(wait, time.Duration(3*i+1)*time.Second), launchLike(fw.members[0], i, wait))
		}
		api := testkit.API(fw.sim)
		r := &readsAt{clock: fw.sim.Clock(), at: map[time.Time]int{}}
		api.EC2 = countingInstances{EC2: api.EC2, r: r}
		if _, err := engine.Apply(context.Background(), &plan.Plan{Steps: steps}, api, engine.Options{Clock: fw.sim.Clock()}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	one, five := reads(1), reads(5)
	t.Logf("DescribeInstances: %d for one launch, %d for five", one.total, five.total)
	for at, c := range five.at {
		if c != 1 {
			t.Errorf("%d DescribeInstances at %s, want one for every launch waiting", c, at)
		}
	}
	// Each launch's first read is its own (15s after it); from then on they share.
	if five.total > one.total+4 {
		t.Errorf("five staggered launches read instances %d times, one launch %d: the waits do not share their reads", five.total, one.total)
	}
}

// A registered target is read while its registration is in progress, then at its first check
// (one interval after its checks were seen to begin), not a backoff later: it is seen healthy
// at the end of Elb.RegistrationInProgress plus one interval, with three reads. The interval
// comes from the world the plan was made from, or else from one DescribeTargetGroups.
func TestHealthIsReadAtItsCheck(t *testing.T) {
	for _, tc := range []struct {
		interval  time.Duration
		withWorld bool
	}{{30 * time.Second, true}, {10 * time.Second, false}} {
		t.Run(fmt.Sprintf("%s world=%v", tc.interval, tc.withWorld), func(t *testing.T) {
			fw := newFleetWorld(t)
			w := fw.sim.World()
			for i := range w.TargetGroups {
				w.TargetGroups[i].HealthCheck.Interval = clock.Duration(tc.interval)
			}
			fw.sim = testkit.NewSim(t, w)
			steps := replace(fw.members[0], 1, nil)[:2]
			steps[0].DependsOn = nil
			steps[0].Launch.ImageStep, steps[0].Launch.ImageID = "", fw.members[0].ImageID
			opts := engine.Options{Clock: fw.sim.Clock()}
			if tc.withWorld {
				world, err := cloud.Observe(context.Background(), testkit.API(fw.sim), plan.QueryOf(blogStack(t)))
				if err != nil {
					t.Fatal(err)
				}
				opts.World = world
			}
			fw.sim.ResetCalls()
			var started, done time.Time
			opts.Events = func(e engine.Event) {
				if e.Step == "register_target.new1" && e.Type == engine.EventStarted {
					started = e.Time
				}
				if e.Step == "register_target.new1" && e.Type == engine.EventDone {
					done = e.Time
				}
			}
			api := testkit.API(fw.sim)
			r := &readsAt{clock: fw.sim.Clock(), at: map[time.Time]int{}}
			api.ELBV2 = countingHealth{ELBV2: api.ELBV2, r: r}
			if _, err := engine.Apply(context.Background(), &plan.Plan{Steps: steps}, api, opts); err != nil {
				t.Fatal(err)
			}
			if got, want := done.Sub(started), simulator.RegistrationInProgress+tc.interval; got != want {
				t.Errorf("healthy after %s, want %s (registration + one interval)", got, want)
			}
			if r.total != 3 {
				t.Errorf("%d DescribeTargetHealth, want 3 (in registration, checks begun, first check)", r.total)
			}
			if c := fw.sim.Calls()["DescribeTargetGroups"]; (c == 0) != tc.withWorld {
				t.Errorf("%d DescribeTargetGroups with world=%v", c, tc.withWorld)
			}
		})
	}
}

// A target the engine deregistered shows draining until the deregistration delay runs out:
// the terminate waiting for it reads the group when it starts and when the delay ends, not
// every 30 s in between, and terminates on time.
func TestDrainIsReadWhenTheDelayRunsOut(t *testing.T) {
	fw := newFleetWorld(t)
	world, err := cloud.Observe(context.Background(), testkit.API(fw.sim), plan.QueryOf(blogStack(t)))
	if err != nil {
		t.Fatal(err)
	}
	steps := replace(fw.members[0], 1, nil)[2:]
	steps[0].DependsOn = nil
	api := testkit.API(fw.sim)
	r := &readsAt{clock: fw.sim.Clock(), at: map[time.Time]int{}}
	api.ELBV2 = countingHealth{ELBV2: api.ELBV2, r: r}
	var sent time.Time
	opts := engine.Options{Clock: fw.sim.Clock(), World: world, AfterPoll: func() {
		if sent.IsZero() && fw.sim.Calls()["TerminateInstances"] > 0 {
			sent = fw.sim.Clock().Now()
		}
	}}
	res, err := engine.Apply(context.Background(), &plan.Plan{Steps: steps}, api, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.total != 2 {
		t.Errorf("%d DescribeTargetHealth while draining, want 2 (at the start, when the delay ends)", r.total)
	}
	if d := sent.Sub(res.Started); d != 300*time.Second {
		t.Errorf("terminated %s after the deregistration, want when the 300 s delay ran out", d)
	}
}

// A launch after another of the same type and image is first read when that one was last
// seen pending, then every 5 s: it is seen running within 5 s. The first, with nothing to go
// on, is read at 15 s and then every 10 s.
func TestLaunchReadsFollowWhatTheApplyLearned(t *testing.T) {
	fw := newFleetWorld(t)
	steps := []plan.Step{launchLike(fw.members[0], 1, ""), launchLike(fw.members[0], 2, "launch_instance.web-extra-1")}
	done := map[string]time.Time{}
	res, err := apply(t, fw.sim, &plan.Plan{Steps: steps}, engine.Options{Events: func(e engine.Event) {
		if e.Type == engine.EventDone {
			done[e.Step] = e.Time
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		var running time.Time
		for _, in := range fw.sim.World().Instances {
			if in.ID == res.Outputs[s.ID] {
				running = in.RunningAt
			}
		}
		lag, most := done[s.ID].Sub(running), []time.Duration{10 * time.Second, 5 * time.Second}[i]
		if running.IsZero() || lag < 0 || lag > most {
			t.Errorf("%s seen running %s after it ran, want at most %s", s.ID, lag, most)
		}
	}
}

// A step just polled is next polled when it is due, even when the other running step is due
// much later: a launch beside a terminate waiting out a 300 s deregistration delay is seen
// running within its 10 s cadence.
func TestPollNotDelayedByALaterStep(t *testing.T) {
	fw := newFleetWorld(t)
	world, err := cloud.Observe(context.Background(), testkit.API(fw.sim), plan.QueryOf(blogStack(t)))
	if err != nil {
		t.Fatal(err)
	}
	steps := replace(fw.members[0], 1, nil)[2:]
	steps[0].DependsOn = nil
	launch := launchLike(fw.members[1], 1, "")
	steps = append(steps, launch)
	var done time.Time
	res, err := apply(t, fw.sim, &plan.Plan{Steps: steps}, engine.Options{World: world, Events: func(e engine.Event) {
		if e.Type == engine.EventDone && e.Step == launch.ID {
			done = e.Time
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range fw.sim.World().Instances {
		if in.ID == res.Outputs[launch.ID] {
			if lag := done.Sub(in.RunningAt); lag < 0 || lag > 10*time.Second {
				t.Errorf("seen running %s after it ran, want within 10s", lag)
			}
		}
	}
}
