package simulator

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

func TestDescribeInstances(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	other := launch(t, s, SeedSubnet1d)
	ids := func(out *ec2.DescribeInstancesOutput) string {
		var l []string
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				l = append(l, aws.ToString(i.InstanceId))
			}
		}
		return strings.Join(l, ",")
	}
	tests := []struct {
		name string
		in   ec2.DescribeInstancesInput
		want string // IDs, or "!" + error code
	}{
		{"all", ec2.DescribeInstancesInput{}, SeedInstance + "," + other},
		{"by id", ec2.DescribeInstancesInput{InstanceIds: []string{other}}, other},
		{"unknown id", ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}}, "!InvalidInstanceID.NotFound"},
		{"malformed id", ec2.DescribeInstancesInput{InstanceIds: []string{"i-xyz"}}, "!InvalidInstanceID.Malformed"},
		{"ids with max results", ec2.DescribeInstancesInput{InstanceIds: []string{other}, MaxResults: aws.Int32(5)}, "!InvalidParameterCombination"},
		{"max results too small", ec2.DescribeInstancesInput{MaxResults: aws.Int32(4)}, "!InvalidParameterValue"},
		{"max results too large", ec2.DescribeInstancesInput{MaxResults: aws.Int32(1001)}, "!InvalidParameterValue"},
		{"unknown filter", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("instance-colour", "red")}}, "!InvalidParameterValue"},
		{"state filter", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("instance-state-name", "pending")}}, other},
		{"tag filter", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("tag:Name", "web")}}, SeedInstance},
		{"tag wildcard", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("tag:Name", "w*")}}, SeedInstance},
		{"tag one-character wildcard", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("tag:Name", "w?b")}}, SeedInstance},
		{"tag escaped star is literal", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("tag:Name", `w\*`)}}, ""},
		{"tag escaped letters are the letters", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("tag:Name", `\w\e\b`)}}, SeedInstance},
		// Issue 17: exponential for a backtracking matcher; linear here (BenchmarkPlanSourcePattern).
		{"tag adversarial pattern", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("tag:Name", strings.Repeat("*?", 16)+"#")}}, ""},
		{"tag-key", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("tag-key", "Name")}}, SeedInstance},
		{"subnet filter", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("subnet-id", SeedSubnet1d)}}, other},
		{"vpc filter", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("vpc-id", SeedVPC)}}, SeedInstance + "," + other},
		{"az filter", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("availability-zone", "ap-northeast-1a")}}, SeedInstance},
		{"image filter", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("image-id", SeedImage)}}, SeedInstance + "," + other},
		{"id filter, unknown id: no error", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("instance-id", "i-0123456789abcdef0", other)}}, other},
		{"filters and", ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("image-id", SeedImage), filter("instance-state-name", "running")}}, SeedInstance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := s.EC2().DescribeInstances(ctx, &tt.in)
			if strings.HasPrefix(tt.want, "!") {
				wantCode(t, err, tt.want[1:])
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(out); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	_, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	wantMessage(t, err, "The instance ID 'i-0123456789abcdef0' does not exist")
}

func TestDescribeInstancesPaging(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	in := runInput(SeedSubnet1a)
	in.MinCount, in.MaxCount = aws.Int32(11), aws.Int32(11)
	if _, err := s.EC2().RunInstances(ctx, in); err != nil {
		t.Fatal(err)
	}
	p := ec2.NewDescribeInstancesPaginator(s.EC2(), &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	pages, n := 0, 0
	seen := map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				n++
				seen[aws.ToString(i.InstanceId)] = true
			}
		}
	}
	if pages != 3 || n != 12 || len(seen) != 12 {
		t.Fatalf("pages=%d instances=%d distinct=%d, want 3, 12, 12", pages, n, len(seen))
	}
	_, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{NextToken: aws.String("garbage")})
	wantCode(t, err, "InvalidPaginationToken")
}

