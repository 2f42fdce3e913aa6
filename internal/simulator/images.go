package simulator

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/cloud"
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
		r := StateReason{Code: "Client.ImageCreationFailed", Message: "Client.ImageCreationFailed: image creation failed"}
		if im.Fail != nil {
			r = *im.Fail
		}
		out.StateReason = &ec2types.StateReason{Code: aws.String(r.Code), Message: aws.String(r.Message)}
	}
	for i, id := range im.Snapshots {
		dev := "/dev/xvda"
		if i > 0 {
			dev = fmt.Sprintf("/dev/sd%c", 'a'+i)
		}
		size := int32(rootVolumeGiB)
		if sn := s.snapshot(id); sn != nil {
			size = sn.VolumeSize
		}
		out.BlockDeviceMappings = append(out.BlockDeviceMappings, ec2types.BlockDeviceMapping{
			DeviceName: aws.String(dev),
			Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String(id), VolumeSize: aws.Int32(size), VolumeType: ec2types.VolumeTypeGp3,
				DeleteOnTermination: aws.Bool(true), Encrypted: aws.Bool(false)},
		})
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
			i := slices.IndexFunc(s.w.Images, func(im Image) bool { return im.ID == id })
			switch {
			case i < 0:
				missing = append(missing, id)
			case s.imageListed(&s.w.Images[i]):
				if im := &s.w.Images[i]; !slices.Contains(list, im) {
					list = append(list, im)
				}
			case !s.imageInUse(id):
				// Long deregistered and no instance refers to it: it is gone.
				missing = append(missing, id)
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
			if s.imageListed(&s.w.Images[i]) {
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
	tagMap, err := imageTags(in.TagSpecifications, ec2types.ResourceTypeImage)
	if err != nil {
		return nil, err
	}
	snapTagMap, err := imageTags(in.TagSpecifications, ec2types.ResourceTypeSnapshot)
	if err != nil {
		return nil, err
	}
	if aws.ToBool(in.DryRun) {
		return nil, errDryRun()
	}
	now := s.w.Now
	id := s.newID("ami")
	im := Image{
		ID:             id,
		Name:           name,
		State:          "pending",
		Owner:          s.w.AccountID,
		Description:    aws.ToString(in.Description),
		SourceInstance: inst.ID,
		CreatedAt:      now,
		AvailableAt:    now.Add(ImagePending + s.jitter(id, ImageJitter)),
		Tags:           tagMap,
		App:            inst.App.clone(),
	}
	s.applyBehaviour(&im)
	if r := s.imageFault(name); r != nil {
		im.Fail = r
	}
	// The snapshot's ID is derived from the image's, so that it takes no number from the
	// counter: IDs handed out after it stay what they were before snapshots were modelled.
	snap := Snapshot{
		ID: "snap-" + s.derivedHex("snap", id, 17), State: "pending", VolumeSize: rootVolumeGiB,
		Description: fmt.Sprintf("Created by CreateImage(%s) for %s", inst.ID, id),
		CreatedAt:   now, CompletedAt: im.AvailableAt, Tags: snapTagMap,
	}
	im.Snapshots = []string{snap.ID}
	s.w.Images = append(s.w.Images, im)
	s.w.Snapshots = append(s.w.Snapshots, snap)
	if inst.State == "running" && !aws.ToBool(in.NoReboot) {
		// Health checks from now on see the reboot; those before it keep what they saw.
		s.markHealth(nil, inst.ID)
		inst.RebootAt = now
		inst.RebootUntil = now.Add(Reboot)
	}
	s.w.normalize()
	return &ec2.CreateImageOutput{ImageId: aws.String(id)}, nil
}

// imageTags are CreateImage's tags for the image or its snapshot.
func imageTags(specs []ec2types.TagSpecification, want ec2types.ResourceType) (map[string]string, error) {
	tags, err := tagsFor(specs, []ec2types.ResourceType{ec2types.ResourceTypeImage, ec2types.ResourceTypeSnapshot}, want)
	if err != nil {
		return nil, err
	}
	return mergeTags(nil, tags)
}

// rootVolumeGiB is the size of an image's root snapshot.
const rootVolumeGiB = 8

// applyBehaviour gives a new image what the world's first rule matching its name says.
func (s *Sim) applyBehaviour(im *Image) {
	b := s.behaviourOf(im.Name)
	if b == nil {
		return
	}
	if b.App != nil {
		im.App = b.App.normal().clone()
	}
	if b.Fail != nil {
		f := *b.Fail
		im.Fail = &f
	}
}

// behaviourOf is the world's first image rule matching an image name, or nil.
func (s *Sim) behaviourOf(name string) *ImageBehaviour {
	for i := range s.w.ImageBehaviours {
		if cloud.MatchWildcard(s.w.ImageBehaviours[i].NameGlob, name) {
			return &s.w.ImageBehaviours[i]
		}
	}
	return nil
}

// imageListed reports whether DescribeImages lists an image: a deregistered one only for
// DeregisteredVisible after its deregistration.
func (s *Sim) imageListed(im *Image) bool {
	return im.State != "deregistered" || s.w.Now.Before(im.DeregisteredAt.Add(DeregisteredVisible))
}

// imageInUse reports whether an instance of the world was launched from the image.
func (s *Sim) imageInUse(id string) bool {
	return slices.ContainsFunc(s.w.Instances, func(in Instance) bool { return in.Image == id })
}

// DeregisterImage deregisters an AMI the account owns. Its snapshots stay unless
// DeleteAssociatedSnapshots is true (a snapshot another image uses is skipped). DescribeImages
// lists it as deregistered for DeregisteredVisible, then no more.
func (c *EC2) DeregisterImage(ctx context.Context, in *ec2.DeregisterImageInput, _ ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DeregisterImage", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil || in.ImageId == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter ImageId")
	}
	id := *in.ImageId
	if !imageIDRe.MatchString(id) {
		return nil, apiErr("InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", id)
	}
	i := slices.IndexFunc(s.w.Images, func(im Image) bool { return im.ID == id })
	if i < 0 {
		return nil, apiErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
	}
	im := &s.w.Images[i]
	switch {
	case im.State == "deregistered":
		return nil, apiErr("InvalidAMIID.Unavailable", "The image id '[%s]' is no longer available", id)
	case im.Owner != s.w.AccountID:
		return nil, apiErr("AuthFailure", "Not authorized for image:%s", id)
	}
	if aws.ToBool(in.DryRun) {
		return nil, errDryRun()
	}
	im.State, im.DeregisteredAt = "deregistered", s.w.Now
	out := &ec2.DeregisterImageOutput{Return: aws.Bool(true)}
	if aws.ToBool(in.DeleteAssociatedSnapshots) {
		for _, sid := range im.Snapshots {
			code := "success"
			if s.snapshotUser(sid) != "" {
				code = "skipped"
			} else {
				s.w.Snapshots = slices.DeleteFunc(s.w.Snapshots, func(sn Snapshot) bool { return sn.ID == sid })
			}
			out.DeleteSnapshotResults = append(out.DeleteSnapshotResults, ec2types.DeleteSnapshotReturnCode{SnapshotId: aws.String(sid), ReturnCode: ec2types.SnapshotReturnCodes(code)})
		}
	}
	return out, nil
}

