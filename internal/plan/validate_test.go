package plan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
)

// plansFromBuild are plans Build makes for a few scenarios: every one must validate.
func plansFromBuild(t *testing.T) map[string]*Plan {
	t.Helper()
	scaleDown := converged()
	scaleDown.Instances = append(scaleDown.Instances, member("i-0ccccccccccccccc1", "ap-northeast-1d", "subnet-0d", 2))
	scaleDown.TargetGroups[0].Targets = append(scaleDown.TargetGroups[0].Targets, cloud.Target{ID: "i-0ccccccccccccccc1", Port: 80, State: "healthy"})
	three := seedStack()
	three.Fleets[0].Zones[1].Count = 2
	return map[string]*Plan{
		"seed":         build(t, seedStack(), seedWorld()),
		"scale down":   build(t, seedStack(), scaleDown),
		"two to three": build(t, three, converged()),
		"converged":    build(t, seedStack(), converged()),
	}
}

func TestValidateAcceptsBuiltPlans(t *testing.T) {
	for name, p := range plansFromBuild(t) {
		if err := Validate(p); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// clone deep-copies a plan through JSON, as a saved plan file would carry it.
func clone(t *testing.T, p *Plan) *Plan {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out Plan
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestValidateRefusesBrokenGraphs(t *testing.T) {
	plans := plansFromBuild(t)
	find := func(p *Plan, k Kind) *Step {
		for i := range p.Steps {
			if p.Steps[i].Kind == k {
				return &p.Steps[i]
			}
		}
		t.Fatalf("no %s step", k)
		return nil
	}
	tests := []struct {
		name, base string
		edit       func(p *Plan)
		want       string
	}{
		{"duplicate ID", "seed", func(p *Plan) { p.Steps[1].ID = p.Steps[0].ID }, "duplicate step ID"},
		{"empty ID", "seed", func(p *Plan) { p.Steps[0].ID = "" }, "has no ID"},
		{"dangling dependency", "seed", func(p *Plan) {
			s := find(p, RegisterTarget)
			s.DependsOn = append(s.DependsOn, "launch-nowhere")
		}, `depends on unknown step "launch-nowhere"`},
		{"cycle", "seed", func(p *Plan) {
			img, reg := find(p, CreateImage), find(p, RegisterTarget)
			img.DependsOn = append(img.DependsOn, reg.ID)
		}, "dependency cycle"},
		{"self cycle", "scale down", func(p *Plan) {
			s := find(p, TerminateInstance)
			s.DependsOn = append(s.DependsOn, s.ID)
		}, "dependency cycle"},
		{"missing parameters", "scale down", func(p *Plan) { find(p, TerminateInstance).Terminate = nil }, `needs its "terminate" parameters`},
		{"empty instance", "scale down", func(p *Plan) { find(p, TerminateInstance).Terminate.InstanceID = "" }, "missing terminate.instance_id"},
		{"extra parameters", "scale down", func(p *Plan) {
			s := find(p, DeregisterTarget)
			s.Terminate = &TerminateParams{InstanceID: "i-0aaaaaaaaaaaaaaa1"}
		}, `must not carry "terminate"`},
		{"unknown kind", "seed", func(p *Plan) { p.Steps[0].Kind = "delete_everything" }, `unknown kind "delete_everything"`},
		{"launch without subnet", "seed", func(p *Plan) { find(p, LaunchInstance).Launch.SubnetID = "" }, "missing launch.subnet_id"},
		{"image step not depended on", "seed", func(p *Plan) { find(p, LaunchInstance).DependsOn = nil }, "does not depend on it"},
		{"output of the wrong kind", "seed", func(p *Plan) {
			reg := find(p, RegisterTarget)
			reg.Target.InstanceStep = find(p, CreateImage).ID
			reg.DependsOn = append(reg.DependsOn, reg.Target.InstanceStep)
		}, "not a launch_instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := clone(t, plans[tt.base])
			tt.edit(p)
			err := Validate(p)
			if err == nil {
				t.Fatalf("Validate accepted the plan")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// A long chain must not exhaust the stack (the cycle search is iterative).
func TestValidateLongChain(t *testing.T) {
	const n = 200000
	p := &Plan{Steps: make([]Step, n)}
	for i := range p.Steps {
		p.Steps[i] = Step{ID: "t" + strings.Repeat("x", 0) + itoa10(i), Kind: TerminateInstance, Terminate: &TerminateParams{InstanceID: "i-1"}}
		if i > 0 {
			p.Steps[i].DependsOn = []string{p.Steps[i-1].ID}
		}
	}
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	p.Steps[0].DependsOn = []string{p.Steps[n-1].ID}
	if err := Validate(p); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("err = %v, want a cycle", err)
	}
}

func itoa10(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
