package discover

import (
	"fmt"
	"slices"
	"strings"

	"github.com/albctl/albctl/internal/reach"
)

// Whether a zone can serve is the planner's question, asked with the planner's rule
// (internal/reach, as internal/plan's zone check asks it): once the member is registered,
// the node of every load balancer in the zone must reach a target it would send to — any
// target with cross-zone load balancing on, one in its own zone with it off — through the
// security groups and the network ACLs. A proposal whose zone fails it is one plan refuses
// (docs/design.md, "Zones and reachability").

// serves reports whether the load balancers' nodes in az can serve once a member is there,
// and, when they cannot, the planner's reason.
func serves(f *Facts, az string) (bool, string) {
	if f.net == nil {
		return true, ""
	}
	targets := slices.Clone(f.targets)
	if pick, _, _ := memberSubnet(f, az); pick.ID != "" {
		targets = append(targets, reach.Target{ID: "a member", AZ: az, Subnet: pick.ID, Groups: f.Source.Groups, Port: f.TG.Port})
	}
	crossZone := reach.CrossZone(f.TG.Attributes)
	for _, lb := range f.LBs {
		z, ok := lb.zone(az)
		if !ok {
			continue
		}
		ok, blocks := f.net.Serves(reach.Node{AZ: az, Subnet: z.Subnet, Groups: lb.Groups}, targets, crossZone)
		switch {
		case ok:
			continue
		case len(blocks) == 0:
			return false, fmt.Sprintf("the node of %s there has nothing to send to: cross-zone load balancing is off for %s", lb.Name, f.TG.Name)
		default:
			return false, fmt.Sprintf("the node of %s there reaches no target of %s: %s", lb.Name, f.TG.Name, blockWords(blocks))
		}
	}
	return true, ""
}

// blockWords joins the distinct reasons the blocks give, first seen first.
func blockWords(blocks []*reach.Blocked) string {
	var words []string
	for _, b := range blocks {
		if !slices.Contains(words, b.Error()) {
			words = append(words, b.Error())
		}
	}
	return strings.Join(words, "; ")
}