func TestRunInstancesOneReservation(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	in := runInput(SeedSubnet1c)
	in.MinCount, in.MaxCount = aws.Int32(2), aws.Int32(3)
	in.InstanceType = ""
	in.TagSpecifications = []ec2types.TagSpecification{
		{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}}},
		{ResourceType: ec2types.ResourceTypeVolume, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("web-disk")}}},
	}
	out, err := s.EC2().RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 3 {
		t.Fatalf("%d instances, want MaxCount 3", len(out.Instances))
	}
	d, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("reservation-id", aws.ToString(out.ReservationId))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Reservations) != 1 || len(d.Reservations[0].Instances) != 3 {
		t.Fatalf("launches of one call are not one reservation: %+v", d.Reservations)
	}
	for _, i := range out.Instances {
		if i.InstanceType != "m1.small" {
			t.Errorf("default instance type %q, want m1.small", i.InstanceType)
		}
		if i.State.Name != "pending" || aws.ToInt32(i.State.Code) != 0 {
			t.Errorf("state %v", i.State)
		}
		if len(i.Tags) != 1 || aws.ToString(i.Tags[0].Value) != "web" {
			t.Errorf("tags not applied at launch: %v", i.Tags)
		}
		if id := aws.ToString(i.InstanceId); len(id) != 19 || strings.Trim(id[2:], "0123456789abcdef") != "" {
			t.Errorf("instance ID %q is not i- and 17 hex digits", id)
		}
	}
}

func TestRunInstancesRules(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	_, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("pending-image"), NoReboot: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	pending := s.World().Images[0].ID
	if pending == SeedImage {
		pending = s.World().Images[1].ID
	}
	prof := func(name, arn string) *ec2types.IamInstanceProfileSpecification {
		p := &ec2types.IamInstanceProfileSpecification{}
		if name != "" {
			p.Name = aws.String(name)
		}
		if arn != "" {
			p.Arn = aws.String(arn)
		}
		return p
	}
	tests := []struct {
		name   string
		change func(*ec2.RunInstancesInput)
		want   string
	}{
		{"ok", func(*ec2.RunInstancesInput) {}, ""},
		{"unknown image", func(in *ec2.RunInstancesInput) { in.ImageId = aws.String("ami-0123456789abcdef0") }, "InvalidAMIID.NotFound"},
		{"malformed image", func(in *ec2.RunInstancesInput) { in.ImageId = aws.String("ami-zz") }, "InvalidAMIID.Malformed"},
		{"pending image", func(in *ec2.RunInstancesInput) { in.ImageId = aws.String(pending) }, "InvalidAMIID.Unavailable"},
		{"min count 0", func(in *ec2.RunInstancesInput) { in.MinCount = aws.Int32(0) }, "InvalidParameterValue"},
		{"max count 0", func(in *ec2.RunInstancesInput) { in.MaxCount = aws.Int32(0) }, "InvalidParameterValue"},
		{"min > max", func(in *ec2.RunInstancesInput) { in.MinCount, in.MaxCount = aws.Int32(3), aws.Int32(2) }, "InvalidParameterValue"},
		{"unknown subnet", func(in *ec2.RunInstancesInput) { in.SubnetId = aws.String("subnet-0000000000000dead") }, "InvalidSubnetID.NotFound"},
		{"no subnet, no default vpc", func(in *ec2.RunInstancesInput) { in.SubnetId = nil }, "VPCIdNotSpecified"},
		{"unknown security group", func(in *ec2.RunInstancesInput) { in.SecurityGroupIds = []string{"sg-0000000000000dead"} }, "InvalidGroup.NotFound"},
		{"profile by name", func(in *ec2.RunInstancesInput) { in.IamInstanceProfile = prof("web-app", "") }, ""},
		{"profile by arn", func(in *ec2.RunInstancesInput) { in.IamInstanceProfile = prof("", SeedProfileARN) }, ""},
		{"unknown profile name", func(in *ec2.RunInstancesInput) { in.IamInstanceProfile = prof("nope", "") }, "InvalidParameterValue"},
		{"unknown profile arn", func(in *ec2.RunInstancesInput) {
			in.IamInstanceProfile = prof("", "arn:aws:iam::123456789012:instance-profile/nope")
		}, "InvalidParameterValue"},
		{"malformed profile arn", func(in *ec2.RunInstancesInput) { in.IamInstanceProfile = prof("", "arn:nope") }, "InvalidIamInstanceProfileArn.Malformed"},
		{"bad instance type", func(in *ec2.RunInstancesInput) { in.InstanceType = "t3.gigantic" }, "InvalidParameterValue"},
		{"image tag spec refused", func(in *ec2.RunInstancesInput) {
			in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeImage, Tags: []ec2types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}}
		}, "InvalidParameterValue"},
		{"aws: tag refused", func(in *ec2.RunInstancesInput) {
			in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{{Key: aws.String("aws:x"), Value: aws.String("b")}}}}
		}, "InvalidParameterValue"},
		{"token too long", func(in *ec2.RunInstancesInput) { in.ClientToken = aws.String(strings.Repeat("x", 65)) }, "InvalidParameterValue"},
		{"token not ascii", func(in *ec2.RunInstancesInput) { in.ClientToken = aws.String("jeton-é") }, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := runInput(SeedSubnet1a)
			tt.change(in)
			before := len(s.World().Instances)
			_, err := s.EC2().RunInstances(ctx, in)
			wantCode(t, err, tt.want)
			if after := len(s.World().Instances); tt.want != "" && after != before {
				t.Fatalf("a failed RunInstances launched %d instances", after-before)
			}
		})
	}
	_, err = s.EC2().RunInstances(ctx, func() *ec2.RunInstancesInput {
		in := runInput(SeedSubnet1a)
		in.IamInstanceProfile = prof("nope", "")
		return in
	}())
	wantMessage(t, err, "Value (nope) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
}

