package cloud

import "time"

// Tag keys that albctl writes on what it creates, so that a later plan finds it again without
// any state file: the cloud is the source of truth.
const (
	TagStack        = "albctl:stack"         // the target group name the fleet serves
	TagFleet        = "albctl:fleet"         // the fleet block's label
	TagImageVersion = "albctl:image-version" // image.version of the spec that made it
	TagSlot         = "albctl:slot"          // "<az>/<n>": which zone slot a member fills
)

// World is what exists now, as far as one stack is concerned. Slices are sorted by ID (or name
// for named things) so that a World renders and hashes the same every time.
type World struct {
	Instances     []Instance     `json:"instances"`
	Images        []Image        `json:"images"`
	Subnets       []Subnet       `json:"subnets"`
	TargetGroups  []TargetGroup  `json:"target_groups"`
	LoadBalancers []LoadBalancer `json:"load_balancers"`
	// Region is the region the world was read in (the simulator world's, or the SDK
	// client's). The caller of Observe sets it; a spec for another region is a plan error.
	Region string `json:"region,omitempty"`
	// InstanceProfiles are the IAM instance profiles the stack names, as IAM knows them
	// (a profile the stack names and IAM does not know is listed in Missing).
	InstanceProfiles []InstanceProfile `json:"instance_profiles,omitempty"`
	// Offerings are the (instance type, AZ) pairs EC2 offers, for the types and zones the
	// stack launches into. OfferingsRead is false when they were not read (nothing to launch
	// was knowable), so an empty list is not mistaken for "offered nowhere".
	Offerings     []Offering `json:"offerings,omitempty"`
	OfferingsRead bool       `json:"offerings_read,omitempty"`
	// Missing names what the stack refers to and Observe did not find (by the spec's words,
	// e.g. "instance web", "target group web-tg"). Absence is part of the world: a plan made
	// while something was missing is stale once it exists.
	Missing []string `json:"missing,omitempty"`
	// SecurityGroups and NetworkACLs are the rules between the load balancers' nodes and
	// the targets: the groups of the stack's load balancers and instances (and the groups
	// their rules name, transitively, when the account holds them), and the ACLs of the
	// VPCs whose subnets are read (so every subnet in Subnets has its ACL here, a zone or
	// member to be added included). NetworkRead is false when they were
	// not read, so that "no rules" is not mistaken for "admits nothing" (docs/design.md,
	// "Reachability").
	SecurityGroups []SecurityGroup `json:"security_groups,omitempty"`
	NetworkACLs    []NetworkACL    `json:"network_acls,omitempty"`
	NetworkRead    bool            `json:"network_read,omitempty"`
	// VPCs are read by ReadRegion only (a copy of the account needs them; a plan does not).
	VPCs []VPC `json:"vpcs,omitempty"`
	// Alarms are the CloudWatch alarms the stack's gates name that the account has (names
	// only, sorted); AlarmsRead is false when none was asked, so that an empty list is not
	// mistaken for "the account has none" (docs/plans.md, "Gates, checkpoints and rollback").
	Alarms     []string `json:"alarms,omitempty"`
	AlarmsRead bool     `json:"alarms_read,omitempty"`
	// Snapshots are, for a plan, those of the images albctl baked for the stack's fleets
	// (their tags say which ones albctl may delete: docs/security.md); for ReadRegion, those
	// of every image read.
	Snapshots []Snapshot `json:"snapshots,omitempty"`
}

