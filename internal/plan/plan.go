// Package plan turns a desired Stack and an observed World into an ordered list of typed steps.
//
// Build is a pure function: no I/O, no clock, no randomness; the same inputs give the same plan
// byte for byte. A step's Reason is for people; the engine acts only on the typed fields.
// Rendering lives in the CLI, not here.
package plan

import "github.com/albctl/albctl/internal/clock"

// Kind is what a step does.
type Kind string

const (
	CreateImage              Kind = "create_image"
	LaunchInstance           Kind = "launch_instance"
	AssociateInstanceProfile Kind = "associate_instance_profile"
	EnableStickiness         Kind = "enable_stickiness"
	AddZones                 Kind = "add_zones"
	RegisterTarget           Kind = "register_target"
	TrimZones                Kind = "trim_zones"
	DeregisterTarget         Kind = "deregister_target"
	TerminateInstance        Kind = "terminate_instance"
	// ValidateLaunch is RunInstances with DryRun: it proves a launch's parameters (profile,
	// type, subnet, groups) before a disruptive step, so a bad launch never costs an outage.
	ValidateLaunch Kind = "validate_launch"
	// ModifyHealthCheck is ModifyTargetGroup: the spec's health-check settings.
	ModifyHealthCheck Kind = "modify_health_check"
	// Wait holds the steps after it for a fixed time (a rollout's bake_time between batches).
	Wait Kind = "wait"
	// DeregisterImage removes an image albctl baked, and its snapshots, once nothing uses it.
	DeregisterImage Kind = "deregister_image"
	// TagSnapshots gives the snapshots of an image albctl baked the image's tags when they
	// lack them (an apply stopped between the bake and the tagging, or an albctl that did not
	// tag snapshots): DeleteSnapshot is granted on tagged snapshots only (docs/security.md).
	TagSnapshots Kind = "tag_snapshots"
	// Gate holds a rollout at a checkpoint for its bake time while it watches the alarms and
	// metric guards, and rolls the fleet back when one trips (gates.go).
	Gate Kind = "gate"
)

// Plan is the ordered list of steps that takes the world to the stack.
type Plan struct {
	// Steps are in an order that respects every DependsOn (a topological order, ties broken by
	// kind then ID), so executing them one by one is always safe.
	Steps []Step `json:"steps"`
	// Warnings are things a reviewer must see even when they need no step (or are risks of a
	// step, e.g. an outage during an image reboot).
	Warnings []string `json:"warnings,omitempty"`
}

// Empty reports whether there is nothing to do.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// Step is one change. Exactly one of the parameter pointers is set, matching Kind.
type Step struct {
	ID        string   `json:"id"`
	Kind      Kind     `json:"kind"`
	Resource  string   `json:"resource"` // what it acts on, for people: "image web-2023-05-14"
	Reason    string   `json:"reason"`
	DependsOn []string `json:"depends_on"`
	// Warning is set when the step itself is risky and a reviewer must see it loudly.
	Warning string `json:"warning,omitempty"`

	Image       *ImageParams       `json:"image,omitempty"`
	Launch      *LaunchParams      `json:"launch,omitempty"`
	Associate   *AssociateParams   `json:"associate,omitempty"`
	Stickiness  *StickinessParams  `json:"stickiness,omitempty"`
	Zones       *ZonesParams       `json:"zones,omitempty"`
	Target      *TargetParams      `json:"target,omitempty"`
	Terminate   *TerminateParams   `json:"terminate,omitempty"`
	HealthCheck *HealthCheckParams `json:"health_check,omitempty"`
	Wait        *WaitParams        `json:"wait,omitempty"`
	Cleanup     *CleanupParams     `json:"cleanup,omitempty"`
	Snapshots   *SnapshotTagParams `json:"snapshots,omitempty"`
	Gate        *GateParams        `json:"gate,omitempty"`
}

// ImageParams is CreateImage of a fleet's source. CreateImage has no ClientToken; the name is
// unique per account and region, so a re-run finds a pending image by Name instead.
type ImageParams struct {
	SourceInstanceID string            `json:"source_instance_id"`
	Name             string            `json:"name"`
	NoReboot         bool              `json:"no_reboot"`
	Tags             map[string]string `json:"tags"`
}

// LaunchParams is RunInstances of one member. The image is ImageID when it already existed at
// plan time, else the output of step ImageStep (found by ImageName).
type LaunchParams struct {
	ImageID          string            `json:"image_id,omitempty"`
	ImageStep        string            `json:"image_step,omitempty"`
	ImageName        string            `json:"image_name"`
	AZ               string            `json:"az"`
	SubnetID         string            `json:"subnet_id"`
	InstanceType     string            `json:"instance_type"`
	KeyName          string            `json:"key_name,omitempty"`
	SecurityGroupIDs []string          `json:"security_group_ids,omitempty"`
	IAMProfile       string            `json:"iam_instance_profile,omitempty"` // name or ARN
	ClientToken      string            `json:"client_token"`
	Tags             map[string]string `json:"tags"`
	// Replaces is the member this launch replaces in a rollout (its slot), empty otherwise.
	Replaces string `json:"replaces,omitempty"`
}

