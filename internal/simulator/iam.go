package simulator

import (
	"context"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// IAM is the simulated IAM client, over the world's instance profiles. Its methods have the
// signatures of *iam.Client's; the optFns are accepted and ignored. IAM knows a profile as
// soon as it exists; only EC2 waits for Faults.ProfilePropagationDelay.
type IAM struct{ s *Sim }

// IAM returns the simulated IAM client.
func (s *Sim) IAM() *IAM { return s.iam }

func iamThrottle() *smithy.GenericAPIError {
	return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
}

// profileNameRe is IAM's pattern for an instance profile name.
var profileNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)

// GetInstanceProfile describes an instance profile by name: NoSuchEntity if there is none.
func (c *IAM) GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, _ ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "GetInstanceProfile", iamThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	name := ""
	if in != nil {
		name = aws.ToString(in.InstanceProfileName)
	}
	if !profileNameRe.MatchString(name) {
		return nil, apiErr("ValidationError", "1 validation error detected: Value '%s' at 'instanceProfileName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
	}
	for _, p := range s.w.InstanceProfiles {
		if p.Name != name {
			continue
		}
		out := &iamtypes.InstanceProfile{
			Arn:                 aws.String(p.ARN),
			CreateDate:          aws.Time(p.CreatedAt),
			InstanceProfileId:   aws.String(p.ID),
			InstanceProfileName: aws.String(p.Name),
			Path:                aws.String(profilePath(p.ARN)),
			Roles:               []iamtypes.Role{},
		}
		return &iam.GetInstanceProfileOutput{InstanceProfile: out}, nil
	}
	return nil, apiErr("NoSuchEntity", "Instance Profile %s cannot be found.", name)
}

// profilePath is the path part of an instance profile ARN ("/" by default).
func profilePath(arn string) string {
	_, rest, _ := strings.Cut(arn, ":instance-profile/")
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		return "/" + rest[:i+1]
	}
	return "/"
}
