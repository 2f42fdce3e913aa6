package conformance

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/internal/simulator"
)

// bake creates an image of the seed instance, lets it become available and returns its ID.
func bake(t testing.TB, e *Env, name string) string {
	t.Helper()
	out, err := e.EC2.CreateImage(ctx, &ec2.CreateImageInput{
		InstanceId: aws.String(e.id(t, simulator.SeedInstance)), Name: aws.String(name), NoReboot: aws.Bool(true),
	})
	must(t, err, "CreateImage")
	e.advance(imageWait)
	return aws.ToString(out.ImageId)
}

// image describes one image by ID.
func image(t testing.TB, e *Env, id string) ec2types.Image {
	t.Helper()
	out, err := e.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	must(t, err, "DescribeImages "+id)
	if len(out.Images) != 1 {
		t.Fatalf("DescribeImages %s answered %d images", id, len(out.Images))
	}
	return out.Images[0]
}

// snapshotOf is the snapshot of an image's root device.
func snapshotOf(t testing.TB, e *Env, imageID string) string {
	t.Helper()
	for _, m := range image(t, e, imageID).BlockDeviceMappings {
		if m.Ebs != nil && aws.ToString(m.Ebs.SnapshotId) != "" {
			return aws.ToString(m.Ebs.SnapshotId)
		}
	}
	t.Fatalf("image %s lists no snapshot", imageID)
	return ""
}

func imageIDs(out *ec2.DescribeImagesOutput) []string {
	var ids []string
	for _, im := range out.Images {
		ids = append(ids, aws.ToString(im.ImageId))
	}
	slices.Sort(ids)
	return ids
}

// createImageCases: CreateImage.
func createImageCases() []Case {
	createCode := func(name, instance, want string) func(testing.TB, *Env) {
		return func(t testing.TB, e *Env) {
			if instance == simulator.SeedInstance {
				instance = e.id(t, instance)
			}
			_, err := e.EC2.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(instance), Name: aws.String(name)})
			wantCode(t, err, want)
		}
	}
	return []Case{
		{Op: "CreateImage", Name: "a name in use is InvalidAMIName.Duplicate", Rule: "image-name",
			Run: createCode("web-base-2022-11-01", simulator.SeedInstance, "InvalidAMIName.Duplicate")},
		{Op: "CreateImage", Name: "a two-character name is InvalidAMIName.Malformed", Rule: "image-name",
			Run: createCode("ab", simulator.SeedInstance, "InvalidAMIName.Malformed")},
		{Op: "CreateImage", Name: "an unknown instance is InvalidInstanceID.NotFound", Rule: "instance-not-found",
			Run: createCode("web-conformance", unknownInstance, "InvalidInstanceID.NotFound")},
		{Op: "CreateImage", Name: "a terminated instance is IncorrectState", Rule: "image-instance-state",
			Run: func(t testing.TB, e *Env) {
				web := e.id(t, simulator.SeedInstance)
				_, err := e.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{web}})
				must(t, err, "TerminateInstances")
				e.advance(time.Minute)
				_, err = e.EC2.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(web), Name: aws.String("web-conformance")})
				wantCode(t, err, "IncorrectState")
			}},
		{Op: "CreateImage", Name: "a new image is pending", Rule: "image-pending",
			Run: func(t testing.TB, e *Env) {
				out, err := e.EC2.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(e.id(t, simulator.SeedInstance)), Name: aws.String("web-conformance")})
				must(t, err, "CreateImage")
				if got := image(t, e, aws.ToString(out.ImageId)).State; got != ec2types.ImageStatePending {
					t.Fatalf("the new image is %q, want pending", got)
				}
			}},
		{Op: "CreateImage", Name: "available once the bake time has passed, with a snapshot", Rule: "image-available",
			Run: func(t testing.TB, e *Env) {
				id := bake(t, e, "web-conformance")
				if got := image(t, e, id); got.State != ec2types.ImageStateAvailable || aws.ToString(got.Name) != "web-conformance" {
					t.Fatalf("image %s is %q named %q, want available named web-conformance", id, got.State, aws.ToString(got.Name))
				}
				snapshotOf(t, e, id)
			}},
	}
}