func TestRunInstancesSecurityGroupOfAnotherVPC(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.VPCs = append(w.VPCs, VPC{ID: "vpc-0000000000000beef", CIDR: "10.1.0.0/16"})
	w.SecurityGroups = append(w.SecurityGroups, SecurityGroup{ID: "sg-0000000000000beef", Name: "elsewhere", VPC: "vpc-0000000000000beef"})
	s := New(w, checkRoundTrips(t))
	in := runInput(SeedSubnet1a)
	in.SecurityGroupIds = []string{"sg-0000000000000beef"}
	_, err := s.EC2().RunInstances(ctx, in)
	wantCode(t, err, "InvalidGroup.NotFound")
}

func TestRunInstancesDefaultVPC(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.VPCs[0].IsDefault = true
	s := New(w, checkRoundTrips(t))
	in := runInput("")
	in.SubnetId = nil
	in.Placement = &ec2types.Placement{AvailabilityZone: aws.String("ap-northeast-1d")}
	out, err := s.EC2().RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Instances[0].SubnetId); got != SeedSubnet1d {
		t.Fatalf("launched in %s, want the default subnet of 1d", got)
	}
}

func TestRunInstancesClientToken(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	in := runInput(SeedSubnet1d)
	in.ClientToken = aws.String("albctl-launch-web-1d")
	first, err := s.EC2().RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	advance(s, time.Minute)
	again, err := s.EC2().RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.ReservationId) != aws.ToString(first.ReservationId) ||
		aws.ToString(again.Instances[0].InstanceId) != aws.ToString(first.Instances[0].InstanceId) {
		t.Fatal("a repeat with the same ClientToken did not return the original reservation")
	}
	if again.Instances[0].State.Name != "running" {
		t.Errorf("the repeat shows state %s, want the current state running", again.Instances[0].State.Name)
	}
	if n := len(s.World().Instances); n != 2 {
		t.Fatalf("%d instances, want 2: the repeat launched again", n)
	}
	in.InstanceType = ec2types.InstanceTypeT3Large
	_, err = s.EC2().RunInstances(ctx, in)
	wantCode(t, err, "IdempotentParameterMismatch")
	// The same token in another zone is another request.
	other := runInput(SeedSubnet1c)
	other.ClientToken = in.ClientToken
	if _, err := s.EC2().RunInstances(ctx, other); err != nil {
		t.Fatalf("same token, other zone: %v", err)
	}
}

