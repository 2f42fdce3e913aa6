package discover

import (
	"fmt"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/reach"
)

// Facts is what init read about one source, its target group and load balancers: the
// inputs of Propose.
type Facts struct {
	Source  Source
	TG      TargetGroup
	LBs     []LoadBalancer // the application load balancers the target group is attached to
	Subnets []Subnet       // the source VPC's, by ID
	// Offered holds the load balancers' zones where the source's instance type is offered
	// (nil: not read).
	Offered map[string]bool
	// Groups are the source's security groups, by ID; GroupsUnread says why they are not
	// all known ("" when they are).
	Groups       []cloud.SecurityGroup
	GroupsUnread string

	// net and targets are what the planner's reachability rule is applied to (serve.go):
	// the region's network, and the target group's registered targets that are not
	// draining (nil net: not judged).
	net     *reach.Net
	targets []reach.Target
}

// Source is the instance to scale out.
type Source struct {
	ID, Name, AZ, Subnet, VPC, Type, Image, State string
	Profile                                       string // instance profile ARN ("" for none)
	Groups                                        []string
	NameUnique                                    bool // the Name tag names no other live source
}

// TargetGroup is the source's target group as the spec describes it.
type TargetGroup struct {
	ARN, Name, Protocol, VPC string
	Port                     int32
	HC                       HealthCheck
	Attributes               map[string]string
	Targets                  []string // "i-… (healthy)"
}

// HealthCheck is the target group's health check; Port is "" or "traffic-port" or a number.
type HealthCheck struct {
	Protocol, Port, Path, Matcher         string
	Interval, Timeout, Healthy, Unhealthy int32
}

// LoadBalancer is an application load balancer the target group is attached to.
type LoadBalancer struct {
	ARN, Name, Scheme, VPC string
	Groups                 []string
	Zones                  []LBZone // by AZ
}

// LBZone is an enabled zone of a load balancer; CIDR is its subnet's block ("" when the
// subnet is not one of the source VPC's).
type LBZone struct{ AZ, Subnet, CIDR string }

// ZoneNames are the load balancer's zones, in AZ order.
func (l LoadBalancer) ZoneNames() []string {
	var out []string
	for _, z := range l.Zones {
		out = append(out, z.AZ)
	}
	return out
}

func (l LoadBalancer) zone(az string) (LBZone, bool) {
	for _, z := range l.Zones {
		if z.AZ == az {
			return z, true
		}
	}
	return LBZone{}, false
}

// Subnet is a subnet of the source's VPC.
type Subnet struct{ ID, AZ, CIDR, Name string }

func (s Subnet) String() string {
	if s.Name == "" {
		return s.ID
	}
	return fmt.Sprintf("%s (%s)", s.ID, s.Name)
}

func (f *Facts) subnet(id string) (Subnet, bool) {
	for _, s := range f.Subnets {
		if s.ID == id {
			return s, true
		}
	}
	return Subnet{}, false
}

func (f *Facts) subnetsIn(az string) []Subnet {
	var out []Subnet
	for _, s := range f.Subnets {
		if s.AZ == az {
			out = append(out, s)
		}
	}
	return out
}
