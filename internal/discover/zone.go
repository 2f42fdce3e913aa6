package discover

import (
	"fmt"
	"slices"
	"strings"
)

// Rule says how the second zone was chosen.
type Rule string

const (
	// RuleReachable: the first alphabetically of the zones whose node the source's groups
	// admit; some other zone's node they refuse.
	RuleReachable Rule = "reachable"
	// RuleAllReachable: the groups admit every candidate's node; the first alphabetically.
	RuleAllReachable Rule = "all-reachable"
	// RuleNoneReachable: the groups admit no candidate's node by a rule init reads, but the
	// planner's rule lets some serve; the first of those, with a warning.
	RuleNoneReachable Rule = "none-reachable"
	// RuleGroupsUnread: the groups are not known; the first alphabetically, with a warning.
	RuleGroupsUnread Rule = "groups-unread"
)

// ZoneChoice is the second zone init proposes, with the reasons written above its block.
type ZoneChoice struct {
	AZ string
	// Subnet is set only when the AZ has several subnets of the VPC (plan needs one named).
	Subnet string
	Rule   Rule
	// Candidates are the load balancers' other zones a member can go to; NotPossible says
	// why each other zone cannot take one.
	Candidates  []string
	NotPossible []string
	Short       string   // for the summary line
	Reasons     []string // the comment's paragraphs
}

// zoneCandidates are the first load balancer's zones other than the source's that every
// load balancer has, with a subnet of the source's VPC and the source's type on offer.
func zoneCandidates(f *Facts) (cands, notes []string) {
	for _, z := range f.LBs[0].Zones {
		if z.AZ == f.Source.AZ {
			continue
		}
		inAll := !slices.ContainsFunc(f.LBs[1:], func(lb LoadBalancer) bool { _, ok := lb.zone(z.AZ); return !ok })
		switch {
		case !inAll:
			notes = append(notes, fmt.Sprintf("%s: not a zone of every load balancer of %s", z.AZ, f.TG.Name))
		case len(f.subnetsIn(z.AZ)) == 0:
			notes = append(notes, fmt.Sprintf("%s: no subnet of %s there", z.AZ, f.Source.VPC))
		case f.Offered != nil && !f.Offered[z.AZ]:
			notes = append(notes, fmt.Sprintf("%s: %s is not offered there", z.AZ, f.Source.Type))
		default:
			cands = append(cands, z.AZ)
		}
	}
	slices.Sort(cands)
	return cands, notes
}

// chooseZone proposes the second zone: one of the load balancers' zones other than the
// source's, with a subnet in the source's VPC and the source's instance type on offer. Among
// them it prefers zones whose load balancer node the source's security groups admit on the
// target port (a member there gets the same groups, and after the trim that node serves half
// the clients), then the alphabetically first (docs/init.md, "The second zone").
func chooseZone(f *Facts) (ZoneChoice, []Finding, error) {
	if len(f.LBs) == 0 {
		return ZoneChoice{}, nil, fmt.Errorf("target group %s is attached to no Application Load Balancer", f.TG.Name)
	}
	cands, notes := zoneCandidates(f)
	if len(cands) == 0 {
		return ZoneChoice{}, nil, fmt.Errorf("no second zone for %s: the load balancer %s has no other zone a member could go to (%s). Add a subnet of another zone to the load balancer first",
			f.Source.ID, f.LBs[0].Name, strings.Join(notes, "; "))
	}
	var fds []Finding
	var c ZoneChoice
	var err error
	if f.GroupsUnread != "" {
		c = unreadChoice(f, cands)
	} else {
		fds = findings(f, cands)
		if c, err = reachableChoice(f, cands, notes, fds); err != nil {
			return ZoneChoice{}, nil, err
		}
	}
	c.Candidates, c.NotPossible = cands, notes
	if len(notes) > 0 {
		c.Reasons = append(c.Reasons, "Not possible: "+strings.Join(notes, "; ")+".")
	}
	pickSubnet(f, &c)
	return c, fds, nil
}

func unreadChoice(f *Facts, cands []string) ZoneChoice {
	c := ZoneChoice{AZ: cands[0], Rule: RuleGroupsUnread, Short: "the first alphabetically; security groups not read"}
	c.Reasons = append(c.Reasons, fmt.Sprintf("the first alphabetically of the load balancer's other zones a member can go to (%s). init %s, so it could not check that the load balancer's node in %s can reach a member on port %d: check the security groups before you apply.",
		strings.Join(cands, ", "), f.GroupsUnread, c.AZ, f.TG.Port))
	return c
}

