package simulator

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// tagsFor collects the tags of TagSpecifications for resource type want, refusing resource
// types not in allowed.
func tagsFor(specs []ec2types.TagSpecification, allowed []ec2types.ResourceType, want ec2types.ResourceType) ([]ec2types.Tag, error) {
	var out []ec2types.Tag
	for _, sp := range specs {
		if !slices.Contains(allowed, sp.ResourceType) {
			return nil, apiErr("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", sp.ResourceType)
		}
		if err := checkTags(sp.Tags); err != nil {
			return nil, err
		}
		if sp.ResourceType == want {
			out = append(out, sp.Tags...)
		}
	}
	return out, nil
}

// CreateTags adds or overwrites tags on instances, images, subnets, VPCs and security
// groups. Every resource must exist; nothing is tagged unless all are.
func (c *EC2) CreateTags(ctx context.Context, in *ec2.CreateTagsInput, _ ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "CreateTags", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil || len(in.Resources) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter ResourceId")
	}
	if len(in.Tags) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter Tag")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	var targets []*map[string]string
	for _, id := range in.Resources {
		var m *map[string]string
		switch {
		case strings.HasPrefix(id, "i-"):
			insts, err := s.checkInstanceIDs([]string{id})
			if err != nil {
				return nil, err
			}
			m = &insts[0].Tags
		case strings.HasPrefix(id, "ami-"):
			if !imageIDRe.MatchString(id) {
				return nil, apiErr("InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", id)
			}
			im := s.image(id)
			if im == nil {
				return nil, apiErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
			}
			m = &im.Tags
		case strings.HasPrefix(id, "snap-"):
			sn := s.snapshot(id)
			if sn == nil {
				return nil, apiErr("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
			}
			m = &sn.Tags
		case strings.HasPrefix(id, "subnet-"):
			sn := s.subnet(id)
			if sn == nil {
				return nil, apiErr("InvalidSubnetID.NotFound", "%s", notExist("subnet", []string{id}))
			}
			m = &sn.Tags
		case strings.HasPrefix(id, "vpc-"):
			v := s.vpc(id)
			if v == nil {
				return nil, apiErr("InvalidVpcID.NotFound", "%s", notExist("vpc", []string{id}))
			}
			m = &v.Tags
		case strings.HasPrefix(id, "sg-"):
			g := s.securityGroup(id)
			if g == nil {
				return nil, apiErr("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
			}
			m = &g.Tags
		default:
			return nil, apiErr("InvalidID", "The ID '%s' is not valid", id)
		}
		if _, err := mergeTags(*m, in.Tags); err != nil {
			return nil, err
		}
		targets = append(targets, m)
	}
	for _, m := range targets {
		*m, _ = mergeTags(*m, in.Tags)
	}
	return &ec2.CreateTagsOutput{}, nil
}