func TestInstanceLifecycle(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	id := launch(t, s, SeedSubnet1c)
	if got := instanceState(t, s, id); got != "pending" {
		t.Fatalf("new instance %s", got)
	}
	ready := s.World().Instances
	var running time.Time
	for _, in := range ready {
		if in.ID == id {
			running = in.RunningAt
		}
	}
	delay := running.Sub(s.Clock().Now())
	if delay < InstancePending || delay > InstancePending+InstanceJitter {
		t.Fatalf("pending for %v, want 30s..45s", delay)
	}
	advance(s, delay-time.Second)
	if got := instanceState(t, s, id); got != "pending" {
		t.Fatalf("1s before running: %s", got)
	}
	advance(s, time.Second)
	if got := instanceState(t, s, id); got != "running" {
		t.Fatalf("at running time: %s", got)
	}
	out, err := s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if c := out.TerminatingInstances[0]; c.PreviousState.Name != "running" || c.CurrentState.Name != "shutting-down" {
		t.Fatalf("state change %v -> %v", c.PreviousState.Name, c.CurrentState.Name)
	}
	advance(s, ShuttingDown-time.Second)
	if got := instanceState(t, s, id); got != "shutting-down" {
		t.Fatalf("%s", got)
	}
	advance(s, time.Second)
	if got := instanceState(t, s, id); got != "terminated" {
		t.Fatalf("%s", got)
	}
	// Idempotent on a terminated instance; still visible to Describe.
	out, err = s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if c := out.TerminatingInstances[0]; c.PreviousState.Name != "terminated" || c.CurrentState.Name != "terminated" {
		t.Fatalf("again: %v -> %v", c.PreviousState.Name, c.CurrentState.Name)
	}
	// It stays visible for an hour after termination, then leaves DescribeInstances.
	advance(s, TerminatedVisible-time.Second)
	if got := instanceState(t, s, id); got != "terminated" {
		t.Fatalf("59m59s later: %s", got)
	}
	advance(s, time.Second)
	_, err = s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	_, err = s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	_, err = s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"i-bad"}})
	wantCode(t, err, "InvalidInstanceID.Malformed")
}

func TestCreateImage(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	out, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{
		InstanceId: aws.String(SeedInstance),
		Name:       aws.String("web-2023-05-14"),
		TagSpecifications: []ec2types.TagSpecification{
			{ResourceType: ec2types.ResourceTypeImage, Tags: []ec2types.Tag{{Key: aws.String("albctl:stack"), Value: aws.String("blog")}}},
			{ResourceType: ec2types.ResourceTypeSnapshot, Tags: []ec2types.Tag{{Key: aws.String("albctl:stack"), Value: aws.String("blog")}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.ImageId)
	if !imageIDRe.MatchString(id) || len(id) != 21 {
		t.Fatalf("image ID %q", id)
	}
	if got := imageState(t, s, id); got != "pending" {
		t.Fatalf("new image %s", got)
	}
	var avail time.Time
	for _, im := range s.World().Images {
		if im.ID == id {
			avail = im.AvailableAt
			if im.Tags["albctl:stack"] != "blog" || im.SourceInstance != SeedInstance {
				t.Errorf("image %+v", im)
			}
		}
	}
	d := avail.Sub(s.Clock().Now())
	if d < ImagePending || d > ImagePending+ImageJitter {
		t.Fatalf("pending for %v, want 4m..5m", d)
	}
	advance(s, d-time.Second)
	if got := imageState(t, s, id); got != "pending" {
		t.Fatalf("1s early: %s", got)
	}
	advance(s, time.Second)
	if got := imageState(t, s, id); got != "available" {
		t.Fatalf("on time: %s", got)
	}
	// By name, as the engine finds it.
	f, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []ec2types.Filter{filter("name", "web-2023-05-14")}})
	if err != nil || len(f.Images) != 1 {
		t.Fatalf("by name: %v %v", f, err)
	}
}

func TestCreateImageRules(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.Images = append(w.Images, Image{ID: "ami-0000000000000dead", Name: "gone", State: "deregistered", Owner: w.AccountID, CreatedAt: w.Now})
	s := New(w, checkRoundTrips(t))
	pendingID := launch(t, s, SeedSubnet1c)
	tests := []struct {
		name string
		in   ec2.CreateImageInput
		want string
	}{
		{"name too short", ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("ab")}, "InvalidAMIName.Malformed"},
		{"name too long", ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String(strings.Repeat("a", 129))}, "InvalidAMIName.Malformed"},
		{"name bad char", ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web:1")}, "InvalidAMIName.Malformed"},
		{"name taken", ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-base-2022-11-01")}, "InvalidAMIName.Duplicate"},
		{"unknown instance", ec2.CreateImageInput{InstanceId: aws.String("i-0123456789abcdef0"), Name: aws.String("web-x")}, "InvalidInstanceID.NotFound"},
		{"pending instance", ec2.CreateImageInput{InstanceId: aws.String(pendingID), Name: aws.String("web-x")}, "IncorrectState"},
		{"instance tag spec refused", ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-x"),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance}}}, "InvalidParameterValue"},
		{"all allowed characters", ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web (x) [y] ./-'@_ 1"), NoReboot: aws.Bool(true)}, ""},
		{"a deregistered image's name is free", ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("gone"), NoReboot: aws.Bool(true)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.EC2().CreateImage(ctx, &tt.in)
			wantCode(t, err, tt.want)
		})
	}
	_, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-base-2022-11-01")})
	wantMessage(t, err, "AMI name web-base-2022-11-01 is already in use by AMI "+SeedImage)
	// A terminated instance cannot be imaged.
	s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{pendingID}})
	advance(s, time.Hour)
	_, err = s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(pendingID), Name: aws.String("web-y")})
	wantCode(t, err, "IncorrectState")
}

