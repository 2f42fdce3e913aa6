package plan

import (
	"encoding/json"
	"strings"
	"testing"

	"fmt"
	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"time"
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// Validate refuses a saved plan whose step lacks what the engine needs for its kind, naming
// the field: one case per required field.
func TestValidateNamesMissingFields(t *testing.T) {
	t.Parallel()
	launch := func() *LaunchParams {
		return &LaunchParams{ImageID: "ami-1", AZ: "ap-northeast-1d", SubnetID: "subnet-0d", InstanceType: "t3.small", ClientToken: "tok"}
	}
	cases := []struct {
		step Step
		want string // "" for a valid step
	}{
		{Step{Kind: CreateImage, Image: &ImageParams{SourceInstanceID: srcID, Name: "web"}}, ""},
		{Step{Kind: CreateImage, Image: &ImageParams{Name: "web"}}, "image.source_instance_id"},
		{Step{Kind: CreateImage, Image: &ImageParams{SourceInstanceID: srcID}}, "image.name"},
		{Step{Kind: ValidateLaunch, Launch: launch()}, ""},
		{Step{Kind: ValidateLaunch, Launch: func() *LaunchParams { l := launch(); l.ImageID = ""; return l }()}, "launch.image_id"},
		{Step{Kind: ValidateLaunch, Launch: func() *LaunchParams { l := launch(); l.SubnetID = ""; return l }()}, "launch.subnet_id"},
		{Step{Kind: ValidateLaunch, Launch: func() *LaunchParams { l := launch(); l.InstanceType = ""; return l }()}, "launch.instance_type"},
		{Step{Kind: ModifyHealthCheck, HealthCheck: &HealthCheckParams{TargetGroupARN: tgARN}}, ""},
		{Step{Kind: ModifyHealthCheck, HealthCheck: &HealthCheckParams{}}, "health_check.target_group_arn"},
		{Step{Kind: Wait, Wait: &WaitParams{Duration: clock.Duration(time.Minute)}}, ""},
		{Step{Kind: Wait, Wait: &WaitParams{Duration: clock.Duration(24 * time.Hour)}}, ""},
		{Step{Kind: Wait, Wait: &WaitParams{Duration: clock.Duration(time.Nanosecond)}}, ""},
		{Step{Kind: Wait, Wait: &WaitParams{}}, "wait.duration between 0 and 24h"},
		{Step{Kind: Wait, Wait: &WaitParams{Duration: clock.Duration(24*time.Hour + time.Second)}}, "wait.duration between 0 and 24h"},
		{Step{Kind: DeregisterImage, Cleanup: &CleanupParams{ImageID: "ami-1"}}, ""},
		{Step{Kind: DeregisterImage, Cleanup: &CleanupParams{}}, "cleanup.image_id"},
		{Step{Kind: LaunchInstance, Launch: launch()}, ""},
		{Step{Kind: LaunchInstance, Launch: func() *LaunchParams { l := launch(); l.ClientToken = ""; return l }()}, "launch.client_token"},
		{Step{Kind: AssociateInstanceProfile, Associate: &AssociateParams{InstanceID: "i-1", IAMProfile: "web-app"}}, ""},
		{Step{Kind: AssociateInstanceProfile, Associate: &AssociateParams{IAMProfile: "web-app"}}, "associate.instance_id"},
		{Step{Kind: AssociateInstanceProfile, Associate: &AssociateParams{InstanceID: "i-1"}}, "associate.iam_instance_profile"},
		{Step{Kind: EnableStickiness, Stickiness: &StickinessParams{TargetGroupARN: tgARN, Attributes: map[string]string{"stickiness.enabled": "true"}}}, ""},
		{Step{Kind: EnableStickiness, Stickiness: &StickinessParams{Attributes: map[string]string{"stickiness.enabled": "true"}}}, "stickiness.target_group_arn"},
		{Step{Kind: EnableStickiness, Stickiness: &StickinessParams{TargetGroupARN: tgARN}}, "stickiness.attributes"},
		{Step{Kind: TrimZones, Zones: &ZonesParams{LoadBalancerARN: lbARN, SubnetIDs: []string{"subnet-0a", "subnet-0d"}}}, ""},
		{Step{Kind: TrimZones, Zones: &ZonesParams{SubnetIDs: []string{"subnet-0a", "subnet-0d"}}}, "zones.load_balancer_arn"},
		{Step{Kind: AddZones, Zones: &ZonesParams{LoadBalancerARN: lbARN}}, "zones.subnet_ids"},
		{Step{Kind: RegisterTarget, Target: &TargetParams{TargetGroupARN: tgARN, InstanceID: "i-1"}}, ""},
		{Step{Kind: RegisterTarget, Target: &TargetParams{InstanceID: "i-1"}}, "target.target_group_arn"},
		{Step{Kind: RegisterTarget, Target: &TargetParams{TargetGroupARN: tgARN}}, "exactly one of target.instance_id and target.instance_step"},
		{Step{Kind: DeregisterTarget, Target: &TargetParams{TargetGroupARN: tgARN, InstanceID: "i-1"}}, ""},
		{Step{Kind: DeregisterTarget, Target: &TargetParams{InstanceID: "i-1"}}, "target.target_group_arn"},
		{Step{Kind: TerminateInstance, Terminate: &TerminateParams{InstanceID: "i-1"}}, ""},
	}
	for i, c := range cases {
		c.step.ID = fmt.Sprintf("%s.%d", c.step.Kind, i)
		err := Validate(&Plan{Steps: []Step{c.step}})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("case %d (%s): %v", i, c.step.Kind, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("case %d (%s): Validate = %v, want %q", i, c.step.Kind, err, c.want)
		}
	}
	// A kind without its parameters is refused, for every kind, without a panic.
	for _, k := range []Kind{CreateImage, ValidateLaunch, ModifyHealthCheck, Wait, DeregisterImage, LaunchInstance, AssociateInstanceProfile, EnableStickiness, AddZones, TrimZones, RegisterTarget, DeregisterTarget, TerminateInstance} {
		if err := Validate(&Plan{Steps: []Step{{ID: "x", Kind: k}}}); err == nil || !strings.Contains(err.Error(), "needs its") {
			t.Errorf("%s without parameters: %v", k, err)
		}
	}
}

// Validate's messages name what a person must fix: the position of a step without an ID,
// the steps of a cycle (and only those), and at most ten problems.
func TestValidateMessages(t *testing.T) {
	t.Parallel()
	term := func(id string, deps ...string) Step {
		return Step{ID: id, Kind: TerminateInstance, Terminate: &TerminateParams{InstanceID: "i-1"}, DependsOn: deps}
	}
	if err := Validate(&Plan{Steps: []Step{term("")}}); err == nil || !strings.Contains(err.Error(), "step 1 has no ID") {
		t.Errorf("no ID: %v", err)
	}
	// a leads into the cycle b -> c -> b; a is not part of it.
	if err := Validate(&Plan{Steps: []Step{term("a", "b"), term("b", "c"), term("c", "b")}}); err == nil || !strings.HasSuffix(err.Error(), "dependency cycle: b -> c -> b") {
		t.Errorf("cycle: %v", err)
	}
	ring := func(n int) *Plan {
		p := &Plan{}
		for i := range n {
			p.Steps = append(p.Steps, term(fmt.Sprintf("s%d", i), fmt.Sprintf("s%d", (i+1)%n)))
		}
		return p
	}
	if err := Validate(ring(7)); err == nil || !strings.HasSuffix(err.Error(), "s0 -> s1 -> s2 -> s3 -> s4 -> s5 -> s6 -> s0") {
		t.Errorf("cycle of 7: %v", err)
	}
	if err := Validate(ring(12)); err == nil || !strings.HasSuffix(err.Error(), "s0 -> s1 -> s2 -> s3 -> ... (8 steps) ... -> s0") {
		t.Errorf("cycle of 12: %v", err)
	}
	bad := func(n int) error {
		p := &Plan{}
		for i := range n {
			p.Steps = append(p.Steps, term(fmt.Sprintf("t%d", i), "nowhere"))
		}
		return Validate(p)
	}
	if err := bad(10); err == nil || strings.Contains(err.Error(), "more problems") || strings.Count(err.Error(), "unknown step") != 10 {
		t.Errorf("ten problems: %v", err)
	}
	if err := bad(11); err == nil || !strings.Contains(err.Error(), "and 1 more problems") {
		t.Errorf("eleven problems: %v", err)
	}
}
