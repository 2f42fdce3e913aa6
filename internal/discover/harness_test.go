package discover

import (
	"context"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// testOrigin is the origin the tests propose with.
var testOrigin = Origin{Kind: "sim", Where: "the test world", Region: "ap-northeast-1"}

// accountOf reads w as init does: cloud.ReadRegion through the simulator's clients.
func accountOf(t *testing.T, w *simulator.World) *Account {
	t.Helper()
	sim := simulator.New(w)
	a, err := ReadAccount(context.Background(), cloud.RegionAPI{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()})
	if err != nil {
		t.Fatalf("read the world: %v", err)
	}
	return a
}

// proposeOn is init's decision on w for source (and target group tg, "" for the only one).
func proposeOn(t *testing.T, w *simulator.World, source, tg string) (*Proposal, error) {
	t.Helper()
	f, err := accountOf(t, w).Facts(context.Background(), source, tg)
	if err != nil {
		return nil, err
	}
	return Propose(f, testOrigin)
}

func seedTG(w *simulator.World) *simulator.TargetGroup { return &w.TargetGroups[0] }

func webSG(w *simulator.World) *simulator.SecurityGroup {
	for i := range w.SecurityGroups {
		if w.SecurityGroups[i].ID == simulator.SeedWebSG {
			return &w.SecurityGroups[i]
		}
	}
	panic("no web-sg in the seed world")
}

func albSG(w *simulator.World) *simulator.SecurityGroup {
	for i := range w.SecurityGroups {
		if w.SecurityGroups[i].ID == simulator.SeedALBSG {
			return &w.SecurityGroups[i]
		}
	}
	panic("no alb-sg in the seed world")
}

func slicesDelete(gs []simulator.SecurityGroup, id string) []simulator.SecurityGroup {
	var out []simulator.SecurityGroup
	for _, g := range gs {
		if g.ID != id {
			out = append(out, g)
		}
	}
	return out
}
