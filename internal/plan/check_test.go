package plan

import (
	"github.com/albctl/albctl/internal/specs"
	"slices"
	"strings"
	"testing"
)

// TestCheckCatchesBrokenPlans edits a valid plan so that it breaks one rule at a time; Check
// must name each.
func TestCheckCatchesBrokenPlans(t *testing.T) {
	t.Parallel()
	without := func(deps []string, id string) []string {
		return slices.DeleteFunc(slices.Clone(deps), func(d string) bool { return d == id })
	}
	find := func(p *Plan, k Kind) int {
		return slices.IndexFunc(p.Steps, func(s Step) bool { return s.Kind == k })
	}
	cases := []struct {
		name string
		edit func(p *Plan)
		want string
	}{
		{"duplicate ID", func(p *Plan) { p.Steps[1].ID = p.Steps[0].ID }, "duplicate step ID"},
		{"unknown dependency", func(p *Plan) { p.Steps[0].DependsOn = []string{"nope"} }, "depends on unknown step"},
		{"cycle", func(p *Plan) { p.Steps[0].DependsOn = []string{p.Steps[len(p.Steps)-1].ID} }, "dependency cycle"},
		{"missing parameters", func(p *Plan) { p.Steps[find(p, LaunchInstance)].Launch = nil }, "needs its \"launch\" parameters"},
		{"two parameter blocks", func(p *Plan) { p.Steps[find(p, TrimZones)].Wait = &WaitParams{} }, "must not carry \"wait\" parameters"},
		{"launch before image", func(p *Plan) {
			l := &p.Steps[find(p, LaunchInstance)]
			l.DependsOn = without(l.DependsOn, "create_image.web")
		}, "does not depend on it"},
		{"register before stickiness", func(p *Plan) {
			r := &p.Steps[find(p, RegisterTarget)]
			r.DependsOn = without(r.DependsOn, "enable_stickiness.web")
		}, "stickiness is on before"},
		{"trim before registration", func(p *Plan) {
			tr := &p.Steps[find(p, TrimZones)]
			tr.DependsOn = nil
		}, "kept zones have healthy targets"},
		{"trim to one zone", func(p *Plan) {
			tr := &p.Steps[find(p, TrimZones)]
			tr.Zones.AZs = tr.Zones.AZs[:1]
		}, "at least two zones"},
		{"terminate the source", func(p *Plan) {
			p.Steps = append(p.Steps, Step{ID: "terminate_instance.web.src", Kind: TerminateInstance, Terminate: &TerminateParams{InstanceID: srcID}})
		}, "albctl never terminates a source"},
		{"image reboot before validation", func(p *Plan) {
			c := &p.Steps[find(p, CreateImage)]
			c.DependsOn = nil
		}, "launch parameters are proven before the image reboot"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := build(t, seedStack(), seedWorld())
			c.edit(p)
			errs := Check(seedWorld(), p)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), c.want) {
				t.Errorf("Check = %q, want an error containing %q", msgs, c.want)
			}
		})
	}
}

func TestCheckScaleInAndCleanup(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(1)
	bump(s)
	s.Fleets[0].Image.Keep = 1
	p := build(t, s, w)
	// Drop the drain-before-terminate edge and the image's wait for its last user.
	for i := range p.Steps {
		switch p.Steps[i].Kind {
		case TerminateInstance, DeregisterImage:
			p.Steps[i].DependsOn = nil
		}
	}
	msgs := ""
	for _, e := range Check(w, p) {
		msgs += e.Error() + "\n"
	}
	for _, want := range []string{"deregistered and drained before its instance is terminated", "an image goes only once nothing runs it"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("Check = %q, want %q", msgs, want)
		}
	}
}

// Check: a zone losing a registered member is trimmed only after that member is terminated.
func TestCheckTrimAfterTermination(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(1)
	s.Fleets[0].Zones = append(s.Fleets[0].Zones, specs.FleetZone{AZ: "ap-northeast-1c", Count: 1})
	withMember(w, member("i-0ccccccccccccccc1", "ap-northeast-1c", "subnet-0c", 1))
	w.LoadBalancers[0].Zones = seedWorld().LoadBalancers[0].Zones
	s.Fleets[0].Zones = s.Fleets[0].Zones[:2]
	p := build(t, s, w)
	for i := range p.Steps {
		if p.Steps[i].Kind == TrimZones {
			p.Steps[i].DependsOn = slices.DeleteFunc(p.Steps[i].DependsOn, func(d string) bool { return strings.HasPrefix(d, "terminate_instance.") })
		}
	}
	var msgs []string
	for _, err := range Check(w, p) {
		msgs = append(msgs, err.Error())
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "a zone is trimmed only once its leaving targets are terminated") {
		t.Errorf("Check = %q", msgs)
	}
}
