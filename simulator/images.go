package simulator

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func (s *Sim) image(id string) *Image {
	for i := range s.w.Images {
		if s.w.Images[i].ID == id && s.w.Images[i].State != "deregistered" {
			return &s.w.Images[i]
		}
	}
	return nil
}

func imageFields(im *Image) fields {
	return fields{
		"image-id":    one(im.ID),
		"name":        one(im.Name),
		"state":       one(im.State),
		"owner-id":    one(im.Owner),
		"description": one(im.Description),
		"image-type":  one("machine"),
		"is-public":   one("false"),
	}
}

func (s *Sim) describeImage(im *Image) ec2types.Image {
	out := ec2types.Image{
		ImageId:            aws.String(im.ID),
		Name:               aws.String(im.Name),
		State:              ec2types.ImageState(im.State),
		OwnerId:            aws.String(im.Owner),
		CreationDate:       aws.String(im.CreatedAt.Format("2006-01-02T15:04:05.000Z")),
		Architecture:       ec2types.ArchitectureValuesX8664,
		ImageType:          ec2types.ImageTypeValuesMachine,
		Hypervisor:         ec2types.HypervisorTypeXen,
		RootDeviceName:     aws.String("/dev/xvda"),
		RootDeviceType:     ec2types.DeviceTypeEbs,
		VirtualizationType: ec2types.VirtualizationTypeHvm,
		Public:             aws.Bool(false),
		Tags:               ec2Tags(im.Tags),
	}
	if im.Description != "" {
		out.Description = aws.String(im.Description)
	}
	if im.SourceInstance != "" {
		out.SourceInstanceId = aws.String(im.SourceInstance)
	}
	if im.State == "failed" {
		out.StateReason = &ec2types.StateReason{Code: aws.String("Client.ImageCreationFailed"), Message: aws.String("Client.ImageCreationFailed: image creation failed")}
	}
	return out
}

// DescribeImages lists images by ID, owner and filter. Deregistered images are not shown.
func (c *EC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeImages", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &ec2.DescribeImagesInput{}
	}
	if in.MaxResults != nil && len(in.ImageIds) > 0 {
		return nil, apiErr("InvalidParameterCombination", "The parameter ImageIds cannot be used with the parameter MaxResults")
	}
	var list []*Image
	if len(in.ImageIds) > 0 {
		var missing []string
		for _, id := range in.ImageIds {
			if !imageIDRe.MatchString(id) {
				return nil, apiErr("InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", id)
			}
		}
		for _, id := range in.ImageIds {
			im := s.image(id)
			if im == nil {
				missing = append(missing, id)
			} else if !slices.Contains(list, im) {
				list = append(list, im)
			}
		}
		if len(missing) > 0 {
			if len(missing) == 1 {
				return nil, apiErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", missing[0])
			}
			return nil, apiErr("InvalidAMIID.NotFound", "The image ids '[%s]' do not exist", strings.Join(missing, ", "))
		}
	} else {
		for i := range s.w.Images {
			if s.w.Images[i].State != "deregistered" {
				list = append(list, &s.w.Images[i])
			}
		}
	}
	var kept []*Image
	for _, im := range list {
		if len(in.Owners) > 0 && !slices.ContainsFunc(in.Owners, func(o string) bool {
			return o == im.Owner || (o == "self" && im.Owner == s.w.AccountID)
		}) {
			continue
		}
		ok, err := matchFilters(in.Filters, imageFields(im).get, im.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, im)
		}
	}
	slices.SortFunc(kept, func(a, b *Image) int { return strings.Compare(a.ID, b.ID) })
	start, end, next, err := ec2Page(len(kept), in.MaxResults, in.NextToken, 1)
	if err != nil {
		return nil, err
	}
	out := &ec2.DescribeImagesOutput{NextToken: next, Images: []ec2types.Image{}}
	for _, im := range kept[start:end] {
		out.Images = append(out.Images, s.describeImage(im))
	}
	return out, nil
}

// CreateImage starts an AMI of an instance. Unless NoReboot is true, a running instance is
// rebooted first (see the package documentation for what its targets report meanwhile).
func (c *EC2) CreateImage(ctx context.Context, in *ec2.CreateImageInput, _ ...func(*ec2.Options)) (*ec2.CreateImageOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "CreateImage", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil || in.InstanceId == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter InstanceId")
	}
	if in.Name == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter Name")
	}
	name := aws.ToString(in.Name)
	if !amiNameRe.MatchString(name) {
		return nil, apiErr("InvalidAMIName.Malformed", "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/', '_', '[', ']', ' ', '@' and '''")
	}
	insts, err := s.checkInstanceIDs([]string{aws.ToString(in.InstanceId)})
	if err != nil {
		return nil, err
	}
	inst := insts[0]
	if inst.State != "running" && inst.State != "stopped" {
		return nil, apiErr("IncorrectState", "The instance '%s' is not in a state from which it can be imaged (%s).", inst.ID, inst.State)
	}
	for _, im := range s.w.Images {
		if im.Name == name && im.Owner == s.w.AccountID && im.State != "deregistered" {
			return nil, apiErr("InvalidAMIName.Duplicate", "AMI name %s is already in use by AMI %s", name, im.ID)
		}
	}
	tags, err := tagsFor(in.TagSpecifications, []ec2types.ResourceType{ec2types.ResourceTypeImage, ec2types.ResourceTypeSnapshot}, ec2types.ResourceTypeImage)
	if err != nil {
		return nil, err
	}
	tagMap, err := mergeTags(nil, tags)
	if err != nil {
		return nil, err
	}
	now := s.w.Now
	id := s.newID("ami")
	s.w.Images = append(s.w.Images, Image{
		ID:             id,
		Name:           name,
		State:          "pending",
		Owner:          s.w.AccountID,
		Description:    aws.ToString(in.Description),
		SourceInstance: inst.ID,
		CreatedAt:      now,
		AvailableAt:    now.Add(ImagePending + s.jitter(id, ImageJitter)),
		Tags:           tagMap,
	})
	if inst.State == "running" && !aws.ToBool(in.NoReboot) {
		inst.RebootAt = now
		inst.RebootUntil = now.Add(Reboot)
	}
	s.w.normalize()
	return &ec2.CreateImageOutput{ImageId: aws.String(id)}, nil
}
