package mirror

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// targetGroups copies instance target groups: settings, the attributes the simulator
// models, and targets with the health the account reports (copyTarget).
func (c *copier) targetGroups() {
	modelled := simulator.DefaultTargetGroupAttributes()
	instances := map[string]int{}
	for i, in := range c.w.Instances {
		instances[in.ID] = i
	}
	for _, tg := range c.cw.TargetGroups {
		if tg.TargetType != "" && tg.TargetType != "instance" {
			c.note(AssumeLeftOut, tg.Name, "a target group of type %s: the simulator models instance targets only; left out", tg.TargetType)
			continue
		}
		hc := tg.HealthCheck
		t := simulator.TargetGroup{
			ARN: tg.ARN, Name: tg.Name, VPC: tg.VpcID, Protocol: tg.Protocol, Port: tg.Port, Attributes: map[string]string{},
			HealthCheck: simulator.HealthCheck{
				Protocol: hc.Protocol, Path: hc.Path, Port: hc.Port, Matcher: hc.Matcher,
				Interval: seconds32(hc.IntervalSeconds), Timeout: seconds32(hc.TimeoutSeconds),
				HealthyThreshold: hc.HealthyThreshold, UnhealthyThreshold: hc.UnhealthyThreshold,
			},
		}
		var unknown []string
		for _, k := range slices.Sorted(maps.Keys(tg.Attributes)) {
			if _, ok := modelled[k]; ok {
				t.Attributes[k] = tg.Attributes[k]
			} else {
				unknown = append(unknown, k+"="+tg.Attributes[k])
			}
		}
		if len(unknown) > 0 {
			c.note(AssumeAttribute, tg.Name, "attributes the simulator does not model, left out: %s", strings.Join(unknown, ", "))
		}
		c.note(AssumeSessions, tg.Name, "the account does not say where the app keeps sessions: taken as on each server (a client moved to another target loses its session)")
		for _, d := range tg.Targets {
			i, ok := instances[d.ID]
			if !ok {
				c.note(AssumeLeftOut, tg.Name, "target %s is not a live instance of the copy (terminated, or not an instance); left out", d.ID)
				continue
			}
			if target, ok := c.copyTarget(&t, d, c.w.Instances[i]); ok {
				t.Targets = append(t.Targets, target)
			}
		}
		c.w.TargetGroups = append(c.w.TargetGroups, t)
	}
	c.placeApps()
}

func seconds32(n int32) clock.Duration { return clock.Duration(time.Duration(n) * time.Second) }

// copyTarget turns a target's reported health into what makes the simulator report the
// same: healthy and unused targets are registered since their instance's launch (the
// clock's margin settles them); an initial one is registered at the clock; a draining one
// begins draining at the clock; an unhealthy one gets an app that fails its checks as the
// account says (ResponseCodeMismatch: answers that code; anything else: does not answer).
func (c *copier) copyTarget(tg *simulator.TargetGroup, d cloud.Target, in simulator.Instance) (simulator.Target, bool) {
	t := simulator.Target{ID: d.ID, Port: cmp.Or(d.Port, tg.Port), RegisteredAt: in.LaunchTime}
	what := tg.Name + " " + d.ID
	switch d.State {
	case "initial":
		t.RegisteredAt = c.now
		c.note(AssumeHealth, what, "initial (%s): the account does not say how many checks have passed; the copy starts them at its clock", d.Reason)
	case "draining":
		delay, err := strconv.Atoi(tg.Attributes["deregistration_delay.timeout_seconds"])
		if err != nil {
			delay = 300
		}
		t.DeregisteredAt, t.DrainUntil = c.now, c.now.Add(time.Duration(delay)*time.Second)
		c.note(AssumeHealth, what, "draining: the account does not say since when; the copy drains it for the whole delay (%d s) from its clock", delay)
	case "unhealthy":
		c.failingApp(what, d, in.ID)
	case "unavailable":
		c.note(AssumeHealth, what, "unavailable (health checks disabled): the simulator checks every target; the copy's checks decide")
	}
	return t, true
}

