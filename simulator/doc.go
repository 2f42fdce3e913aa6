// Package simulator is an in-memory EC2 and ELBv2 (Application Load Balancer) that behaves
// like AWS: a drop-in for the aws-sdk-go-v2 clients, for rehearsing a change offline and for
// deterministic tests. It fails where AWS fails, with AWS's error codes as
// smithy.GenericAPIError values, and it waits where AWS waits, on a virtual clock. The
// contract is docs/aws-semantics.md: the simulator copies AWS, not moto.
//
// A World is the whole state (a JSON world file); New wraps it in a Sim, whose EC2 and
// ELBV2 satisfy cloud.EC2 and cloud.ELBV2 and whose Clock satisfies engine.Clock. Every call
// is counted (Calls) and may be made to fail by Faults: throttling, a new instance that
// calls cannot see yet, an IAM instance profile that EC2 does not know yet.
//
// What it must not do: read the wall clock, start goroutines, touch the network, or let map
// order reach any output. Time moves only through Clock.Sleep and Clock.Advance; every
// state change is computed lazily from timestamps against the clock ("settled") before a
// call is answered. New IDs are derived from the world's seed and counter (sha256), so the
// same world and the same calls give the same IDs and the same world file, byte for byte.
//
// # Timings
//
//	image pending -> available     4m0s + 0..60s (seeded per image)
//	reboot for CreateImage         60s (NoReboot false, the default, on a running instance)
//	instance pending -> running    30s + 0..15s (seeded per instance)
//	shutting-down -> terminated    20s; terminated instances stay visible for ever
//	Elb.RegistrationInProgress     10s after registration (or after the zone was enabled)
//	target initial -> healthy      healthy_threshold x interval (default 5 x 30s = 150s) after
//	                               the latest of: registration, instance running, zone
//	                               enabled on the load balancer, end of the last reboot
//	draining                       deregistration_delay.timeout_seconds (default 300), then
//	                               the target is gone
//	IAM profile association        complete at once (AWS: associating -> associated)
//
// # Target health decision table
//
// DescribeTargetHealth answers, first match wins:
//
//	deregistered, delay not over              draining   Target.DeregistrationInProgress
//	no listener forwards to the target group  unused     Target.NotInUse
//	instance not running                      unused     Target.InvalidState
//	instance's AZ enabled on no load balancer
//	  whose listener uses the target group    unused     Target.NotInUse
//	instance rebooting (CreateImage)          unhealthy  Target.Timeout
//	within 10s of registration/zone enabled   initial    Elb.RegistrationInProgress
//	before healthy_threshold x interval       initial    Elb.InitialHealthChecking
//	otherwise                                 healthy
//
// A target asked for by Targets that is not registered (or has finished draining) is unused,
// Target.NotRegistered. Health checks always pass: the simulated application is healthy.
//
// # Decisions on points docs/aws-semantics.md marks unverified (or does not cover)
//
//   - SetSubnets with fewer than two AZs answers ValidationError "At least two subnets in two
//     different Availability Zones must be specified", the CreateLoadBalancer wording; it is
//     unverified that SetSubnets says the same. An unknown subnet is SubnetNotFound; a subnet
//     of another VPC is InvalidConfigurationRequest (wording ours).
//   - Out-of-range or malformed target group attribute values are InvalidConfigurationRequest
//     (wording ours). Stickiness with load_balancing.cross_zone.enabled=false is refused with
//     InvalidConfigurationRequest. Besides the stickiness, deregistration, slow start and
//     algorithm attributes, the target_group_health.* and anomaly_mitigation attributes exist
//     with AWS's defaults, since an ALB target group lists them.
//   - A target group that no listener uses reports its targets unused/Target.NotInUse.
//   - A rebooting instance's targets are unhealthy/Target.Timeout for the whole reboot (AWS
//     would need unhealthy_threshold failed checks first; being pessimistic is the point:
//     the reboot is an outage), then initial/Elb.InitialHealthChecking until healthy.
//   - RegisterTargets: at most MaxTargetsPerGroup (1000) targets per target group, draining
//     ones not counted, else TooManyTargets. An unknown instance, or one in another VPC, is
//     InvalidTarget (wording ours). Registering a draining target registers it afresh.
//   - DeregisterTargets of a target that is not registered succeeds and does nothing.
//   - AssociateIamInstanceProfile answers the association as "associating" (as AWS does) but
//     the profile shows on the instance at once; there is no associating period.
//   - RunInstances ClientToken: scoped per Availability Zone (the zone of the subnet). The
//     same token and the same parameters return the original reservation (in its current
//     state) and launch nothing; different parameters are IdempotentParameterMismatch. An
//     instance from a world without a recorded request digest matches any repeat.
//   - RunInstances without SubnetId uses the default VPC's subnet (in Placement's zone),
//     else VPCIdNotSpecified. Key pairs are not modelled: any KeyName is accepted.
//   - An unknown profile given by Arn is InvalidParameterValue "Value (ARN) for parameter
//     iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN"; by Name, the
//     ...name... message that docs/aws-semantics.md gives.
//   - MaxResults ranges: DescribeInstances, DescribeSubnets, DescribeVpcs,
//     DescribeSecurityGroups 5-1000; DescribeImages 1-1000. ELBv2 PageSize 1-400. Page
//     tokens are opaque; a bad one is InvalidPaginationToken (EC2) or ValidationError (ELBv2).
//   - Deregistered images are invisible to DescribeImages and RunInstances (NotFound) and do
//     not hold their name.
//   - Throttling errors (and all others) carry smithy.FaultClient.
//   - CreateInstanceProfile is a test helper standing in for IAM; it is not counted in Calls.
package simulator
