package plan

import (
	"errors"
	"fmt"
	"slices"

	"github.com/albctl/albctl/internal/cloud"
)

// Check verifies a plan against the ordering invariants (docs/design.md, "Ordering
// invariants") and the world it was made for, in the spirit of Terraform's
// objchange.AssertPlanValid. Build runs it on every plan it makes, the engine before its first
// call, bench on every generated world. It returns one error per broken rule; none means the
// plan keeps them all. Check also accepts a plan that was not made by Build (a saved plan),
// so it verifies the step graph's shape first.
func Check(w *cloud.World, p *Plan) []error {
	c := &checker{w: w, p: p, pos: map[string]int{}, byID: map[string]*Step{}}
	c.shape()
	if len(c.errs) > 0 {
		return c.errs // the rules below assume a well-formed graph
	}
	c.rules()
	return c.errs
}

type checker struct {
	w    *cloud.World
	p    *Plan
	pos  map[string]int
	byID map[string]*Step
	errs []error
	// closure[id] memoizes the transitive dependencies of a step.
	closure map[string]map[string]bool
}

func (c *checker) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// shape runs Validate (a well-formed graph: unique IDs, known dependencies, no cycle, each
// kind with exactly its parameters), then indexes the steps; the rules below need both.
func (c *checker) shape() {
	if err := Validate(c.p); err != nil {
		c.errs = append(c.errs, err)
		return
	}
	for i := range c.p.Steps {
		s := &c.p.Steps[i]
		c.pos[s.ID] = i
		c.byID[s.ID] = s
	}
}

// after reports whether step b depends, directly or not, on step a.
func (c *checker) after(b, a string) bool {
	if c.closure == nil {
		c.closure = map[string]map[string]bool{}
	}
	var deps func(id string) map[string]bool
	deps = func(id string) map[string]bool {
		if m, ok := c.closure[id]; ok {
			return m
		}
		m := map[string]bool{}
		c.closure[id] = m
		for _, d := range c.byID[id].DependsOn {
			m[d] = true
			for k := range deps(d) {
				m[k] = true
			}
		}
		return m
	}
	return deps(b)[a]
}

func (c *checker) need(b, a, why string) {
	if !c.after(b, a) {
		c.errorf("%s must come after %s: %s", b, a, why)
	}
}

func (c *checker) each(k Kind, fn func(*Step)) {
	for i := range c.p.Steps {
		if c.p.Steps[i].Kind == k {
			fn(&c.p.Steps[i])
		}
	}
}

func (c *checker) rules() {
	c.launchesAndRegistrations()
	c.trims()
	c.zonesServe()
	c.retirements()
	c.images()
	c.gates()
}

// launchesAndRegistrations: images before launches; stickiness, health check and zone before a
// registration.
func (c *checker) launchesAndRegistrations() {
	c.each(LaunchInstance, func(s *Step) {
		if s.Launch.ImageStep != "" {
			c.need(s.ID, s.Launch.ImageStep, "an image is available before any launch from it")
		}
	})
	c.each(RegisterTarget, func(r *Step) {
		if r.Target.InstanceStep != "" {
			c.need(r.ID, r.Target.InstanceStep, "an instance runs before it is registered")
		}
		c.each(EnableStickiness, func(st *Step) {
			if st.Stickiness.TargetGroupARN == r.Target.TargetGroupARN {
				c.need(r.ID, st.ID, "stickiness is on before the target group gets another target")
			}
		})
		c.each(ModifyHealthCheck, func(hc *Step) {
			if hc.HealthCheck.TargetGroupARN == r.Target.TargetGroupARN {
				c.need(r.ID, hc.ID, "a new target is judged by the spec's health check")
			}
		})
		c.each(AddZones, func(a *Step) {
			if slices.Contains(a.Zones.Added, r.Target.AZ) && slices.Contains(a.Zones.TargetGroupARNs, r.Target.TargetGroupARN) {
				c.need(r.ID, a.ID, "a zone is enabled before a target in it is registered")
			}
		})
	})
}