func TestDescribeImagesRules(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	tests := []struct {
		name string
		in   ec2.DescribeImagesInput
		want string // count, or "!" + code
	}{
		{"self", ec2.DescribeImagesInput{Owners: []string{"self"}}, "1"},
		{"amazon", ec2.DescribeImagesInput{Owners: []string{"amazon"}}, "0"},
		{"by id", ec2.DescribeImagesInput{ImageIds: []string{SeedImage}}, "1"},
		{"unknown id", ec2.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}}, "!InvalidAMIID.NotFound"},
		{"malformed id", ec2.DescribeImagesInput{ImageIds: []string{"ami-x"}}, "!InvalidAMIID.Malformed"},
		{"filters apply with ids", ec2.DescribeImagesInput{ImageIds: []string{SeedImage}, Filters: []ec2types.Filter{filter("state", "pending")}}, "0"},
		{"name", ec2.DescribeImagesInput{Filters: []ec2types.Filter{filter("name", "web-base-*")}}, "1"},
		{"state", ec2.DescribeImagesInput{Filters: []ec2types.Filter{filter("state", "available")}}, "1"},
		{"tag", ec2.DescribeImagesInput{Filters: []ec2types.Filter{filter("tag:Name", "web-base")}}, "1"},
		{"image-id", ec2.DescribeImagesInput{Filters: []ec2types.Filter{filter("image-id", SeedImage)}}, "1"},
		{"unknown filter", ec2.DescribeImagesInput{Filters: []ec2types.Filter{filter("flavour", "x")}}, "!InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := s.EC2().DescribeImages(ctx, &tt.in)
			if strings.HasPrefix(tt.want, "!") {
				wantCode(t, err, tt.want[1:])
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(len(out.Images)); got != tt.want {
				t.Fatalf("%s images, want %s", got, tt.want)
			}
		})
	}
	_, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}})
	wantMessage(t, err, "The image id '[ami-0123456789abcdef0]' does not exist")
}

func TestDescribeSubnets(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	tests := []struct {
		name string
		in   ec2.DescribeSubnetsInput
		want string
	}{
		{"all", ec2.DescribeSubnetsInput{}, "3"},
		{"by id", ec2.DescribeSubnetsInput{SubnetIds: []string{SeedSubnet1c}}, "1"},
		{"unknown", ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0000000000000dead"}}, "!InvalidSubnetID.NotFound"},
		{"vpc", ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("vpc-id", SeedVPC)}}, "3"},
		{"az", ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("availability-zone", "ap-northeast-1c", "ap-northeast-1d")}}, "2"},
		{"subnet-id", ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("subnet-id", SeedSubnet1a)}}, "1"},
		{"unknown filter", ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("zone", "x")}}, "!InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := s.EC2().DescribeSubnets(ctx, &tt.in)
			if strings.HasPrefix(tt.want, "!") {
				wantCode(t, err, tt.want[1:])
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(len(out.Subnets)); got != tt.want {
				t.Fatalf("%s subnets, want %s", got, tt.want)
			}
		})
	}
	_, err := s.EC2().DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0000000000000dead"}})
	wantMessage(t, err, "The subnet ID 'subnet-0000000000000dead' does not exist")
}

