// Package plan turns a desired Stack and an observed World into an ordered list of typed steps.
//
// Build is a pure function: no I/O, no clock, no randomness; the same inputs give the same plan
// byte for byte. A step's Reason is for people; the engine acts only on the typed fields.
// Rendering lives in the CLI, not here.
package plan

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

	Image      *ImageParams      `json:"image,omitempty"`
	Launch     *LaunchParams     `json:"launch,omitempty"`
	Associate  *AssociateParams  `json:"associate,omitempty"`
	Stickiness *StickinessParams `json:"stickiness,omitempty"`
	Zones      *ZonesParams      `json:"zones,omitempty"`
	Target     *TargetParams     `json:"target,omitempty"`
	Terminate  *TerminateParams  `json:"terminate,omitempty"`
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
}

// TargetParams registers or deregisters one instance. The instance is InstanceID when it
// existed at plan time, else the output of step InstanceStep.
type TargetParams struct {
	TargetGroupARN string `json:"target_group_arn"`
	InstanceID     string `json:"instance_id,omitempty"`
	InstanceStep   string `json:"instance_step,omitempty"`
	Port           int32  `json:"port"`
	AZ             string `json:"az"`
}

// TerminateParams terminates one member that albctl launched (never a source).
type TerminateParams struct {
	InstanceID string `json:"instance_id"`
}
