package mirror

import (
	"fmt"
	"time"

	"github.com/albctl/albctl/internal/simulator"
)

// RoundTripWorld is a world for the round-trip tests of Snapshot and Seed (here, and
// against moto in integration/): snapshot(seed(W)) must behave as W.
type RoundTripWorld struct {
	Name  string
	World *simulator.World
}

// Features of the generated round-trip worlds, combined in every way.
const (
	featGroups   = 1 << iota // several groups: a rule naming a group, restricted egress
	featACLDeny              // a subnet's own ACL that denies the 1a node
	featHealth               // unhealthy (500, timeout) and draining targets
	featCrossOff             // cross-zone off, attributes, an image with a snapshot
	featAll      = featGroups | featACLDeny | featHealth | featCrossOff
)

// RoundTripWorlds returns the blog world (examples/blog/world.json) and every combination
// of the features above on it.
func RoundTripWorlds() []RoundTripWorld {
	var out []RoundTripWorld
	for f := 0; f <= featAll; f++ {
		w := simulator.SeedWorld()
		name := "blog"
		for _, x := range []struct {
			bit  int
			name string
			add  func(*simulator.World)
		}{{featGroups, "groups", addGroups}, {featACLDeny, "acl-deny", addACLDeny}, {featHealth, "health", addHealth}, {featCrossOff, "cross-zone-off", addCrossOff}} {
			if f&x.bit != 0 {
				name += "+" + x.name
				x.add(w)
			}
		}
		out = append(out, RoundTripWorld{Name: name, World: w})
	}
	return out
}

const (
	rtAdminSG = "sg-0a1b2c3d4e5f600a0"
	rtACL     = "acl-0a1b2c3d4e5f600c1"
	rtSnap    = "snap-0a1b2c3d4e5f60b01"
)

func group(w *simulator.World, id string) *simulator.SecurityGroup {
	for i := range w.SecurityGroups {
		if w.SecurityGroups[i].ID == id {
			return &w.SecurityGroups[i]
		}
	}
	panic("no group " + id)
}

func addGroups(w *simulator.World) {
	w.SecurityGroups = append(w.SecurityGroups, simulator.SecurityGroup{
		ID: rtAdminSG, Name: "admin", VPC: simulator.SeedVPC, Description: "administrators",
		Ingress: &[]simulator.IngressRule{},
		Egress:  &[]simulator.IngressRule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"10.0.0.0/16"}}},
	})
	web := group(w, simulator.SeedWebSG)
	*web.Ingress = append(*web.Ingress,
		simulator.IngressRule{Protocol: "tcp", FromPort: 22, ToPort: 22, SourceGroups: []string{rtAdminSG}},
		simulator.IngressRule{Protocol: "tcp", FromPort: 8080, ToPort: 8081, SourceGroups: []string{simulator.SeedALBSG}},
	)
	web.Egress = &[]simulator.IngressRule{
		{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}},
		{Protocol: "tcp", FromPort: 5432, ToPort: 5432, CIDRs: []string{"10.0.0.0/16"}},
	}
}

func addACLDeny(w *simulator.World) {
	w.NetworkACLs[0].Subnets = []string{simulator.SeedSubnet1a, simulator.SeedSubnet1d}
	w.NetworkACLs = append(w.NetworkACLs, simulator.NetworkACL{
		ID: rtACL, VPC: simulator.SeedVPC, Subnets: []string{simulator.SeedSubnet1c},
		Inbound: []simulator.ACLRule{
			{Number: 90, Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "10.0.1.0/24", Action: "deny"},
			{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
		},
		Outbound: []simulator.ACLRule{{Number: 100, Protocol: "tcp", FromPort: 0, ToPort: 65535, CIDR: "0.0.0.0/0", Action: "allow"}},
	})
}

// addHealth adds three instances of the seed image in 1d, registered: one whose app
// answers 500, one whose app does not answer, one draining.
func addHealth(w *simulator.World) {
	launched := w.Now.Add(-48 * time.Hour)
	apps := []*simulator.App{{Health: "fails", StatusCode: 500}, {Health: "timeout"}, nil}
	tg := &w.TargetGroups[0]
	for i, app := range apps {
		id := fmt.Sprintf("i-0a1b2c3d4e5f6010%d", i)
		w.Instances = append(w.Instances, simulator.Instance{
			ID: id, State: "running", AZ: "ap-northeast-1d", Subnet: simulator.SeedSubnet1d, VPC: simulator.SeedVPC,
			Image: simulator.SeedImage, Type: "t3.small", SecurityGroups: []string{simulator.SeedWebSG},
			Tags: map[string]string{"Name": fmt.Sprintf("web-extra-%d", i)}, LaunchTime: launched,
			Reservation: fmt.Sprintf("r-0a1b2c3d4e5f6010%d", i), RunningAt: launched.Add(30 * time.Second), App: app,
		})
		t := simulator.Target{ID: id, Port: 80, RegisteredAt: launched.Add(time.Minute)}
		if app == nil { // draining for the last 10 s of the default 300 s delay
			t.DeregisteredAt, t.DrainUntil = w.Now.Add(-10*time.Second), w.Now.Add(290*time.Second)
		}
		tg.Targets = append(tg.Targets, t)
	}
}

func addCrossOff(w *simulator.World) {
	tg := &w.TargetGroups[0]
	if tg.Attributes == nil {
		tg.Attributes = map[string]string{}
	}
	tg.Attributes["load_balancing.cross_zone.enabled"] = "false"
	tg.Attributes["deregistration_delay.timeout_seconds"] = "300"
	tg.Attributes["slow_start.duration_seconds"] = "30"
	w.LoadBalancers[0].Attributes = map[string]string{"deletion_protection.enabled": "true", "idle_timeout.timeout_seconds": "30"}
	w.Snapshots = append(w.Snapshots, simulator.Snapshot{ID: rtSnap, State: "completed", VolumeSize: 8, CreatedAt: w.Images[0].CreatedAt})
	w.Images[0].Snapshots = []string{rtSnap}
}
