package simulator

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/clock"
)

func TestDescribeInstanceTypeOfferings(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.InstanceTypeOfferings = map[string][]string{"ap-northeast-1c": {"t3.micro"}}
	s := New(w, checkRoundTrips(t))
	list := func(in *ec2.DescribeInstanceTypeOfferingsInput) []string {
		t.Helper()
		var out []string
		p := ec2.NewDescribeInstanceTypeOfferingsPaginator(s.EC2(), in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.InstanceTypeOfferings {
				out = append(out, aws.ToString(o.Location)+"/"+string(o.InstanceType)+"/"+string(o.LocationType))
			}
		}
		return out
	}
	got := list(&ec2.DescribeInstanceTypeOfferingsInput{
		LocationType: ec2types.LocationTypeAvailabilityZone, MaxResults: aws.Int32(5),
		Filters: []ec2types.Filter{filter("instance-type", "t3.small", "t3.micro")},
	})
	want := "ap-northeast-1a/t3.micro/availability-zone ap-northeast-1a/t3.small/availability-zone ap-northeast-1c/t3.micro/availability-zone ap-northeast-1d/t3.micro/availability-zone ap-northeast-1d/t3.small/availability-zone"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v\nwant %s", got, want)
	}
	got = list(&ec2.DescribeInstanceTypeOfferingsInput{Filters: []ec2types.Filter{filter("instance-type", "t3.small")}})
	if strings.Join(got, " ") != "ap-northeast-1/t3.small/region" {
		t.Fatalf("region: %v", got)
	}
	got = list(&ec2.DescribeInstanceTypeOfferingsInput{LocationType: "availability-zone", Filters: []ec2types.Filter{filter("location", "ap-northeast-1c")}})
	if len(got) != 1 {
		t.Fatalf("1c offers %v, want only t3.micro", got)
	}
	_, err := s.EC2().DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{Filters: []ec2types.Filter{filter("colour", "red")}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = s.EC2().DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{MaxResults: aws.Int32(1)})
	wantCode(t, err, "InvalidParameterValue")
	// Unsupported in a zone that does not offer the type, naming the zones that do.
	_, err = s.EC2().RunInstances(ctx, runInput(SeedSubnet1c))
	wantCode(t, err, "Unsupported")
	wantMessage(t, err, "Your requested instance type (t3.small) is not supported in your requested Availability Zone (ap-northeast-1c). Please retry your request by not specifying an Availability Zone or choosing ap-northeast-1a, ap-northeast-1d.")
}

func TestInsufficientInstanceCapacity(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.InsufficientCapacity = []CapacityShortage{{AZ: "ap-northeast-1d", InstanceTypes: []string{"t3.small"}}}
	s := New(w, checkRoundTrips(t))
	_, err := s.EC2().RunInstances(ctx, runInput(SeedSubnet1d))
	wantCode(t, err, "InsufficientInstanceCapacity")
	wantMessage(t, err, "We currently do not have sufficient t3.small capacity in the Availability Zone you requested (ap-northeast-1d). Our system will be working on provisioning additional capacity. You can currently get t3.small capacity by not specifying an Availability Zone in your request or choosing ap-northeast-1a, ap-northeast-1c.")
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorFault() != smithy.FaultServer {
		t.Fatal("a capacity shortage is AWS's side: a server fault")
	}
	other := runInput(SeedSubnet1d)
	other.InstanceType = "t3.medium"
	if _, err := s.EC2().RunInstances(ctx, other); err != nil {
		t.Fatalf("another type: %v", err)
	}
	if _, err := s.EC2().RunInstances(ctx, runInput(SeedSubnet1a)); err != nil {
		t.Fatalf("another zone: %v", err)
	}
}

func freeIPs(t *testing.T, s *Sim, subnet string) int32 {
	t.Helper()
	out, err := s.EC2().DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnet}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToInt32(out.Subnets[0].AvailableIpAddressCount)
}

