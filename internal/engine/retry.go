package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/internal/cloud"
)

// Which failed calls are worth repeating is decided by the AWS error code, the operation and
// what the engine knows about the resource, never by the message text: a message is for
// people and changes without notice. Everything not in retryRules is permanent and fails its
// step on the first call, with AWS's code and message (docs/apply.md, "Retries").

// condition narrows a rule to the cases where the error is eventual consistency rather than
// a fact about the request.
type condition int

const (
	always condition = iota
	// fresh: the resource the call names was created (or released) by this apply moments
	// ago, so another endpoint may not know it yet.
	fresh
	// newProfile: the step's IAM instance profile exists in IAM and was created less than
	// the propagation bound ago, so EC2 may not know it yet.
	newProfile
)

type retryRule struct {
	codes []string
	ops   []string // nil: any operation
	when  condition
	why   string
}

var retryRules = []retryRule{
	{codes: []string{"RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled"},
		why: "throttled"},
	{codes: []string{"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"},
		why: "an error on AWS's side"},
	{codes: []string{"InvalidInstanceID.NotFound"}, when: fresh,
		why: "a new instance is not visible to every call at once"},
	{codes: []string{"InvalidTarget"}, ops: []string{"RegisterTargets"}, when: fresh,
		why: "a new instance is not known to ELB at once"},
	{codes: []string{"InvalidAMIID.NotFound"}, ops: []string{"DescribeImages"}, when: fresh,
		why: "a new image is not visible to every call at once"},
	{codes: []string{"InvalidParameterValue"}, ops: []string{"RunInstances", "AssociateIamInstanceProfile"}, when: newProfile,
		why: "a new IAM instance profile takes a while to reach EC2"},
	{codes: []string{"InvalidSnapshot.InUse"}, ops: []string{"DeleteSnapshot"}, when: fresh,
		why: "the image just deregistered still holds its snapshot for a moment"},
}

// facts is what the engine knows about the resource a failed call named.
type facts struct {
	Fresh bool
	// ProfileAge is how long ago the step's instance profile was created, when IAM says
	// (ProfileKnown); ProfileUnknown is set when the engine could not ask IAM.
	ProfileKnown   bool
	ProfileAge     time.Duration
	ProfileUnknown bool
	// OthersRefused: EC2 refuses the same launch without its profile too (a DryRun), so an
	// InvalidParameterValue is about another parameter, however new the profile.
	OthersRefused bool
}

// shortPropagation bounds the retry of InvalidParameterValue on a launch whose profile the
// engine cannot look up (no IAM client): long enough for IAM's usual lag, short enough that
// a profile that does not exist fails in seconds, not minutes.
const shortPropagation = 30 * time.Second

// retryable returns whether a call op that failed with code is retried, and for how long at
// most from the first failure (0: use the propagation bound).
func retryable(code, op string, f facts, propagation time.Duration) (bool, time.Duration, string) {
	for _, r := range retryRules {
		if !slices.Contains(r.codes, code) || (r.ops != nil && !slices.Contains(r.ops, op)) {
			continue
		}
		switch r.when {
		case always:
			return true, propagation, r.why
		case fresh:
			if f.Fresh {
				return true, propagation, r.why
			}
		case newProfile:
			if f.OthersRefused {
				continue
			}
			if f.ProfileKnown && f.ProfileAge < propagation {
				return true, propagation - f.ProfileAge, r.why
			}
			if f.ProfileUnknown {
				return true, shortPropagation, r.why
			}
		}
	}
	return false, 0, ""
}

// retry turns a retryable error into another wait, bounded from the first of a run of
// failures; any other error fails the step at once, naming the operation.
func (r *runner) retry(ctx context.Context, t *task, op string, err error) (bool, string, error) {
	code := cloud.ErrorCode(err)
	f := facts{Fresh: t.fresh}
	if code == "InvalidParameterValue" && t.profile != "" {
		f = r.profileFacts(ctx, t, f)
		// Only a new (or unknowable) profile is worth a probe: with an old one the error is
		// permanent anyway.
		if op == "RunInstances" && t.probe != nil && ((f.ProfileKnown && f.ProfileAge < r.timeouts.Propagation) || f.ProfileUnknown) {
			if t.othersRefused == nil {
				refused := t.probe(ctx)
				t.othersRefused = &refused
			}
			f.OthersRefused = *t.othersRefused
		}
	}
	ok, bound, why := retryable(code, op, f, r.timeouts.Propagation)
	if !ok {
		return false, "", fmt.Errorf("%s: %w", op, err)
	}
	now := r.clock.Now()
	if t.retrySince.IsZero() {
		t.retrySince = now
	}
	t.retried = true
	if now.Sub(t.retrySince) > bound {
		return false, "", fmt.Errorf("%w: %s still answers %s after retrying for %s (%s): %w", ErrTimeout, op, code, bound, why, err)
	}
	msg := fmt.Sprintf("retrying %s after %s (%s)", op, code, why)
	r.emit(Event{Type: EventRetry, Step: t.step.ID, Kind: string(t.step.Kind), Message: msg, Error: err.Error()})
	return false, msg, nil
}

// profileFacts asks IAM, once per step, when the step's instance profile was created.
func (r *runner) profileFacts(ctx context.Context, t *task, f facts) facts {
	if t.profileCreated.IsZero() && !t.profileMissing && !t.profileUnknown {
		if r.api.IAM == nil {
			t.profileUnknown = true
		} else {
			out, err := r.api.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(cloud.ProfileName(t.profile))})
			switch {
			case cloud.ErrorCode(err) == "NoSuchEntity":
				t.profileMissing = true
			case err != nil || out.InstanceProfile == nil || out.InstanceProfile.CreateDate == nil:
				t.profileUnknown = true
			default:
				t.profileCreated = *out.InstanceProfile.CreateDate
			}
		}
	}
	switch {
	case t.profileUnknown:
		f.ProfileUnknown = true
	case !t.profileCreated.IsZero():
		f.ProfileKnown, f.ProfileAge = true, r.clock.Now().Sub(t.profileCreated)
	}
	return f
}