func TestDescribeVpcsAndSecurityGroups(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	v, err := s.EC2().DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(v.Vpcs) != 1 || aws.ToString(v.Vpcs[0].CidrBlock) != "10.0.0.0/16" {
		t.Fatalf("%v %v", v, err)
	}
	_, err = s.EC2().DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0000000000000dead"}})
	wantCode(t, err, "InvalidVpcID.NotFound")
	g, err := s.EC2().DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("group-name", "web-sg")}})
	if err != nil || len(g.SecurityGroups) != 1 || aws.ToString(g.SecurityGroups[0].GroupId) != SeedWebSG {
		t.Fatalf("%v %v", g, err)
	}
	_, err = s.EC2().DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0000000000000dead"}})
	wantCode(t, err, "InvalidGroup.NotFound")
}

func TestAssociateIamInstanceProfile(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	id := launch(t, s, SeedSubnet1c)
	assoc := func(id, name string) error {
		_, err := s.EC2().AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{
			InstanceId: aws.String(id), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String(name)},
		})
		return err
	}
	wantCode(t, assoc(id, "web-app"), "IncorrectState") // pending
	advance(s, time.Minute)
	wantCode(t, assoc(id, "nope"), "InvalidParameterValue")
	wantCode(t, assoc("i-0123456789abcdef0", "web-app"), "InvalidInstanceID.NotFound")
	out, err := s.EC2().AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{
		InstanceId: aws.String(id), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: aws.String(SeedProfileARN)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if a := out.IamInstanceProfileAssociation; !strings.HasPrefix(aws.ToString(a.AssociationId), "iip-assoc-") || aws.ToString(a.IamInstanceProfile.Arn) != SeedProfileARN {
		t.Fatalf("association %+v", a)
	}
	d, _ := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if p := d.Reservations[0].Instances[0].IamInstanceProfile; p == nil || aws.ToString(p.Arn) != SeedProfileARN {
		t.Fatalf("profile not visible at once: %+v", p)
	}
	err = assoc(id, "web-app")
	wantCode(t, err, "IncorrectState")
	wantMessage(t, err, "There is an existing association for instance "+id)
	_, err = s.EC2().AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{
		InstanceId: aws.String(SeedInstance), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: aws.String("arn:bad")},
	})
	wantCode(t, err, "InvalidIamInstanceProfileArn.Malformed")
}

func TestCreateTags(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	tag := []ec2types.Tag{{Key: aws.String("albctl:stack"), Value: aws.String("blog")}}
	_, err := s.EC2().CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{SeedInstance, SeedImage, SeedSubnet1a, SeedVPC, SeedWebSG}, Tags: tag})
	if err != nil {
		t.Fatal(err)
	}
	w := s.World()
	if w.Instances[0].Tags["albctl:stack"] != "blog" || w.Images[0].Tags["albctl:stack"] != "blog" || w.Subnets[0].Tags["albctl:stack"] != "blog" {
		t.Fatal("tags not applied")
	}
	tests := []struct{ id, want string }{
		{"i-0123456789abcdef0", "InvalidInstanceID.NotFound"},
		{"ami-0123456789abcdef0", "InvalidAMIID.NotFound"},
		{"subnet-0000000000000dead", "InvalidSubnetID.NotFound"},
		{"vpc-0000000000000dead", "InvalidVpcID.NotFound"},
		{"sg-0000000000000dead", "InvalidGroup.NotFound"},
		{"eni-0000000000000dead", "InvalidID"},
	}
	for _, tt := range tests {
		_, err := s.EC2().CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{SeedSubnet1c, tt.id}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		wantCode(t, err, tt.want)
	}
	if _, ok := s.World().Subnets[1].Tags["k"]; ok {
		t.Fatal("a failed CreateTags tagged the resources before the bad one")
	}
	_, err = s.EC2().CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{SeedInstance}, Tags: []ec2types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	wantCode(t, err, "InvalidParameterValue")
}