func TestSubnetAddresses(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	// A /24 has 256 addresses; AWS keeps 5, the seed instance and the ALB's node hold one each.
	if got := freeIPs(t, s, SeedSubnet1a); got != 249 {
		t.Fatalf("1a: %d free, want 249", got)
	}
	id := launch(t, s, SeedSubnet1a)
	if got := freeIPs(t, s, SeedSubnet1a); got != 248 {
		t.Fatalf("after a launch: %d", got)
	}
	s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	advance(s, ShuttingDown)
	if got := freeIPs(t, s, SeedSubnet1a); got != 249 {
		t.Fatalf("after termination: %d", got)
	}

	// A world may say how many are free; launches and terminations keep the figure.
	w := SeedWorld()
	w.Subnets[2].AvailableIPs = aws.Int32(1) // 1d
	s = New(w, checkRoundTrips(t))
	in := runInput(SeedSubnet1d)
	in.MinCount, in.MaxCount = aws.Int32(2), aws.Int32(2)
	_, err := s.EC2().RunInstances(ctx, in)
	wantCode(t, err, "InsufficientFreeAddressesInSubnet")
	in.MinCount = aws.Int32(1)
	out, err := s.EC2().RunInstances(ctx, in)
	if err != nil || len(out.Instances) != 1 {
		t.Fatalf("MinCount 1, MaxCount 2, one address: %v %v", out, err)
	}
	_, err = s.EC2().RunInstances(ctx, runInput(SeedSubnet1d))
	wantCode(t, err, "InsufficientFreeAddressesInSubnet")
	s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(out.Instances[0].InstanceId)}})
	advance(s, ShuttingDown)
	if got := freeIPs(t, s, SeedSubnet1d); got != 1 {
		t.Fatalf("after termination: %d", got)
	}
}

func TestRunInstancesDryRun(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	before, _ := s.World().Marshal()
	in := runInput(SeedSubnet1d)
	in.DryRun = aws.Bool(true)
	in.ClientToken = aws.String("dry")
	_, err := s.EC2().RunInstances(ctx, in)
	wantCode(t, err, "DryRunOperation")
	wantMessage(t, err, "Request would have succeeded, but DryRun flag is set.")
	after, _ := s.World().Marshal()
	if !bytes.Equal(before, after) {
		t.Fatal("a dry run changed the world (or took an ID)")
	}
	// A dry run answers the validation error the launch would get.
	bad := runInput(SeedSubnet1d)
	bad.DryRun = aws.Bool(true)
	bad.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Name: aws.String("no-such-profile")}
	_, err = s.EC2().RunInstances(ctx, bad)
	wantCode(t, err, "InvalidParameterValue")
	// ... but not a capacity shortage, which AWS finds only when it launches.
	w := SeedWorld()
	w.InsufficientCapacity = []CapacityShortage{{AZ: "ap-northeast-1d"}}
	_, err = New(w, checkRoundTrips(t)).EC2().RunInstances(ctx, in)
	wantCode(t, err, "DryRunOperation")
	// The same IDs come after a dry run as without one.
	a, b := seedSim(t), seedSim(t)
	a.EC2().RunInstances(ctx, in)
	if launch(t, a, SeedSubnet1d) != launch(t, b, SeedSubnet1d) {
		t.Fatal("a dry run took an ID")
	}
}

func TestCreateImageDryRun(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	before, _ := s.World().Marshal()
	_, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-dry"), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	after, _ := s.World().Marshal()
	if !bytes.Equal(before, after) {
		t.Fatal("a dry run changed the world (a reboot or an image)")
	}
	_, err = s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("x"), DryRun: aws.Bool(true)})
	wantCode(t, err, "InvalidAMIName.Malformed")
}

