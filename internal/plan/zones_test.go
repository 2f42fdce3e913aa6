package plan

import (
	"slices"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// The tests of zones.go: which zones a load balancer keeps, trims and gains, and where a
// zone's launches go.

// A zone whose count drops to zero loses its member, and the ALB leaves it once the member is
// gone.
func TestZoneScaledToZeroIsTrimmed(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(1)
	s.Fleets[0].Zones = append(s.Fleets[0].Zones, specs.FleetZone{AZ: "ap-northeast-1c", Count: 1})
	withMember(w, member("i-0ccccccccccccccc1", "ap-northeast-1c", "subnet-0c", 1))
	w.LoadBalancers[0].Zones = seedWorld().LoadBalancers[0].Zones
	s.Fleets[0].Zones[2].Count = 0
	p := build(t, s, w)
	if got, want := kinds(p), []string{"deregister_target", "terminate_instance", "trim_zones"}; !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	if tr := step(t, p, TrimZones); !slices.Equal(tr.Zones.Removed, []string{"ap-northeast-1c"}) {
		t.Errorf("trim removes %v", tr.Zones.Removed)
	}
}

// With several subnets in a zone, the zone block names one, and launches go there.
func TestZoneBlockChoosesTheSubnet(t *testing.T) {
	t.Parallel()
	w := seedWorld()
	w.Subnets = append(w.Subnets, cloud.Subnet{ID: "subnet-0d2", AZ: "ap-northeast-1d", VpcID: "vpc-1", AvailableIPs: 10})
	s := seedStack()
	s.Fleets[0].Zones[1].Subnet = "subnet-0d2"
	if got := step(t, build(t, s, w), LaunchInstance).Launch.SubnetID; got != "subnet-0d2" {
		t.Errorf("launch into %s, want the zone block's subnet-0d2", got)
	}
}
