package mirror

import (
	"fmt"
	"sync"

	"github.com/albctl/albctl/internal/simulator"
)

// probeWorld is the smallest world with one target group and no attributes: the simulator
// fills in every target group attribute it models, with AWS's defaults.
const probeWorld = `{
  "account_id": "000000000000",
  "region": "mirror-probe",
  "now": "2000-01-01T00:00:00Z",
  "vpcs": [{"id": "vpc-probe", "cidr": "10.0.0.0/16"}],
  "target_groups": [{
    "arn": "arn:aws:elasticloadbalancing:mirror-probe:000000000000:targetgroup/probe/0",
    "name": "probe", "vpc": "vpc-probe", "protocol": "HTTP", "port": 80,
    "health_check": {"interval": "30s", "healthy_threshold": 5}
  }]
}`

// simulatorDefaults returns the target group attributes the simulator models, with their
// default values. It asks the simulator (through ParseWorld) rather than keeping a copy, so
// the two cannot drift apart.
var simulatorDefaults = sync.OnceValues(func() (map[string]string, error) {
	w, err := simulator.ParseWorld([]byte(probeWorld))
	if err != nil {
		return nil, fmt.Errorf("mirror: probe the simulator's target group attributes: %w", err)
	}
	return w.TargetGroups[0].Attributes, nil
})