// VPC is a virtual private cloud.
type VPC struct {
	ID        string            `json:"id"`
	CIDR      string            `json:"cidr"`
	IsDefault bool              `json:"is_default,omitempty"`
	OwnerID   string            `json:"owner_id,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Snapshot is an EBS snapshot (of an image's block device).
type Snapshot struct {
	ID          string            `json:"id"`
	State       string            `json:"state"`
	VolumeSize  int32             `json:"volume_size"`
	Description string            `json:"description,omitempty"`
	Started     time.Time         `json:"started,omitzero"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// SecurityGroup is an EC2 security group with its inbound and outbound rules.
type SecurityGroup struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	VpcID       string            `json:"vpc_id"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Ingress     []SGRule          `json:"ingress"`
	Egress      []SGRule          `json:"egress"`
}

// SGRule is one rule of a security group as EC2 reports it (one IpPermission): Protocol is
// "tcp", "udp", "icmp", "icmpv6", "-1" (every protocol, every port) or a protocol number;
// FromPort..ToPort is the port range (both -1 or 0 for "-1"). A rule admits the CIDR blocks
// (IPv4 and IPv6), members of the referenced groups and the prefix lists it names.
type SGRule struct {
	Protocol    string   `json:"protocol"`
	FromPort    int32    `json:"from_port"`
	ToPort      int32    `json:"to_port"`
	CIDRs       []string `json:"cidrs,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	PrefixLists []string `json:"prefix_lists,omitempty"`
}

// NetworkACL is a VPC network ACL and the subnets associated with it.
type NetworkACL struct {
	ID        string            `json:"id"`
	VpcID     string            `json:"vpc_id"`
	IsDefault bool              `json:"is_default,omitempty"`
	Subnets   []string          `json:"subnets,omitempty"` // sorted
	Entries   []ACLEntry        `json:"entries"`           // sorted by Egress, then Number
	Tags      map[string]string `json:"tags,omitempty"`
}

// ACLEntry is one numbered rule of a network ACL. Rules of one direction are evaluated in
// ascending Number; the first that matches decides; what none matches is denied (rule 32767,
// "*", which EC2 reports and albctl keeps).
type ACLEntry struct {
	Number   int32  `json:"number"`
	Egress   bool   `json:"egress,omitempty"`
	Protocol string `json:"protocol"` // "-1", "6" (tcp), "17" (udp), ...
	FromPort int32  `json:"from_port,omitempty"`
	ToPort   int32  `json:"to_port,omitempty"`
	CIDR     string `json:"cidr"`   // IPv4 or IPv6 block
	Action   string `json:"action"` // allow or deny
}

