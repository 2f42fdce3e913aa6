package specs

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Stack is the desired topology, decoded and validated from a directory of *.hcl files.
// Every slice is sorted by label so a Stack is deterministic whatever the file order.
// Ranges point back at the source so that later stages (plan) can report errors as HCL
// diagnostics; they are excluded from JSON so that the stack's hash ignores formatting.
type Stack struct {
	Cloud         Cloud          `json:"cloud"`
	TargetGroups  []TargetGroup  `json:"target_groups"`
	LoadBalancers []LoadBalancer `json:"load_balancers"`
	Fleets        []Fleet        `json:"fleets"`
}

// Cloud says where commands act. Target is "sim" (the default when no cloud block or no target
// attribute is given) or "aws".
type Cloud struct {
	Target    string    `json:"target"`
	Region    string    `json:"region,omitempty"`
	Profile   string    `json:"profile,omitempty"`
	Endpoint  string    `json:"endpoint,omitempty"`
	Lock      string    `json:"lock,omitempty"` // s3://bucket/key of the apply lock (AWS)
	DeclRange hcl.Range `json:"-"`
}

// TargetGroup is a target_group block. The target group itself must exist: albctl scales what
// sits behind it, it does not create it.
type TargetGroup struct {
	Label       string       `json:"label"`
	Name        string       `json:"name"`
	Port        int          `json:"port"`
	Protocol    string       `json:"protocol"`
	HealthCheck *HealthCheck `json:"health_check,omitempty"`
	Stickiness  *Stickiness  `json:"stickiness,omitempty"` // nil: the spec does not manage stickiness
	DeclRange   hcl.Range    `json:"-"`
	NameRange   hcl.Range    `json:"-"` // the name expression
}

// HealthCheck is a health_check block; zero fields were not given.
type HealthCheck struct {
	Path               string        `json:"path,omitempty"`
	Interval           time.Duration `json:"interval,omitempty"`
	Timeout            time.Duration `json:"timeout,omitempty"`
	HealthyThreshold   int           `json:"healthy_threshold,omitempty"`
	UnhealthyThreshold int           `json:"unhealthy_threshold,omitempty"`
	Matcher            string        `json:"matcher,omitempty"`
	DeclRange          hcl.Range     `json:"-"`
}

// Stickiness is a stickiness block: Type "lb_cookie" or "app_cookie" (then CookieName is set).
type Stickiness struct {
	Type       string        `json:"type"`
	Duration   time.Duration `json:"duration"` // 1s..7d; default 24h
	CookieName string        `json:"cookie_name,omitempty"`
	DeclRange  hcl.Range     `json:"-"`
}

// LoadBalancer is a load_balancer block. The ALB must exist; albctl manages its zones.
type LoadBalancer struct {
	Label string `json:"label"`
	Name  string `json:"name"`
	// ZonesFromTargets is zones = "targets": span exactly the AZs holding targets.
	ZonesFromTargets bool `json:"zones_from_targets"`
	// Zones is an explicit list when ZonesFromTargets is false: AZ names ("ap-northeast-1a")
	// or subnet IDs ("subnet-..."), sorted.
	Zones      []string  `json:"zones,omitempty"`
	DeclRange  hcl.Range `json:"-"`
	ZonesRange hcl.Range `json:"-"`
	NameRange  hcl.Range `json:"-"` // the name expression
}

// Fleet is a fleet block: copies of Source behind TargetGroup, Count per zone.
type Fleet struct {
	Label string `json:"label"`
	// Source is an instance ID ("i-...") or the value of the source instance's Name tag; with
	// SourceIsPattern, a Name tag pattern with EC2's wildcards (spec attribute source_pattern).
	Source          string `json:"source"`
	SourceIsPattern bool   `json:"source_is_pattern,omitempty"`
	// TargetGroup is the label of a target_group block in the same stack.
	TargetGroup string `json:"target_group"`
	// Sessions is "local" (sessions on the server's disk: stickiness required with >1 target)
	// or "shared".
	Sessions string `json:"sessions"`
	Image    Image  `json:"image"`
	// IAMInstanceProfile is "inherit" (copy the source's profile; the default), a profile name,
	// or an instance-profile ARN.
	IAMInstanceProfile string `json:"iam_instance_profile"`
	// InstanceType is the type of new members; empty means the source's type.
	InstanceType string      `json:"instance_type,omitempty"`
	Rollout      Rollout     `json:"rollout"`
	Zones        []FleetZone `json:"zones"` // sorted by AZ
	DeclRange    hcl.Range   `json:"-"`
	SourceRange  hcl.Range   `json:"-"`
	// Ranges of the target_group, sessions and iam_instance_profile expressions; DeclRange
	// when the attribute was not written.
	TargetGroupRange        hcl.Range `json:"-"`
	SessionsRange           hcl.Range `json:"-"`
	IAMInstanceProfileRange hcl.Range `json:"-"`
}

// Image is a fleet's image block: either an image albctl bakes from the source (Name, Version,
// NoReboot) or one baked elsewhere (ID).
type Image struct {
	Name     string `json:"name,omitempty"`
	Version  string `json:"version"` // with ID and no version given: the ID
	NoReboot bool   `json:"no_reboot"`
	// ID is an existing AMI to launch from ("ami-..."): no bake step.
	ID string `json:"id,omitempty"`
	// Keep is how many images albctl baked for the fleet to keep (the newest, the current
	// one included); older ones are deregistered with their snapshots once unused.
	Keep      int       `json:"keep"`
	DeclRange hcl.Range `json:"-"`
	NameRange hcl.Range `json:"-"` // the name expression
}

// Rollout is a fleet's rollout block: how members on an older image are replaced, modelled on
// EC2 Auto Scaling instance refresh. Replacement is surge-first: a new member is launched and
// healthy before the member it replaces leaves service.
type Rollout struct {
	// MinHealthyPercent of the fleet's desired count must serve at every moment (default 100).
	MinHealthyPercent int `json:"min_healthy_percent"`
	// MaxSurge is how many members may run above the desired count (default 1).
	MaxSurge int `json:"max_surge"`
	// BakeTime is how long a batch must stay healthy before the next one starts (default 0).
	BakeTime time.Duration `json:"bake_time"`
	// HealthTimeout bounds how long a new member may take to become healthy (default 10m).
	HealthTimeout time.Duration `json:"health_timeout"`
	// AutoRollback deregisters and terminates a new member that is not healthy in time, so
	// the old members keep serving (default true).
	AutoRollback bool `json:"auto_rollback"`
	// Gates are the alarms and metric guards judged at checkpoints (gates.go).
	Gates     Gates     `json:"gates,omitzero"`
	DeclRange hcl.Range `json:"-"`
}

// FleetZone is a zone "<az>" { count = N } block. The source instance counts as a member of
// its own zone.
type FleetZone struct {
	AZ string `json:"az"`
	// Count is the number of instances wanted in this AZ, source included; 0 is allowed.
	Count int `json:"count"`
	// Subnet is an optional subnet ID to launch into; empty means "the source's subnet if it
	// is in this AZ, else the only subnet of the source's VPC in this AZ".
	Subnet     string    `json:"subnet,omitempty"`
	DeclRange  hcl.Range `json:"-"`
	CountRange hcl.Range `json:"-"` // the count expression
}

// TargetGroupByLabel returns the target_group block with that label.
func (s *Stack) TargetGroupByLabel(label string) (*TargetGroup, bool) {
	for i := range s.TargetGroups {
		if s.TargetGroups[i].Label == label {
			return &s.TargetGroups[i], true
		}
	}
	return nil, false
}
