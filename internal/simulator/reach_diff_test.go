package simulator

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/reach"
	"github.com/albctl/albctl/internal/specs"
)

// TestPlanAndSimulatorAgreeOnReach is the differential test of the reachability rule: over
// many generated networks, what the planner sees (the world as cloud.Observe reads it through
// the simulator's API, judged by internal/reach) and what the simulator routes by (its own
// world) agree for every load balancer node and every target. A disagreement would be a plan
// that passes while the simulator answers 504, or a refusal the simulator disproves.
func TestPlanAndSimulatorAgreeOnReach(t *testing.T) {
	t.Parallel()
	stack, _, diags := specs.Load("../../examples/blog/alb.hcl", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	blocked, open := 0, 0
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 16))
		w := reachableSeed()
		randomNetwork(r, w)
		if err := w.validate(); err != nil {
			t.Fatalf("seed %d: generated world: %v", seed, err)
		}
		sim := secondTarget(t, New(w))
		observed, err := cloud.Observe(context.Background(), cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(stack))
		if err != nil {
			t.Fatalf("seed %d: Observe: %v", seed, err)
		}
		if !observed.NetworkRead {
			t.Fatalf("seed %d: Observe did not read the network", seed)
		}
		net := reach.FromWorld(observed)
		lb, _ := observed.LoadBalancer("web-alb")
		sim.mu.Lock()
		for _, n := range sim.nodes(&sim.w.LoadBalancers[0]) {
			for i := range sim.w.Instances {
				in := &sim.w.Instances[i]
				simOK, simWhy := sim.reach(n, in, 80)
				oi, ok := observed.Instance(in.ID)
				if !ok {
					t.Fatalf("seed %d: %s not observed", seed, in.ID)
				}
				b := net.Reach(reach.Node{AZ: n.AZ, Subnet: n.Subnet, Groups: lb.SecurityGroups},
					reach.Target{ID: oi.ID, AZ: oi.AZ, Subnet: oi.SubnetID, Groups: oi.SecurityGroupIDs, Port: 80})
				planWhy := ""
				if b != nil {
					planWhy = b.Error()
				}
				if simOK != (b == nil) || simWhy != planWhy {
					t.Errorf("seed %d, node in %s, %s: simulator %v %q, plan %q", seed, n.AZ, in.ID, simOK, simWhy, planWhy)
				}
				if simOK {
					open++
				} else {
					blocked++
				}
			}
		}
		sim.mu.Unlock()
	}
	// The generator must exercise both answers, or the agreement proves little.
	if blocked < 100 || open < 100 {
		t.Errorf("%d blocked and %d open pairs: the generator is lopsided", blocked, open)
	}
}

var (
	genCIDRs = []string{"10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.0.0/16", "0.0.0.0/0", "10.0.2.0/25", "10.0.0.0/23"}
	genPorts = [][2]int32{{80, 80}, {0, 79}, {443, 443}, {0, 65535}, {80, 90}, {1024, 65535}, {32768, 65535}, {1024, 40000}}
)

// randomNetwork gives the seed world random rules: web-sg's ingress, web-alb-sg's egress,
// and network ACLs, some per subnet.
func randomNetwork(r *rand.Rand, w *World) {
	web, alb := webSG(w), albSG(w)
	web.Ingress = randomRules(r, 0.1)
	alb.Egress = randomRules(r, 0.4)
	acl := &w.NetworkACLs[0]
	acl.Inbound, acl.Outbound = randomACL(r), randomACL(r)
	for _, sn := range []string{SeedSubnet1a, SeedSubnet1c, SeedSubnet1d} {
		if r.IntN(3) == 0 {
			aclFor(w, "acl-"+sn, sn, randomACL(r), randomACL(r))
		}
	}
}

// randomRules returns nil (not recorded) with probability pNil, else up to three rules.
func randomRules(r *rand.Rand, pNil float64) *[]IngressRule {
	if r.Float64() < pNil {
		return nil
	}
	rules := []IngressRule{}
	for range r.IntN(4) {
		rule := IngressRule{Protocol: "tcp"}
		if r.IntN(5) == 0 {
			rule.Protocol = "-1"
		} else {
			p := genPorts[r.IntN(len(genPorts))]
			rule.FromPort, rule.ToPort = p[0], p[1]
		}
		for len(rule.CIDRs) == 0 && len(rule.SourceGroups) == 0 {
			if r.IntN(2) == 0 {
				rule.CIDRs = append(rule.CIDRs, genCIDRs[r.IntN(len(genCIDRs))])
			}
			if r.IntN(3) == 0 {
				rule.SourceGroups = append(rule.SourceGroups, []string{SeedALBSG, SeedWebSG}[r.IntN(2)])
			}
		}
		slices.Sort(rule.CIDRs)
		rule.CIDRs = slices.Compact(rule.CIDRs)
		rules = append(rules, rule)
	}
	return &rules
}

// randomACL returns one direction's rules: mostly allows, a few denies, unique numbers.
func randomACL(r *rand.Rand) []ACLRule {
	var out []ACLRule
	for _, n := range r.Perm(20)[:r.IntN(5)] {
		rule := ACLRule{Number: int32(n+1) * 10, Protocol: "tcp", CIDR: genCIDRs[r.IntN(len(genCIDRs))], Action: "allow"}
		if r.IntN(4) == 0 {
			rule.Protocol = "-1"
		} else {
			p := genPorts[r.IntN(len(genPorts))]
			rule.FromPort, rule.ToPort = p[0], p[1]
		}
		if r.IntN(4) == 0 {
			rule.Action = "deny"
		}
		out = append(out, rule)
	}
	if r.IntN(2) == 0 {
		out = append(out, ACLRule{Number: 1000, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"})
	}
	return out
}