// Instance is an EC2 instance that is a fleet's source, a fleet member, or a registered target.
type Instance struct {
	ID               string            `json:"id"`
	State            string            `json:"state"` // pending, running, shutting-down, terminated, stopping, stopped
	AZ               string            `json:"az"`
	SubnetID         string            `json:"subnet_id"`
	VpcID            string            `json:"vpc_id"`
	ImageID          string            `json:"image_id"`
	InstanceType     string            `json:"instance_type"`
	KeyName          string            `json:"key_name,omitempty"`
	IAMProfileARN    string            `json:"iam_instance_profile_arn,omitempty"`
	SecurityGroupIDs []string          `json:"security_group_ids,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	LaunchTime       time.Time         `json:"launch_time"`
	// LaunchIndex, ReservationID, ClientToken and OwnerID are read for a copy of the
	// account (ReadRegion); a plan does not use them.
	LaunchIndex   int32  `json:"launch_index,omitempty"`
	ReservationID string `json:"reservation_id,omitempty"`
	ClientToken   string `json:"client_token,omitempty"`
	OwnerID       string `json:"owner_id,omitempty"`
}

// Image is an AMI: one the stack names (by name or ID), or one albctl baked for a fleet
// (tagged), or the image a member runs.
type Image struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	State       string            `json:"state"` // pending, available, failed, ...
	Tags        map[string]string `json:"tags,omitempty"`
	Created     time.Time         `json:"created,omitzero"`
	SnapshotIDs []string          `json:"snapshot_ids,omitempty"` // EBS snapshots of its block devices, sorted
	OwnerID     string            `json:"owner_id,omitempty"`
	Description string            `json:"description,omitempty"`
}

// InstanceProfile is an IAM instance profile.
type InstanceProfile struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// ID and Created are read for a copy of the account (ReadRegion).
	ID      string    `json:"id,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// Offering says that EC2 offers an instance type in an Availability Zone.
type Offering struct {
	InstanceType string `json:"instance_type"`
	AZ           string `json:"az"`
}

// Subnet is a subnet in a VPC the stack touches.
type Subnet struct {
	ID    string            `json:"id"`
	AZ    string            `json:"az"`
	VpcID string            `json:"vpc_id"`
	Tags  map[string]string `json:"tags,omitempty"`
	// AvailableIPs is DescribeSubnets' AvailableIpAddressCount: launches beyond it fail.
	AvailableIPs int32 `json:"available_ips"`
	// CIDR is the subnet's IPv4 block: network ACL and security group rules name addresses.
	CIDR string `json:"cidr,omitempty"`
}

// TargetGroup is an ELBv2 target group with its attributes and the health of its targets.
type TargetGroup struct {
	ARN              string            `json:"arn"`
	Name             string            `json:"name"`
	VpcID            string            `json:"vpc_id"`
	Protocol         string            `json:"protocol"`
	Port             int32             `json:"port"`
	HealthCheck      HealthCheck       `json:"health_check"`
	Attributes       map[string]string `json:"attributes"`
	Targets          []Target          `json:"targets"` // sorted by ID, then port
	LoadBalancerARNs []string          `json:"load_balancer_arns"`
	TargetType       string            `json:"target_type,omitempty"` // instance, ip, lambda, alb
}

// HealthCheck is a target group's health-check settings.
type HealthCheck struct {
	Path               string `json:"path"`
	IntervalSeconds    int32  `json:"interval_seconds"`
	TimeoutSeconds     int32  `json:"timeout_seconds"`
	HealthyThreshold   int32  `json:"healthy_threshold"`
	UnhealthyThreshold int32  `json:"unhealthy_threshold"`
	Matcher            string `json:"matcher"`
	// Protocol and Port are where the checks go: Port is "traffic-port" or a number.
	Protocol string `json:"protocol,omitempty"`
	Port     string `json:"port,omitempty"`
}

// Target is one registered target and its health as DescribeTargetHealth reports it.
type Target struct {
	ID     string `json:"id"`
	Port   int32  `json:"port"`
	State  string `json:"state"` // initial, healthy, unhealthy, unused, draining, unavailable
	Reason string `json:"reason,omitempty"`
	// Description is DescribeTargetHealth's text, e.g. "Health checks failed with these
	// codes: [500]" (the copy of an account turns it into an app that answers that code).
	Description string `json:"description,omitempty"`
}

// LoadBalancer is an ALB and the zones (one subnet each) it is enabled in.
type LoadBalancer struct {
	ARN   string   `json:"arn"`
	Name  string   `json:"name"`
	VpcID string   `json:"vpc_id"`
	State string   `json:"state"`
	Zones []LBZone `json:"zones"` // sorted by AZ
	// SecurityGroups are the load balancer's groups: its nodes connect to targets from them.
	SecurityGroups []string `json:"security_groups,omitempty"`
	// Attributes are DescribeLoadBalancerAttributes' keys and values.
	Attributes map[string]string `json:"attributes,omitempty"`
	// Listeners are the load balancer's listeners, sorted by port.
	Listeners []Listener `json:"listeners,omitempty"`
	// Type, Scheme, DNSName and Created are read for a copy of the account (ReadRegion).
	Type    string    `json:"type,omitempty"`
	Scheme  string    `json:"scheme,omitempty"`
	DNSName string    `json:"dns_name,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// Listener is a load balancer listener and the target group its default action forwards to
// ("" when the default action is not a plain forward to one group).
type Listener struct {
	ARN            string `json:"arn"`
	Port           int32  `json:"port"`
	Protocol       string `json:"protocol"`
	TargetGroupARN string `json:"target_group_arn,omitempty"`
}

// LBZone is one enabled Availability Zone of a load balancer.
type LBZone struct {
	AZ       string `json:"az"`
	SubnetID string `json:"subnet_id"`
}