func TestDeregisterImageAndDeleteSnapshot(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	id := bake(t, s, "web-old")
	out, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	bdm := out.Images[0].BlockDeviceMappings
	if len(bdm) != 1 || bdm[0].Ebs == nil || !strings.HasPrefix(aws.ToString(bdm[0].Ebs.SnapshotId), "snap-") {
		t.Fatalf("block device mappings %+v", bdm)
	}
	snap := aws.ToString(bdm[0].Ebs.SnapshotId)
	_, err = s.EC2().DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
	wantCode(t, err, "InvalidSnapshot.InUse")
	wantMessage(t, err, "The snapshot "+snap+" is currently in use by "+id)

	for _, tt := range []struct{ id, code string }{
		{"ami-0123456789abcdef0", "InvalidAMIID.NotFound"},
		{"ami-zz", "InvalidAMIID.Malformed"},
	} {
		_, err := s.EC2().DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(tt.id)})
		wantCode(t, err, tt.code)
	}
	if _, err := s.EC2().DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.EC2().DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id)})
	wantCode(t, err, "InvalidAMIID.Unavailable")
	// Listed as deregistered for a short while, then no more; by ID, then not found.
	if got := imageState(t, s, id); got != "deregistered" {
		t.Fatalf("right after: %s", got)
	}
	advance(s, DeregisteredVisible)
	all, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil || len(all.Images) != 1 {
		t.Fatalf("images after deregistration: %v %v", all, err)
	}
	_, err = s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	wantCode(t, err, "InvalidAMIID.NotFound")

	if _, err := s.EC2().DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.EC2().DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
	wantCode(t, err, "InvalidSnapshot.NotFound")
	_, err = s.EC2().DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String("snapshot-1")})
	wantCode(t, err, "InvalidSnapshotID.Malformed")
}

func TestDeregisteredImageInUseAnswersEmpty(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	id := bake(t, s, "web-used")
	launchFrom(t, s, id)
	out, err := s.EC2().DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id), DeleteAssociatedSnapshots: aws.Bool(true)})
	if err != nil || len(out.DeleteSnapshotResults) != 1 || out.DeleteSnapshotResults[0].ReturnCode != "success" {
		t.Fatalf("%+v %v", out, err)
	}
	advance(s, DeregisteredVisible)
	// An instance still refers to it: AWS answers an empty list rather than NotFound.
	d, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil || len(d.Images) != 0 {
		t.Fatalf("%v %v", d, err)
	}
}

func TestGetInstanceProfile(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	out, err := s.IAM().GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web-app")})
	if err != nil {
		t.Fatal(err)
	}
	if p := out.InstanceProfile; aws.ToString(p.Arn) != SeedProfileARN || aws.ToString(p.Path) != "/" {
		t.Fatalf("%+v", p)
	}
	_, err = s.IAM().GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web-ap")})
	wantCode(t, err, "NoSuchEntity")
	wantMessage(t, err, "Instance Profile web-ap cannot be found.")
	_, err = s.IAM().GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("a b")})
	wantCode(t, err, "ValidationError")
	if s.Calls()["GetInstanceProfile"] != 3 {
		t.Fatalf("calls %v", s.Calls())
	}
	// IAM knows a new profile at once, while EC2 may not yet (propagation).
	s = seedSim(t, WithFaults(Faults{ProfilePropagationDelay: clock.Duration(time.Minute)}))
	s.CreateInstanceProfile("new-role")
	if _, err := s.IAM().GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("new-role")}); err != nil {
		t.Fatal(err)
	}
}

// ListInstanceProfiles pages in name order with Marker and MaxItems, filters by path prefix,
// and refuses a MaxItems outside 1–1000 (IAM API Reference, "ListInstanceProfiles").
func TestListInstanceProfiles(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	s.CreateInstanceProfile("a-role")
	s.CreateInstanceProfile("z-role")
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		out, err := s.IAM().ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.InstanceProfiles) > 2 || pages > 5 {
			t.Fatalf("page of %d, or too many pages", len(out.InstanceProfiles))
		}
		for _, p := range out.InstanceProfiles {
			names = append(names, aws.ToString(p.InstanceProfileName))
		}
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	if want := []string{"a-role", "web-app", "z-role"}; !slices.Equal(names, want) {
		t.Errorf("listed %q, want %q", names, want)
	}
	out, err := s.IAM().ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/service/")})
	if err != nil || len(out.InstanceProfiles) != 0 || out.IsTruncated {
		t.Errorf("path prefix /service/: %v %+v", err, out)
	}
	_, err = s.IAM().ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{MaxItems: aws.Int32(0)})
	wantCode(t, err, "ValidationError")
}