// imageCases: DescribeImages and DeregisterImage.
func imageCases() []Case {
	return []Case{
		{Op: "DescribeImages", Name: "an unknown ID is InvalidAMIID.NotFound", Rule: "image-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{unknownImage}})
				wantCode(t, err, "InvalidAMIID.NotFound")
			}},
		{Op: "DescribeImages", Name: "a malformed ID is InvalidAMIID.Malformed", Rule: "image-id-malformed",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-nothex"}})
				wantCode(t, err, "InvalidAMIID.Malformed")
			}},
		{Op: "DescribeImages", Name: "name filters take * and ? wildcards", Rule: "filter-wildcard",
			Run: func(t testing.TB, e *Env) {
				want := []string{e.id(t, simulator.SeedImage)}
				for _, tc := range []struct {
					pattern string
					want    []string
				}{{"web-base-*", want}, {"web-base-202?-11-01", want}, {"*base*", want}, {"web-base-202?", nil}, {"other-*", nil}} {
					out, err := e.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []ec2types.Filter{filter("name", tc.pattern)}})
					must(t, err, "DescribeImages name="+tc.pattern)
					if got := imageIDs(out); !slices.Equal(got, tc.want) {
						t.Errorf("name=%s: images %v, want %v", tc.pattern, got, tc.want)
					}
				}
			}},
		{Op: "DescribeImages", Name: "Filters apply together with ImageIds", Rule: "image-filters-with-ids",
			Run: func(t testing.TB, e *Env) {
				out, err := e.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{e.id(t, simulator.SeedImage)},
					Filters: []ec2types.Filter{filter("name", "no-such-name")}})
				must(t, err, "DescribeImages")
				if len(out.Images) != 0 {
					t.Fatalf("images %v, want none: the name filter excludes the one ID asked for", imageIDs(out))
				}
			}},
		{Op: "DeregisterImage", Name: "an unknown ID is InvalidAMIID.NotFound", Rule: "image-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(unknownImage)})
				wantCode(t, err, "InvalidAMIID.NotFound")
			}},
		{Op: "DeregisterImage", Name: "a deregistered image no one uses is gone", Rule: "deregister-image",
			Run: func(t testing.TB, e *Env) {
				id := bake(t, e, "web-conformance")
				_, err := e.EC2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id)})
				must(t, err, "DeregisterImage")
				e.advance(2 * time.Minute)
				_, err = e.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
				wantCode(t, err, "InvalidAMIID.NotFound")
			}},
	}
}

// snapshotCases: DescribeSnapshots, CreateTags on a snapshot, DeleteSnapshot.
func snapshotCases() []Case {
	return []Case{
		{Op: "DescribeSnapshots", Name: "by a snapshot-id filter: the image's snapshot with the tags CreateTags gave it; an unknown ID is no error", Rule: "describe-snapshots-tags",
			Run: func(t testing.TB, e *Env) {
				snap := snapshotOf(t, e, bake(t, e, "web-conformance"))
				_, err := e.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{snap},
					Tags: []ec2types.Tag{{Key: aws.String("albctl:stack"), Value: aws.String("web-tg")}}})
				must(t, err, "CreateTags "+snap)
				out, err := e.EC2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{
					Filters: []ec2types.Filter{filter("snapshot-id", snap, unknownSnapshot)}})
				must(t, err, "DescribeSnapshots")
				if len(out.Snapshots) != 1 || aws.ToString(out.Snapshots[0].SnapshotId) != snap {
					t.Fatalf("DescribeSnapshots snapshot-id=%s,%s answered %d snapshots, want %s alone", snap, unknownSnapshot, len(out.Snapshots), snap)
				}
				tags := map[string]string{}
				for _, tag := range out.Snapshots[0].Tags {
					tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
				}
				if tags["albctl:stack"] != "web-tg" {
					t.Errorf("snapshot %s tags %v, want albctl:stack=web-tg", snap, tags)
				}
			}},
		{Op: "DeleteSnapshot", Name: "an unknown ID is InvalidSnapshot.NotFound", Rule: "snapshot-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(unknownSnapshot)})
				wantCode(t, err, "InvalidSnapshot.NotFound")
			}},
		{Op: "DeleteSnapshot", Name: "a snapshot of a registered image is InvalidSnapshot.InUse", Rule: "snapshot-in-use",
			Run: func(t testing.TB, e *Env) {
				id := bake(t, e, "web-conformance")
				_, err := e.EC2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snapshotOf(t, e, id))})
				wantCode(t, err, "InvalidSnapshot.InUse")
			}},
		{Op: "DeleteSnapshot", Name: "deletes the snapshot of a deregistered image", Rule: "delete-snapshot",
			Run: func(t testing.TB, e *Env) {
				id := bake(t, e, "web-conformance")
				snap := snapshotOf(t, e, id)
				_, err := e.EC2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id)})
				must(t, err, "DeregisterImage")
				_, err = e.EC2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
				must(t, err, "DeleteSnapshot")
				_, err = e.EC2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
				wantCode(t, err, "InvalidSnapshot.NotFound")
			}},
	}
}