// AssociateParams attaches an IAM instance profile to a member that lacks it.
type AssociateParams struct {
	InstanceID string `json:"instance_id"`
	IAMProfile string `json:"iam_instance_profile"` // name or ARN
}

// StickinessParams sets target group attributes (sorted keys when rendered).
type StickinessParams struct {
	TargetGroupARN string            `json:"target_group_arn"`
	Attributes     map[string]string `json:"attributes"`
}

// ZonesParams is SetSubnets: the full set of subnets the ALB is to be enabled in.
type ZonesParams struct {
	LoadBalancerARN string   `json:"load_balancer_arn"`
	SubnetIDs       []string `json:"subnet_ids"` // the whole new set, sorted
	AZs             []string `json:"azs"`        // the AZs of SubnetIDs, sorted
	Added           []string `json:"added,omitempty"`
	Removed         []string `json:"removed,omitempty"`
	// TargetGroupARNs whose targets must be healthy in every kept AZ before a trim.
	TargetGroupARNs []string `json:"target_group_arns,omitempty"`
	// AcrossZones are kept AZs that will hold no target: their nodes serve the targets of
	// the other zones (cross-zone load balancing; the plan checked that they reach one), so a
	// trim waits for a healthy target in some kept AZ rather than in them (docs/design.md,
	// "Zones and reachability").
	AcrossZones []string `json:"across_zones,omitempty"`
}

// TargetParams registers or deregisters one instance. The instance is InstanceID when it
// existed at plan time, else the output of step InstanceStep.
type TargetParams struct {
	TargetGroupARN string `json:"target_group_arn"`
	InstanceID     string `json:"instance_id,omitempty"`
	InstanceStep   string `json:"instance_step,omitempty"`
	Port           int32  `json:"port"`
	AZ             string `json:"az"`
	// Name is the instance's readable name (its Name tag, e.g. web-1c-1), for people.
	Name string `json:"name,omitempty"`
	// Rollback, on a register_target of a rollout's new member, bounds its wait for health
	// and says what to do when the bound passes.
	Rollback *RollbackParams `json:"rollback,omitempty"`
}

// RollbackParams bound a new member's wait for health during a rollout.
type RollbackParams struct {
	// HealthTimeout is how long the new target may take to become healthy.
	HealthTimeout clock.Duration `json:"health_timeout"`
	// Auto: when the bound passes, deregister and terminate the new member (the old members
	// keep serving) before failing the step. Without it the step fails and the member stays.
	Auto bool `json:"auto"`
	// Fleet, in a rollout with gates (old members kept until it is done), makes the timeout
	// roll the whole fleet back as a tripped gate does (gates.go).
	Fleet *FleetRollback `json:"fleet,omitempty"`
}

// TerminateParams terminates one member that albctl launched (never a source). Before the
// call it waits until the instance is no longer draining in any of DrainFrom: a deregistered
// target keeps its in-flight requests for the target group's deregistration delay.
type TerminateParams struct {
	InstanceID string      `json:"instance_id"`
	Name       string      `json:"name,omitempty"` // readable name (Name tag), for people
	DrainFrom  []TargetRef `json:"drain_from,omitempty"`
}

// TargetRef names one registration of an instance.
type TargetRef struct {
	TargetGroupARN string `json:"target_group_arn"`
	Port           int32  `json:"port"`
}

// HealthCheckParams is ModifyTargetGroup with the health-check settings the spec gives; a nil
// field is left as it is.
type HealthCheckParams struct {
	TargetGroupARN     string  `json:"target_group_arn"`
	Path               *string `json:"path,omitempty"`
	IntervalSeconds    *int32  `json:"interval_seconds,omitempty"`
	TimeoutSeconds     *int32  `json:"timeout_seconds,omitempty"`
	HealthyThreshold   *int32  `json:"healthy_threshold,omitempty"`
	UnhealthyThreshold *int32  `json:"unhealthy_threshold,omitempty"`
	Matcher            *string `json:"matcher,omitempty"`
}

// WaitParams is a pause on the apply's clock.
type WaitParams struct {
	Duration clock.Duration `json:"duration"`
}

// SnapshotTagParams is CreateTags on the snapshots of an image albctl baked, with the
// image's tags. The engine tags only snapshots the image's block device mappings name, and
// only if the image still carries the stack's tag (docs/security.md, "Snapshots").
type SnapshotTagParams struct {
	ImageID     string            `json:"image_id"`
	ImageName   string            `json:"image_name"`
	SnapshotIDs []string          `json:"snapshot_ids"`
	Tags        map[string]string `json:"tags"`
}

// CleanupParams deregisters an image albctl baked and deletes its EBS snapshots.
type CleanupParams struct {
	ImageID     string   `json:"image_id"`
	ImageName   string   `json:"image_name"`
	SnapshotIDs []string `json:"snapshot_ids,omitempty"`
}
