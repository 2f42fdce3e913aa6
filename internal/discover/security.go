package discover

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/reach"
)

// Finding is what the source's security groups say about one zone a member could go to:
// whether they admit its load balancer node on the target group's ports. When they do not,
// LB, Subnet, CIDR and Port name the first node and port they refuse. Serves is the
// planner's verdict on the zone (serve.go), NotServing its reason when it refuses.
type Finding struct {
	AZ         string
	Admitted   bool
	LB         string
	Subnet     string
	CIDR       string
	Port       int32
	Serves     bool
	NotServing string
}

// why says what a refusing finding means, for the spec's comment.
func (fd Finding) why(groups []string) string {
	return fmt.Sprintf("%s: %s no TCP %d from %s, %s's subnet %s there, so its load balancer node could not reach a member",
		fd.AZ, groupsAdmit(groups), fd.Port, fd.CIDR, fd.LB, fd.Subnet)
}

// checkedPorts are the ports a load balancer node connects to a member on: the target port,
// and the health check's when it names another.
func checkedPorts(tg TargetGroup) []int32 {
	ports := []int32{tg.Port}
	if p, err := strconv.Atoi(tg.HC.Port); err == nil && int32(p) != tg.Port {
		ports = append(ports, int32(p))
	}
	return ports
}

// findings checks, for each candidate zone, that some group of the source admits every load
// balancer's node there on every checked port. A node whose subnet is not in the source's
// VPC (no CIDR known) is not judged.
func findings(f *Facts, zones []string) []Finding {
	var out []Finding
	for _, az := range zones {
		fd := finding(f, az)
		fd.Serves, fd.NotServing = serves(f, az)
		out = append(out, fd)
	}
	return out
}

func finding(f *Facts, az string) Finding {
	for _, lb := range f.LBs {
		z, _ := lb.zone(az)
		if z.CIDR == "" {
			continue
		}
		for _, port := range checkedPorts(f.TG) {
			if !slices.ContainsFunc(f.Groups, func(g cloud.SecurityGroup) bool { return admits(g, port, z.CIDR, lb.Groups) }) {
				return Finding{AZ: az, LB: lb.Name, Subnet: z.Subnet, CIDR: z.CIDR, Port: port}
			}
		}
	}
	return Finding{AZ: az, Admitted: true}
}

// admits reports whether a security group admits TCP port from a load balancer node in a
// subnet with block cidr, or from one of the load balancer's security groups: the planner's
// own rule (reach.Admits). Prefix lists and IPv6 rules do not count (a rule must cover the
// whole subnet, as AWS advises for rules that name load balancer subnets).
func admits(g cloud.SecurityGroup, port int32, cidr string, lbGroups []string) bool {
	return reach.Admits(g.Ingress, port, cidr, lbGroups)
}

// groupsAdmit is "security group X admits" or "security groups X, Y admit".
func groupsAdmit(groups []string) string {
	if len(groups) == 1 {
		return "security group " + groups[0] + " admits"
	}
	return "security groups " + strings.Join(groups, ", ") + " admit"
}