// failingApp records the app an unhealthy target's instance runs.
func (c *copier) failingApp(what string, d cloud.Target, instance string) {
	var app simulator.App
	switch d.Reason {
	case "Target.ResponseCodeMismatch":
		code := int32(500)
		if m := codesRe.FindStringSubmatch(d.Description); m != nil {
			n, _ := strconv.Atoi(m[1])
			code = int32(n)
		} else {
			c.note(AssumeHealth, what, "unhealthy (%s) without a code in %q: the copy's app answers 500", d.Reason, d.Description)
		}
		app = simulator.App{Health: "fails", StatusCode: code}
		c.note(AssumeHealth, what, "unhealthy (%s, %q): the copy's app answers %d to every request (the account reports only what the health check got)", d.Reason, d.Description, code)
	case "Target.Timeout":
		app = simulator.App{Health: "timeout"}
		c.note(AssumeHealth, what, "unhealthy (%s): the copy's app does not answer", d.Reason)
	default:
		app = simulator.App{Health: "timeout"}
		c.note(AssumeHealth, what, "unhealthy (%s, %q): the simulator has no such failure; the copy's app does not answer", d.Reason, d.Description)
	}
	if have, ok := c.apps[instance]; ok && *have != app {
		c.note(AssumeHealth, instance, "its targets fail differently in different target groups: the copy keeps the first (%s)", have.Health)
		return
	}
	c.apps[instance] = &app
}

// placeApps gives each instance the app its targets' health implies, and each image the
// app all its instances with a verdict agree on (healthy ones serve): new instances from
// it then fail the same way. Images whose instances disagree serve, and say so.
func (c *copier) placeApps() {
	verdict := map[string]bool{} // instances registered somewhere
	for _, tg := range c.w.TargetGroups {
		for _, t := range tg.Targets {
			verdict[t.ID] = true
		}
	}
	byImage := map[string][]*simulator.App{}
	for i := range c.w.Instances {
		in := &c.w.Instances[i]
		in.App = c.apps[in.ID]
		if verdict[in.ID] {
			byImage[in.Image] = append(byImage[in.Image], in.App)
		}
	}
	for i := range c.w.Images {
		im := &c.w.Images[i]
		apps := byImage[im.ID]
		if len(apps) == 0 || apps[0] == nil {
			if slices.ContainsFunc(apps, func(a *simulator.App) bool { return a != nil }) {
				c.note(AssumeApp, im.ID, "some of its instances pass their checks and some fail: instances launched from it in the copy serve")
			}
			continue
		}
		if slices.ContainsFunc(apps, func(a *simulator.App) bool { return a == nil || *a != *apps[0] }) {
			c.note(AssumeApp, im.ID, "some of its instances pass their checks and some fail: instances launched from it in the copy serve")
			continue
		}
		app := *apps[0]
		im.App = &app
		c.note(AssumeApp, im.ID, "every instance running it fails its checks: instances launched from it in the copy fail the same way (%s)", app.Health)
	}
}

// verify asks the copy what health it reports for each target, at its clock, and names
// each target whose state differs from the account's: the rules copied block a node the
// account's let through (a prefix list, an IPv6 block), or the account reports what the
// simulator does not model. The copy is not changed: it is what the rules read say.
func (c *copier) verify(w *simulator.World) error {
	sim := simulator.New(w)
	account := map[string]cloud.Target{}
	for _, tg := range c.cw.TargetGroups {
		for _, t := range tg.Targets {
			account[tg.ARN+" "+t.ID] = t
		}
	}
	for _, tg := range w.TargetGroups {
		out, err := sim.ELBV2().DescribeTargetHealth(context.Background(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg.ARN)})
		if err != nil {
			return fmt.Errorf("verify the copy of %s: %w", tg.Name, err)
		}
		for _, d := range out.TargetHealthDescriptions {
			id := aws.ToString(d.Target.Id)
			was, ok := account[tg.ARN+" "+id]
			if !ok || d.TargetHealth == nil || string(d.TargetHealth.State) == was.State {
				continue
			}
			c.note(AssumeHealth, tg.Name+" "+id, "the account reports %s, the copy %s (%s): the rules it carries decide, and they differ from the account's where it says so above",
				was.State, d.TargetHealth.State, d.TargetHealth.Reason)
		}
	}
	return nil
}