// reachableChoice picks among the candidates by what the source's groups admit and the
// planner accepts: the first whose node both admit; else, with a warning, the first the
// planner accepts; else none, and init refuses, since plan would refuse the spec.
func reachableChoice(f *Facts, cands, notes []string, fds []Finding) (ZoneChoice, error) {
	var admitted, serving, refused []string
	for _, fd := range fds {
		switch {
		case !fd.Admitted:
			refused = append(refused, fd.why(f.Source.Groups))
		case !fd.Serves:
			refused = append(refused, fd.AZ+": "+fd.NotServing)
		default:
			admitted = append(admitted, fd.AZ)
		}
		if fd.Serves {
			serving = append(serving, fd.AZ)
		}
	}
	var c ZoneChoice
	switch {
	case len(serving) == 0:
		refused = append(refused, notes...)
		return c, fmt.Errorf("no second zone for %s that plan would accept: %s. Let the source's security groups admit the load balancer's subnets (or its security group) on port %d, then run init again",
			f.Source.ID, strings.Join(refused, "; "), f.TG.Port)
	case len(admitted) == 0:
		c = ZoneChoice{AZ: serving[0], Rule: RuleNoneReachable, Short: "the first alphabetically; no zone is admitted by the source's security groups"}
		c.Reasons = append(c.Reasons, fmt.Sprintf("the first alphabetically of the load balancer's other zones a member can go to (%s). The source's security groups (%s) admit none of the load balancer's subnets on port %d by address block or security group (prefix lists are not read): check that the load balancer can reach a member in %s before you apply.",
			strings.Join(serving, ", "), strings.Join(f.Source.Groups, ", "), f.TG.Port, c.AZ))
	case len(refused) == 0:
		c = ZoneChoice{AZ: admitted[0], Rule: RuleAllReachable, Short: "the first alphabetically"}
		c.Reasons = append(c.Reasons, fmt.Sprintf("the first alphabetically of the load balancer's other zones a member can go to (%s); the source's security groups admit the load balancer's node in each.",
			strings.Join(cands, ", ")))
	default:
		c = ZoneChoice{AZ: admitted[0], Rule: RuleReachable, Short: "its load balancer node can reach a member"}
		c.Reasons = append(c.Reasons, fmt.Sprintf("the first alphabetically of the load balancer's other zones whose node the source's security groups (%s) admit on port %d (%s). Not chosen:",
			strings.Join(f.Source.Groups, ", "), f.TG.Port, strings.Join(admitted, ", ")))
		for _, r := range refused {
			c.Reasons = append(c.Reasons, "- "+r+".")
		}
	}
	return c, nil
}

// memberSubnet is the subnet a member in az goes into: the only subnet of the VPC there, or,
// among several, one like the source's: a load balancer subnet if the source is in one, else
// a subnet the load balancer does not use (an app subnet).
func memberSubnet(f *Facts, az string) (pick Subnet, subnets []Subnet, sourceInLB bool) {
	subnets = f.subnetsIn(az)
	if len(subnets) == 0 {
		return Subnet{}, nil, false
	}
	lbSubnet := func(id string) bool {
		return slices.ContainsFunc(f.LBs, func(lb LoadBalancer) bool {
			return slices.ContainsFunc(lb.Zones, func(z LBZone) bool { return z.Subnet == id })
		})
	}
	sourceInLB = lbSubnet(f.Source.Subnet)
	pick = subnets[0]
	if i := slices.IndexFunc(subnets, func(s Subnet) bool { return lbSubnet(s.ID) == sourceInLB }); i >= 0 {
		pick = subnets[i]
	}
	return pick, subnets, sourceInLB
}

// pickSubnet names the member's subnet when the zone has several of the VPC (plan takes the
// only one by itself) and says why.
func pickSubnet(f *Facts, c *ZoneChoice) {
	pick, subnets, sourceInLB := memberSubnet(f, c.AZ)
	if len(subnets) == 1 {
		c.Reasons = append(c.Reasons, fmt.Sprintf("A member there goes into %s, the only subnet of %s in %s.", pick, f.Source.VPC, c.AZ))
		return
	}
	c.Subnet = pick.ID
	var others []string
	for _, s := range subnets {
		if s.ID != pick.ID {
			others = append(others, s.String())
		}
	}
	where := "a subnet the load balancer does not use, as the source's"
	if sourceInLB {
		where = "the load balancer's subnet there, as the source is in the load balancer's"
	}
	c.Reasons = append(c.Reasons, fmt.Sprintf("%s has %d subnets of %s: init names %s, %s (the others: %s).",
		c.AZ, len(subnets), f.Source.VPC, pick, where, strings.Join(others, ", ")))
}
