package cloud

// Query is what Observe reads for: the names a stack gives, built on the planner's side
// (plan.QueryOf) so that this package does not know the spec's shape.
type Query struct {
	TargetGroups  []string // target group names
	LoadBalancers []string // load balancer names
	Fleets        []FleetQuery
	// Alarms are the CloudWatch alarm names the rollouts' gates watch.
	Alarms []string
}

// FleetQuery is what Observe needs of one fleet.
type FleetQuery struct {
	Label string
	// Source is an instance ID or the value of the source's Name tag; with SourcePattern, a
	// Name tag pattern with EC2's wildcards (the spec's source_pattern).
	Source        string
	SourcePattern bool
	// TargetGroup is the name of the target group the fleet serves ("" when the spec's label
	// names none: plan reports that).
	TargetGroup string
	// ImageName and ImageID are the image the spec names (one of them).
	ImageName, ImageID string
	// InstanceProfile is as the spec gives it: "inherit", a name or an ARN.
	InstanceProfile string
	// InstanceType is the type of new members; "" means the source's.
	InstanceType string
	// Zones are the Availability Zones the fleet launches into.
	Zones []string
}
