package simulator

import (
	"context"
	"regexp"
	"slices"
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
		out := profileOf(p)
		return &iam.GetInstanceProfileOutput{InstanceProfile: &out}, nil
	}
	return nil, apiErr("NoSuchEntity", "Instance Profile %s cannot be found.", name)
}

// profileOf is a world's instance profile as IAM describes it. The simulator keeps no roles.
func profileOf(p InstanceProfile) iamtypes.InstanceProfile {
	return iamtypes.InstanceProfile{
		Arn:                 aws.String(p.ARN),
		CreateDate:          aws.Time(p.CreatedAt),
		InstanceProfileId:   aws.String(p.ID),
		InstanceProfileName: aws.String(p.Name),
		Path:                aws.String(profilePath(p.ARN)),
		Roles:               []iamtypes.Role{},
	}
}

// ListInstanceProfiles lists the instance profiles whose path starts with PathPrefix (all by
// default), in name order, MaxItems (1–1000, default 100) at a time; Marker is the name of the
// last profile of the previous page, so a page is the same however the world changed since.
// IAM API Reference, "ListInstanceProfiles".
func (c *IAM) ListInstanceProfiles(ctx context.Context, in *iam.ListInstanceProfilesInput, _ ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "ListInstanceProfiles", iamThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &iam.ListInstanceProfilesInput{}
	}
	limit := aws.ToInt32(in.MaxItems)
	if in.MaxItems == nil {
		limit = 100
	}
	if limit < 1 || limit > 1000 {
		return nil, apiErr("ValidationError", "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", limit)
	}
	prefix, after := aws.ToString(in.PathPrefix), aws.ToString(in.Marker)
	if prefix == "" {
		prefix = "/"
	}
	var names []string
	byName := map[string]InstanceProfile{}
	for _, p := range s.w.InstanceProfiles {
		if strings.HasPrefix(profilePath(p.ARN), prefix) && p.Name > after {
			names = append(names, p.Name)
			byName[p.Name] = p
		}
	}
	slices.Sort(names)
	out := &iam.ListInstanceProfilesOutput{InstanceProfiles: []iamtypes.InstanceProfile{}}
	for _, n := range names {
		if len(out.InstanceProfiles) == int(limit) {
			out.IsTruncated, out.Marker = true, aws.String(aws.ToString(out.InstanceProfiles[limit-1].InstanceProfileName))
			break
		}
		out.InstanceProfiles = append(out.InstanceProfiles, profileOf(byName[n]))
	}
	return out, nil
}

// profilePath is the path part of an instance profile ARN ("/" by default).
func profilePath(arn string) string {
	_, rest, _ := strings.Cut(arn, ":instance-profile/")
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		return "/" + rest[:i+1]
	}
	return "/"
}
