// Package simulator is an in-memory EC2 and ELBv2 (Application Load Balancer) that behaves
// like AWS: a drop-in for the aws-sdk-go-v2 clients, for rehearsing a change offline and for
// deterministic tests. It fails where AWS fails, with AWS's error codes as
// smithy.GenericAPIError values, and it waits where AWS waits, on a virtual clock. The
// contract is docs/aws-semantics.md: the simulator copies AWS, not moto.
//
// A World is the whole state (a JSON world file); New wraps it in a Sim, whose EC2 and
// ELBV2 satisfy cloud.EC2 and cloud.ELBV2, whose IAM serves GetInstanceProfile, and whose
// Clock satisfies clock.Clock. What the simulator models and where each behaviour comes
// from is in docs/simulator.md. Every call
// is counted (Calls) and may be made to fail by Faults (the world's, or a faults file read by
// LoadFaults): throttling by count or by rate in a window, a new instance that calls cannot
// see yet, an IAM instance profile that EC2 does not know yet, capacity shortages in a zone,
// images that fail, apps slow to boot.
//
// Traffic reports what clients would see at the clock's time, and StartClients runs a
// request-level client model (DNS with its TTL, stickiness cookies, sessions kept on one
// server) as the clock moves; its Report counts served requests, 502/503/504 and lost
// sessions per listener and interval. Both route as AWS does: a load balancer node reaches a
// target only if the target's security groups and both subnets' network ACLs allow it
// (reach.go), and fails open, answers 503 or leaves DNS as routing.go describes.
//
// What it must not do: read the wall clock, start goroutines, touch the network, or let map
// order reach any output. Time moves only through Clock.Sleep and Clock.Advance; every
// state change is computed lazily from timestamps against the clock ("settled") before a
// call is answered. New IDs are derived from the world's seed and counter (sha256), so the
// same world and the same calls give the same IDs and the same world file, byte for byte.
//
// # Timings
//
//	image pending -> available     4m0s + 0..60s (seeded per image); "failed" instead when a
//	                               world image rule says so; its snapshot completes with it
//	reboot for CreateImage         60s (NoReboot false, the default, on a running instance)
//	instance pending -> running    30s + 0..15s (seeded per instance)
//	shutting-down -> terminated    20s; the instance leaves the world 1h after termination
//	deregistered image             listed (state deregistered) for 1m, then not; by ID it is
//	                               an empty answer while an instance refers to it, else NotFound
//	Elb.RegistrationInProgress     10s after registration (or after the zone was enabled)
//	health checks                  every interval from the end of that period; one pass
//	                               makes an initial target healthy (so 40s by default)
//	draining                       deregistration_delay.timeout_seconds (default 300), then
//	                               the target is gone; terminating an instance drains its
//	                               targets from the moment TerminateInstances is called
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
//	within 10s of registration/zone enabled   initial    Elb.RegistrationInProgress
//	otherwise: the health-check state machine
//
// The state machine replays the target's checks (see checks in health.go): a check passes
// when the app answers a code the matcher accepts; it fails with Target.Timeout while the
// instance reboots or its app boots (App.BootTime) or when the app does not answer, and with
// Target.ResponseCodeMismatch ("Health checks failed with these codes: [500]") when it
// answers another code (a failing app, or 404 on a path other than App.HealthPath).
//
//	initial    one pass -> healthy; UnhealthyThresholdCount failures in a row -> unhealthy
//	healthy    UnhealthyThresholdCount failures in a row -> unhealthy (until then it is
//	           healthy, and the traffic model fails the requests it gets)
//	unhealthy  HealthyThresholdCount passes in a row -> healthy
//
// When what a target's checks see changes (a CreateImage reboot, ModifyTargetGroup), the
// simulator stores the machine's state as of the last check in the target's health_mark and
// replays from there, so the change takes effect from the next check and not retroactively.
//
// A target asked for by Targets that is not registered (or has finished draining) is unused,
// Target.NotRegistered.
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
//   - A health check's result is known at the instant of the check (AWS waits up to the
//     timeout for a Timeout). The first check comes one interval after the registration
//     period. A stopped instance's targets are unused/Target.InvalidState at once, as AWS
//     documents for that state; only a reboot or an app fails checks while still healthy.
//   - RunInstances places up to MaxCount instances when the subnet has addresses for at
//     least MinCount (else InsufficientFreeAddressesInSubnet). A DryRun runs every check
//     except capacity (InsufficientInstanceCapacity, a server fault), which AWS decides only
//     when it launches; it takes no number from the ID counter.
//   - DescribeInstanceTypeOfferings serves the location types region (the default) and
//     availability-zone; availability-zone-id and outpost are refused with
//     InvalidParameterValue. A zone is one of the world's subnets' zones.
//   - An image's root snapshot ID is derived from the image ID (it takes no number from the
//     counter). DeregisterImage of a deregistered image is InvalidAMIID.Unavailable; of an
//     image of another owner, AuthFailure (wording ours). A deregistered image stays in the
//     world for good, naming the snapshots it had even once they are deleted; the loader
//     accepts a missing snapshot for it alone (docs/simulator.md, "What a world file holds").
//   - ModifyTargetGroup: range errors are ValidationError in the API model's words; a timeout
//     not below the interval is ValidationError "Health check timeout 'T' must be smaller
//     than the interval 'I'" (as reported from AWS by users of terraform-provider-aws); a
//     path not beginning with / and a bad matcher are ValidationError, disabling checks or a
//     TCP health check on an HTTP group InvalidConfigurationRequest (wording ours).
//   - A terminated instance's ClientToken no longer matches once the instance has left the
//     world (an hour after termination).
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
//   - Deregistered images are invisible to RunInstances (NotFound) and do not hold their name.
//   - Throttling errors (and all others) carry smithy.FaultClient.
//   - CreateInstanceProfile is a test helper standing in for IAM; it is not counted in Calls.
package simulator