// trims: at least two zones, after the kept zones serve and the trimmed ones are empty.
func (c *checker) trims() {
	c.each(TrimZones, func(t *Step) {
		if len(t.Zones.AZs) < 2 {
			c.errorf("%s trims to %v: an ALB keeps at least two zones", t.ID, t.Zones.AZs)
		}
		for _, az := range t.Zones.AcrossZones {
			if !slices.Contains(t.Zones.AZs, az) {
				c.errorf("%s: across_zones names %s, which it does not keep", t.ID, az)
			}
		}
		c.each(RegisterTarget, func(r *Step) {
			if slices.Contains(t.Zones.TargetGroupARNs, r.Target.TargetGroupARN) {
				c.need(t.ID, r.ID, "zones are trimmed only after the kept zones have healthy targets")
			}
		})
		c.each(DeregisterTarget, func(d *Step) {
			if slices.Contains(t.Zones.Removed, d.Target.AZ) && slices.Contains(t.Zones.TargetGroupARNs, d.Target.TargetGroupARN) {
				c.need(t.ID, d.ID, "a zone is trimmed only after its targets are deregistered")
			}
		})
	})
}

// zonesServe: every zone a load balancer ends the plan with has a node that reaches a target
// it would send to (docs/design.md, "Zones and reachability"), judged as Build judges it.
func (c *checker) zonesServe() {
	final := map[string]*Step{} // load balancer ARN -> its last zone step
	for i := range c.p.Steps {
		if s := &c.p.Steps[i]; s.Zones != nil {
			final[s.Zones.LoadBalancerARN] = s // steps are in order: the last one wins
		}
	}
	b := &builder{world: c.w, steps: c.byID}
	for _, lb := range c.w.LoadBalancers {
		s, ok := final[lb.ARN]
		if !ok {
			continue
		}
		tgs := b.targetGroupsOf(&lb)
		for _, id := range s.Zones.SubnetIDs {
			sn, ok := c.w.Subnet(id)
			if !ok {
				continue // a subnet the world does not hold: Build refuses it before this
			}
			if ok, why := b.zoneServes(&lb, tgs, sn.AZ, id); !ok {
				c.errorf("%s leaves %s enabled in %s, whose node cannot serve: %s", s.ID, lb.Name, sn.AZ, why)
			}
		}
	}
}

// retirements: drain before terminate, never a foreign instance, zones trimmed after their
// leaving members are gone.
func (c *checker) retirements() {
	deregistered := map[string]string{}
	c.each(DeregisterTarget, func(d *Step) { deregistered[d.Target.InstanceID] = d.ID })
	c.each(TerminateInstance, func(t *Step) {
		id := t.Terminate.InstanceID
		if d, ok := deregistered[id]; ok {
			c.need(t.ID, d, "a target is deregistered and drained before its instance is terminated")
		}
		in, ok := c.w.Instance(id)
		switch {
		case !ok:
			c.errorf("%s terminates %s, which the plan's world does not have", t.ID, id)
		case in.Tags[cloud.TagFleet] == "":
			c.errorf("%s terminates %s, which albctl did not launch (no %s tag): albctl never terminates a source or a foreign instance", t.ID, id, cloud.TagFleet)
		}
		c.each(TrimZones, func(tr *Step) {
			if ok && slices.Contains(tr.Zones.Removed, in.AZ) && deregistered[id] != "" {
				c.need(tr.ID, t.ID, "a zone is trimmed only once its leaving targets are terminated")
			}
		})
	})
}

// images: launch parameters proven before a reboot; an image deregistered only once unused.
func (c *checker) images() {
	c.each(CreateImage, func(img *Step) {
		src, ok := c.w.Instance(img.Image.SourceInstanceID)
		c.each(ValidateLaunch, func(v *Step) {
			if ok && v.Launch.ImageID == src.ImageID {
				c.need(img.ID, v.ID, "launch parameters are proven before the image reboot")
			}
		})
	})
	c.each(DeregisterImage, func(di *Step) {
		for _, in := range c.w.Instances {
			if in.ImageID != di.Cleanup.ImageID || !liveState(in.State) {
				continue
			}
			term := ""
			c.each(TerminateInstance, func(t *Step) {
				if t.Terminate.InstanceID == in.ID {
					term = t.ID
				}
			})
			if term == "" {
				c.errorf("%s deregisters %s, which %s still runs", di.ID, di.Cleanup.ImageID, in.ID)
				continue
			}
			c.need(di.ID, term, "an image goes only once nothing runs it")
		}
		c.each(LaunchInstance, func(l *Step) {
			if l.Launch.ImageID == di.Cleanup.ImageID {
				c.errorf("%s deregisters %s, which %s launches from", di.ID, di.Cleanup.ImageID, l.ID)
			}
		})
	})
}

func joinErrors(errs []error) error { return errors.Join(errs...) }