// networkCases: DescribeSubnets and DescribeInstanceTypeOfferings.
func networkCases() []Case {
	return []Case{
		{Op: "DescribeSubnets", Name: "an unknown ID is InvalidSubnetID.NotFound", Rule: "subnet-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{unknownSubnet}})
				wantCode(t, err, "InvalidSubnetID.NotFound")
			}},
		{Op: "DescribeSubnets", Name: "filters by VPC, with each subnet's zone", Rule: "describe-subnets",
			Run: func(t testing.TB, e *Env) {
				out, err := e.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("vpc-id", e.id(t, simulator.SeedVPC))}})
				must(t, err, "DescribeSubnets")
				got := map[string]string{}
				for _, s := range out.Subnets {
					got[aws.ToString(s.SubnetId)] = aws.ToString(s.AvailabilityZone)
				}
				want := map[string]string{
					e.id(t, simulator.SeedSubnet1a): "ap-northeast-1a",
					e.id(t, simulator.SeedSubnet1c): "ap-northeast-1c",
					e.id(t, simulator.SeedSubnet1d): "ap-northeast-1d",
				}
				if !maps.Equal(got, want) {
					t.Fatalf("subnets %v, want %v", got, want)
				}
			}},
		{Op: "DescribeInstanceTypeOfferings", Name: "lists a type by zone", Rule: "type-offerings",
			Run: func(t testing.TB, e *Env) {
				out, err := e.EC2.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{
					LocationType: ec2types.LocationTypeAvailabilityZone,
					Filters:      []ec2types.Filter{filter("instance-type", "t3.small"), filter("location", "ap-northeast-1a", "ap-northeast-1c")},
				})
				must(t, err, "DescribeInstanceTypeOfferings")
				var got []string
				for _, o := range out.InstanceTypeOfferings {
					if o.InstanceType != ec2types.InstanceTypeT3Small || o.LocationType != ec2types.LocationTypeAvailabilityZone {
						t.Errorf("offering %+v: not asked for", o)
					}
					got = append(got, aws.ToString(o.Location))
				}
				slices.Sort(got)
				if want := []string{"ap-northeast-1a", "ap-northeast-1c"}; !slices.Equal(got, want) {
					t.Fatalf("t3.small offered in %v, want %v", got, want)
				}
			}},
	}
}