// snapshotUser is the registered image that uses a snapshot, or "".
func (s *Sim) snapshotUser(id string) string {
	for _, im := range s.w.Images {
		if im.State != "deregistered" && slices.Contains(im.Snapshots, id) {
			return im.ID
		}
	}
	return ""
}

var snapshotIDRe = regexp.MustCompile(`^snap-([0-9a-f]{8}|[0-9a-f]{17})$`)

// DeleteSnapshot deletes an EBS snapshot that no registered AMI uses.
func (c *EC2) DeleteSnapshot(ctx context.Context, in *ec2.DeleteSnapshotInput, _ ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DeleteSnapshot", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil || in.SnapshotId == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter SnapshotId")
	}
	id := *in.SnapshotId
	if !snapshotIDRe.MatchString(id) {
		return nil, apiErr("InvalidSnapshotID.Malformed", "Invalid id: %q (expecting \"snap-...\")", id)
	}
	if s.snapshot(id) == nil {
		return nil, apiErr("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
	}
	if user := s.snapshotUser(id); user != "" {
		return nil, apiErr("InvalidSnapshot.InUse", "The snapshot %s is currently in use by %s", id, user)
	}
	if aws.ToBool(in.DryRun) {
		return nil, errDryRun()
	}
	s.w.Snapshots = slices.DeleteFunc(s.w.Snapshots, func(sn Snapshot) bool { return sn.ID == id })
	return &ec2.DeleteSnapshotOutput{}, nil
}

func (s *Sim) snapshot(id string) *Snapshot {
	for i := range s.w.Snapshots {
		if s.w.Snapshots[i].ID == id {
			return &s.w.Snapshots[i]
		}
	}
	return nil
}
