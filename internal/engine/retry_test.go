package engine

import (
	"testing"
	"time"
)

// TestRetryTable: what is retried is decided by code, operation and what the engine knows of
// the resource, and for how long; everything else is permanent.
func TestRetryTable(t *testing.T) {
	t.Parallel()
	const prop = 5 * time.Minute
	newProfile := facts{ProfileKnown: true, ProfileAge: time.Minute}
	oldProfile := facts{ProfileKnown: true, ProfileAge: time.Hour}
	for _, c := range []struct {
		code, op string
		f        facts
		retry    bool
		bound    time.Duration
	}{
		{"RequestLimitExceeded", "RunInstances", facts{}, true, prop},
		{"Throttling", "RegisterTargets", facts{}, true, prop},
		{"ThrottlingException", "GetInstanceProfile", facts{}, true, prop},
		{"InternalError", "CreateImage", facts{}, true, prop},
		{"ServiceUnavailable", "DescribeTargetHealth", facts{}, true, prop},

		// Eventual consistency of what this apply just made, and only that.
		{"InvalidInstanceID.NotFound", "DescribeInstances", facts{Fresh: true}, true, prop},
		{"InvalidInstanceID.NotFound", "TerminateInstances", facts{}, false, 0},
		{"InvalidTarget", "RegisterTargets", facts{Fresh: true}, true, prop},
		{"InvalidTarget", "RegisterTargets", facts{}, false, 0}, // e.g. a stopped instance
		{"InvalidAMIID.NotFound", "DescribeImages", facts{Fresh: true}, true, prop},
		{"InvalidAMIID.NotFound", "RunInstances", facts{Fresh: true}, false, 0},
		{"InvalidSnapshot.InUse", "DeleteSnapshot", facts{Fresh: true}, true, prop},
		{"InvalidSnapshot.InUse", "DeleteSnapshot", facts{}, false, 0},

		// A profile IAM created a minute ago may not have reached EC2: retried for the rest
		// of the bound. An old profile, a missing one, or another operation: permanent.
		{"InvalidParameterValue", "RunInstances", newProfile, true, 4 * time.Minute},
		{"InvalidParameterValue", "AssociateIamInstanceProfile", newProfile, true, 4 * time.Minute},
		{"InvalidParameterValue", "RunInstances", oldProfile, false, 0},
		// A profile exactly as old as the bound has had its time: the error is the request's.
		{"InvalidParameterValue", "RunInstances", facts{ProfileKnown: true, ProfileAge: prop}, false, 0},
		{"InvalidParameterValue", "RunInstances", facts{}, false, 0},
		{"InvalidParameterValue", "ModifyTargetGroupAttributes", newProfile, false, 0},
		{"InvalidParameterValue", "RunInstances", facts{ProfileUnknown: true}, true, shortPropagation},
		// The same launch without the profile is refused too: the error is about another
		// parameter, however new the profile.
		{"InvalidParameterValue", "RunInstances", facts{ProfileKnown: true, ProfileAge: time.Minute, OthersRefused: true}, false, 0},
		{"InvalidParameterValue", "RunInstances", facts{ProfileUnknown: true, OthersRefused: true}, false, 0},

		{"InvalidAMIID.Unavailable", "RunInstances", facts{}, false, 0},
		{"InvalidAMIID.Malformed", "RunInstances", facts{}, false, 0},
		{"Unsupported", "RunInstances", facts{}, false, 0},
		{"InsufficientInstanceCapacity", "RunInstances", facts{}, false, 0},
		{"ValidationError", "ModifyTargetGroup", facts{}, false, 0},
		{"InvalidConfigurationRequest", "SetSubnets", facts{}, false, 0},
		{"IncorrectState", "AssociateIamInstanceProfile", facts{}, false, 0},
		{"", "RunInstances", facts{}, false, 0}, // not an AWS error at all
	} {
		retry, bound, why := retryable(c.code, c.op, c.f, prop)
		if retry != c.retry || bound != c.bound {
			t.Errorf("%s on %s with %+v: retry %v for %s, want %v for %s", c.code, c.op, c.f, retry, bound, c.retry, c.bound)
		}
		if retry && why == "" {
			t.Errorf("%s on %s: retried without a reason to show", c.code, c.op)
		}
	}
}