// tagCases: CreateTags.
func tagCases() []Case {
	return []Case{
		{Op: "CreateTags", Name: "an unknown resource fails the call and tags nothing", Rule: "create-tags-all-or-nothing",
			Run: func(t testing.TB, e *Env) {
				web := e.id(t, simulator.SeedInstance)
				_, err := e.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{web, unknownInstance},
					Tags: []ec2types.Tag{{Key: aws.String("albctl:conformance"), Value: aws.String("x")}}})
				wantCode(t, err, "InvalidInstanceID.NotFound")
				if tags := instance(t, e, web).Tags; slices.ContainsFunc(tags, func(tg ec2types.Tag) bool { return aws.ToString(tg.Key) == "albctl:conformance" }) {
					t.Fatalf("a failed CreateTags tagged %s: %+v", web, tags)
				}
			}},
		{Op: "CreateTags", Name: "tags every resource named", Rule: "create-tags",
			Run: func(t testing.TB, e *Env) {
				web, img := e.id(t, simulator.SeedInstance), e.id(t, simulator.SeedImage)
				_, err := e.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{web, img},
					Tags: []ec2types.Tag{{Key: aws.String("albctl:conformance"), Value: aws.String("x")}}})
				must(t, err, "CreateTags")
				has := func(tags []ec2types.Tag) bool {
					return slices.ContainsFunc(tags, func(tg ec2types.Tag) bool { return aws.ToString(tg.Key) == "albctl:conformance" })
				}
				if !has(instance(t, e, web).Tags) || !has(image(t, e, img).Tags) {
					t.Fatalf("the instance or the image lacks the tag")
				}
			}},
	}
}

// profileCases: GetInstanceProfile and AssociateIamInstanceProfile.
func profileCases() []Case {
	return []Case{
		{Op: "GetInstanceProfile", Name: "finds a profile by name", Rule: "get-instance-profile",
			Run: func(t testing.TB, e *Env) {
				out, err := e.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web-app")})
				must(t, err, "GetInstanceProfile")
				if got, want := aws.ToString(out.InstanceProfile.Arn), e.id(t, simulator.SeedProfileARN); got != want {
					t.Fatalf("profile ARN %s, want %s", got, want)
				}
			}},
		{Op: "GetInstanceProfile", Name: "an unknown name is NoSuchEntity", Rule: "get-instance-profile",
			Run: func(t testing.TB, e *Env) {
				_, err := e.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("no-such-profile")})
				wantCode(t, err, "NoSuchEntity")
			}},
		{Op: "AssociateIamInstanceProfile", Name: "gives a running instance its profile", Rule: "associate-profile",
			Run: func(t testing.TB, e *Env) {
				id := launch(t, e, simulator.SeedSubnet1a, 1)[0]
				e.advance(bootWait)
				out, err := e.EC2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(id),
					IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("web-app")}})
				must(t, err, "AssociateIamInstanceProfile")
				if s := out.IamInstanceProfileAssociation.State; s != ec2types.IamInstanceProfileAssociationStateAssociating && s != ec2types.IamInstanceProfileAssociationStateAssociated {
					t.Errorf("association state %q, want associating or associated", s)
				}
				got := instance(t, e, id).IamInstanceProfile
				if got == nil || aws.ToString(got.Arn) != e.id(t, simulator.SeedProfileARN) {
					t.Fatalf("instance profile %+v, want %s", got, e.id(t, simulator.SeedProfileARN))
				}
			}},
		{Op: "AssociateIamInstanceProfile", Name: "an instance with a profile is IncorrectState", Rule: "associate-profile-twice",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(e.id(t, simulator.SeedInstance)),
					IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("web-app")}})
				wantCode(t, err, "IncorrectState")
			}},
		{Op: "AssociateIamInstanceProfile", Name: "an unknown profile is InvalidParameterValue", Rule: "run-profile",
			Run: func(t testing.TB, e *Env) {
				id := running(t, e)
				_, err := e.EC2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(id),
					IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("no-such-profile")}})
				wantCode(t, err, "InvalidParameterValue")
			}},
		{Op: "AssociateIamInstanceProfile", Name: "an unknown instance is InvalidInstanceID.NotFound", Rule: "instance-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.EC2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(unknownInstance),
					IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("web-app")}})
				wantCode(t, err, "InvalidInstanceID.NotFound")
			}},
	}
}
