package simulator

import "time"

// How long things take in the simulator. Jitters are derived from the seed and the resource
// ID, so they are the same on every run. See the package documentation for the reasons.
const (
	// ImagePending is how long a new image stays pending, plus 0..ImageJitter.
	ImagePending = 4 * time.Minute
	ImageJitter  = 60 * time.Second
	// Reboot is how long the reboot for CreateImage (NoReboot false) lasts.
	Reboot = 60 * time.Second
	// InstancePending is how long a new instance stays pending, plus 0..InstanceJitter.
	InstancePending = 30 * time.Second
	InstanceJitter  = 15 * time.Second
	// ShuttingDown is how long a terminated instance stays shutting-down.
	ShuttingDown = 20 * time.Second
	// TerminatedVisible is how long a terminated instance stays in DescribeInstances.
	TerminatedVisible = time.Hour
	// DeregisteredVisible is how long DescribeImages still lists a deregistered image.
	DeregisteredVisible = time.Minute
	// RegistrationInProgress is how long a new target (or a target in a newly enabled zone)
	// reports Elb.RegistrationInProgress before Elb.InitialHealthChecking.
	RegistrationInProgress = 10 * time.Second
)

// MaxTargetsPerGroup is the most targets one target group holds (AWS's default quota for
// targets per target group); draining targets do not count.
const MaxTargetsPerGroup = 1000
