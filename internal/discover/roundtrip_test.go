package discover

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// exampleWorlds are the worlds init is tried on: the seed world, the blog example and the
// variations TestChooseZone proposes on.
func exampleWorlds(t *testing.T) map[string]*simulator.World {
	t.Helper()
	blog, err := simulator.LoadWorld(filepath.Join("..", "..", "examples", "blog", "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*simulator.World{"seed": simulator.SeedWorld(), "examples/blog": blog}
	for name, change := range map[string]func(*simulator.World){
		"admits the ALB group": admitsALBGroup,
		"1d not offered": func(w *simulator.World) {
			admitsALBGroup(w)
			w.InstanceTypeOfferings = map[string][]string{az1d: {"m5.large"}}
		},
		"two subnets in 1d": func(w *simulator.World) {
			w.Subnets = append(w.Subnets, simulator.Subnet{ID: "subnet-0a1b2c3d4e5f61d02", VPC: simulator.SeedVPC, AZ: az1d, CIDR: "10.0.4.0/24"})
		},
		"cross-zone off, egress stops at 1c": func(w *simulator.World) {
			admitsALBGroup(w)
			seedTG(w).Attributes["load_balancing.cross_zone.enabled"] = "false"
			albSG(w).Egress = &[]simulator.IngressRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24", "10.0.3.0/24"}}}
		},
		"health check port not admitted": func(w *simulator.World) {
			admitsALBGroup(w)
			seedTG(w).HealthCheck.Port = "8080"
		},
		"app cookie on": func(w *simulator.World) {
			a := seedTG(w).Attributes
			a["stickiness.enabled"], a["stickiness.type"] = "true", "app_cookie"
			a["stickiness.app_cookie.cookie_name"], a["stickiness.app_cookie.duration_seconds"] = "SESSIONID", "43200"
		},
	} {
		w := simulator.SeedWorld()
		change(w)
		out["seed, "+name] = w
	}
	return out
}

// TestRenderRoundTrip: for every source init offers in the example worlds, the spec it
// renders loads (internal/specs) as the proposal says, and plan accepts it: it launches the
// member in the proposed zone and refuses nothing.
func TestRenderRoundTrip(t *testing.T) {
	for name, w := range exampleWorlds(t) {
		dir := t.TempDir()
		world := filepath.Join(dir, "world.json")
		if err := w.Save(world); err != nil {
			t.Fatal(err)
		}
		cands := accountOf(t, w).Candidates()
		if len(cands) == 0 {
			t.Fatalf("%s: no candidate", name)
		}
		for _, c := range cands {
			t.Run(name+"/"+c.ID, func(t *testing.T) {
				p, err := proposeOn(t, w, c.ID, "")
				if err != nil {
					t.Fatalf("propose: %v", err)
				}
				stack := loadRendered(t, p)
				checkLoaded(t, p, stack)
				checkPlans(t, p, stack, world)
			})
		}
	}
}

// loadRendered renders p into a fresh directory and loads it as plan does.
func loadRendered(t *testing.T, p *Proposal) *specs.Stack {
	t.Helper()
	dir := t.TempDir()
	spec := Render(p)
	if err := os.WriteFile(filepath.Join(dir, "alb.hcl"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	stack, _, diags := specs.Load(dir, specs.Options{})
	if diags.HasErrors() {
		t.Fatalf("the rendered spec does not load: %v\n%s", diags, spec)
	}
	return stack
}

// loaded is what a loaded spec says about the things a proposal decides.
type loaded struct {
	Region, TG, Protocol string
	Port                 int
	Sticky               specs.Stickiness
	LBs                  []string
	Source               string
	Zones                []specs.FleetZone
}

func checkLoaded(t *testing.T, p *Proposal, s *specs.Stack) {
	t.Helper()
	dur := 24 * time.Hour
	if p.Stickiness.On && p.Stickiness.Seconds > 0 {
		dur = time.Duration(p.Stickiness.Seconds) * time.Second
	}
	source := p.Source.ID
	if p.Source.Name != "" && p.Source.NameUnique {
		source = p.Source.Name
	}
	zones := []specs.FleetZone{{AZ: p.Source.AZ, Count: 1}, {AZ: p.Zone.AZ, Count: 1, Subnet: p.Zone.Subnet}}
	slices.SortFunc(zones, func(a, b specs.FleetZone) int { return strings.Compare(a.AZ, b.AZ) })
	var lbs []string
	for _, lb := range p.LoadBalancers {
		lbs = append(lbs, lb.Name)
	}
	want := loaded{Region: p.Origin.Region, TG: p.TargetGroup.Name, Protocol: p.TargetGroup.Protocol, Port: int(p.TargetGroup.Port),
		Sticky: specs.Stickiness{Type: p.Stickiness.Type, Duration: dur, CookieName: p.Stickiness.Cookie}, LBs: lbs, Source: source, Zones: zones}

	got := loaded{Region: s.Cloud.Region, TG: s.TargetGroups[0].Name, Protocol: s.TargetGroups[0].Protocol, Port: s.TargetGroups[0].Port}
	if st := s.TargetGroups[0].Stickiness; st != nil {
		got.Sticky = specs.Stickiness{Type: st.Type, Duration: st.Duration, CookieName: st.CookieName}
	}
	for _, lb := range s.LoadBalancers {
		if lb.ZonesFromTargets {
			got.LBs = append(got.LBs, lb.Name)
		}
	}
	got.Source = s.Fleets[0].Source
	for _, z := range s.Fleets[0].Zones {
		got.Zones = append(got.Zones, specs.FleetZone{AZ: z.AZ, Count: z.Count, Subnet: z.Subnet})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the spec loads as\n  %+v\nthe proposal says\n  %+v\n%s", got, want, Render(p))
	}
}

// checkPlans plans the loaded spec on the world: no refusal, and a launch in the proposed zone.
func checkPlans(t *testing.T, p *Proposal, stack *specs.Stack, world string) {
	t.Helper()
	be, err := backend.OpenSim(world)
	if err != nil {
		t.Fatal(err)
	}
	w, err := be.Observe(context.Background(), stack)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	pl, err := plan.Build(stack, w)
	if err != nil {
		t.Fatalf("plan refuses the proposal (zone %s): %v\n%s", p.Zone.AZ, err, Render(p))
	}
	launch := "launch_instance." + p.Label + "." + p.Zone.AZ + ".1"
	if !slices.ContainsFunc(pl.Steps, func(s plan.Step) bool { return s.ID == launch }) {
		t.Errorf("the plan has no step %s", launch)
	}
}
