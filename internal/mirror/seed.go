package mirror

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// Seeded is what Seed did.
type Seeded struct {
	// IDs maps every ID and ARN of the world that Seed created or found (VPCs, subnets,
	// security groups, instance profile ARNs, images, instances, target groups, load
	// balancers, listeners) to the endpoint's.
	IDs map[string]string
	// Created lists the world IDs and ARNs of what Seed created, in the order it created
	// them; the rest of IDs was there already.
	Created []string
	// KeyPairs are the key pairs Seed created, by name (their private keys are not kept).
	KeyPairs []string
}

// Seed creates in an endpoint the resources w describes: VPCs, subnets (same AZs and CIDRs),
// security groups with their rules both ways, network ACLs with their entries and subnet
// associations, IAM instance profiles, key pairs, images (from snapshots like the world's),
// the live instances (with their tags, type, subnet, security groups and profile), target
// groups (port, protocol, health check, attributes), load balancers in the world's subnets
// with their attributes, listeners, and registrations.
//
// It finds before it creates, so a second run creates nothing: VPCs by CIDR and Name tag
// (the default VPC as the endpoint's default VPC), subnets by VPC and CIDR, security groups by
// VPC and name ("default" is the VPC's own), network ACLs by a tag naming the world's ACL (a
// VPC's default ACL is the endpoint's), profiles, key pairs, images, target groups and load
// balancers by name, listeners by port, instances by ClientToken (the world's, else one
// derived from the world's instance ID). Of what it finds it makes what a plan or a
// rehearsal reads match the world: rules, ACL entries and associations, attributes, a load
// balancer's subnets, and registrations. Every create is idempotent under retries: when a
// retried call answers that the thing exists already (its first answer was lost), Seed finds
// it and goes on.
//
// What an endpoint cannot take from a world file is left out or simplified (the list that
// matters for rehearsals is mirror.NotCarried):
//   - an image that an instance uses and the world lacks gets a stand-in named
//     "mirror-<image ID>";
//   - key pairs are created and their private keys thrown away;
//   - pending images and instances are as the endpoint makes them (moto: available and
//     running at once); stopped or stopping instances are stopped after launch;
//   - terminated instances and draining targets are not created; instance profile roles,
//     apps and the time stamps of the world are not copied.
func Seed(ctx context.Context, api SeedAPI, w *simulator.World) (*Seeded, error) {
	s := &seeder{api: api, w: w, out: &Seeded{IDs: map[string]string{}}}
	for _, step := range []func(context.Context) error{
		s.vpcs, s.subnets, s.securityGroups, s.securityGroupRules, s.networkACLs, s.profiles, s.keyPairs, s.images, s.instances,
		s.targetGroups, s.loadBalancers, s.lbAttributes, s.listeners, s.targets,
	} {
		if err := step(ctx); err != nil {
			return s.out, fmt.Errorf("seed: %w", err)
		}
	}
	return s.out, nil
}

type seeder struct {
	api SeedAPI
	w   *simulator.World
	out *Seeded
}

func (s *seeder) found(worldID, endpointID string) { s.out.IDs[worldID] = endpointID }

func (s *seeder) created(worldID, endpointID string) {
	s.out.IDs[worldID] = endpointID
	s.out.Created = append(s.out.Created, worldID)
}

// id returns the endpoint's ID for a world ID, or an error naming what refers to it.
func (s *seeder) id(worldID, what string) (string, error) {
	if v, ok := s.out.IDs[worldID]; ok {
		return v, nil
	}
	return "", fmt.Errorf("%s: %s was not seeded", what, worldID)
}

func tagSpec(rt ec2types.ResourceType, tags map[string]string) []ec2types.TagSpecification {
	if len(tags) == 0 {
		return nil
	}
	return []ec2types.TagSpecification{{ResourceType: rt, Tags: cloud.EC2Tags(tags)}}
}

func (s *seeder) vpcs(ctx context.Context) error {
	var have []ec2types.Vpc
	p := ec2.NewDescribeVpcsPaginator(s.api.EC2, &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe vpcs: %w", err)
		}
		have = append(have, page.Vpcs...)
	}
	for _, v := range s.w.VPCs {
		var match []string
		for _, h := range have {
			switch {
			case v.IsDefault && aws.ToBool(h.IsDefault):
				match = append(match, aws.ToString(h.VpcId))
			case !v.IsDefault && !aws.ToBool(h.IsDefault) && aws.ToString(h.CidrBlock) == v.CIDR && cloud.TagMap(h.Tags)["Name"] == v.Tags["Name"]:
				match = append(match, aws.ToString(h.VpcId))
			}
		}
		slices.Sort(match)
		switch {
		case len(match) > 1:
			return fmt.Errorf("vpc %s: %d VPCs match (CIDR %s, Name %q): %v", v.ID, len(match), v.CIDR, v.Tags["Name"], match)
		case len(match) == 1:
			s.found(v.ID, match[0])
			continue
		case v.IsDefault:
			return fmt.Errorf("vpc %s is the default VPC, and the endpoint has none", v.ID)
		}
		out, err := s.api.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{
			CidrBlock:         aws.String(v.CIDR),
			TagSpecifications: tagSpec(ec2types.ResourceTypeVpc, v.Tags),
		})
		if err != nil {
			return fmt.Errorf("create vpc %s: %w", v.ID, err)
		}
		s.created(v.ID, aws.ToString(out.Vpc.VpcId))
	}
	return nil
}

func (s *seeder) subnets(ctx context.Context) error {
	byVPC := map[string][]ec2types.Subnet{}
	for _, sn := range s.w.Subnets {
		vpc, err := s.id(sn.VPC, "subnet "+sn.ID)
		if err != nil {
			return err
		}
		have, ok := byVPC[vpc]
		if !ok {
			p := ec2.NewDescribeSubnetsPaginator(s.api.EC2, &ec2.DescribeSubnetsInput{
				Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}},
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("describe subnets of %s: %w", vpc, err)
				}
				have = append(have, page.Subnets...)
			}
			byVPC[vpc] = have
		}
		i := slices.IndexFunc(have, func(h ec2types.Subnet) bool { return aws.ToString(h.CidrBlock) == sn.CIDR })
		if i >= 0 {
			if az := aws.ToString(have[i].AvailabilityZone); az != sn.AZ {
				return fmt.Errorf("subnet %s: the endpoint's subnet %s with CIDR %s is in %s, not %s", sn.ID, aws.ToString(have[i].SubnetId), sn.CIDR, az, sn.AZ)
			}
			s.found(sn.ID, aws.ToString(have[i].SubnetId))
			continue
		}
		out, err := s.api.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId:             aws.String(vpc),
			CidrBlock:         aws.String(sn.CIDR),
			AvailabilityZone:  aws.String(sn.AZ),
			TagSpecifications: tagSpec(ec2types.ResourceTypeSubnet, sn.Tags),
		})
		if duplicate(err, "InvalidSubnet.Conflict") {
			// A retry of a create whose answer was lost: the subnet with that CIDR is there.
			again, err := s.api.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
				{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("cidr-block"), Values: []string{sn.CIDR}},
			}})
			if err != nil || len(again.Subnets) != 1 {
				return fmt.Errorf("subnet %s: created, then not found: %w", sn.ID, err)
			}
			s.created(sn.ID, aws.ToString(again.Subnets[0].SubnetId))
			byVPC[vpc] = append(byVPC[vpc], again.Subnets[0])
			continue
		}
		if err != nil {
			return fmt.Errorf("create subnet %s (%s in %s): %w", sn.ID, sn.CIDR, sn.AZ, err)
		}
		s.created(sn.ID, aws.ToString(out.Subnet.SubnetId))
	}
	return nil
}

func (s *seeder) securityGroups(ctx context.Context) error {
	for _, g := range s.w.SecurityGroups {
		vpc, err := s.id(g.VPC, "security group "+g.ID)
		if err != nil {
			return err
		}
		have, err := s.api.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
			Filters: []ec2types.Filter{
				{Name: aws.String("vpc-id"), Values: []string{vpc}},
				{Name: aws.String("group-name"), Values: []string{g.Name}},
			},
		})
		if err != nil {
			return fmt.Errorf("describe security group %s: %w", g.Name, err)
		}
		if i := slices.IndexFunc(have.SecurityGroups, func(h ec2types.SecurityGroup) bool {
			return aws.ToString(h.GroupName) == g.Name && aws.ToString(h.VpcId) == vpc
		}); i >= 0 {
			s.found(g.ID, aws.ToString(have.SecurityGroups[i].GroupId))
			continue
		}
		if g.Name == "default" {
			return fmt.Errorf("security group %s: VPC %s has no default security group", g.ID, vpc)
		}
		desc := cmp.Or(g.Description, g.Name)
		out, err := s.api.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName:         aws.String(g.Name),
			Description:       aws.String(desc),
			VpcId:             aws.String(vpc),
			TagSpecifications: tagSpec(ec2types.ResourceTypeSecurityGroup, g.Tags),
		})
		if duplicate(err, "InvalidGroup.Duplicate") {
			again, err := s.api.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
				{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("group-name"), Values: []string{g.Name}},
			}})
			if err != nil || len(again.SecurityGroups) != 1 {
				return fmt.Errorf("security group %s: created, then not found: %w", g.Name, err)
			}
			s.created(g.ID, aws.ToString(again.SecurityGroups[0].GroupId))
			continue
		}
		if err != nil {
			return fmt.Errorf("create security group %s: %w", g.Name, err)
		}
		s.created(g.ID, aws.ToString(out.GroupId))
	}
	return nil
}

// profileNameAndPath splits an instance profile ARN
// (arn:aws:iam::123456789012:instance-profile/path/name) into its name and path.
func profileNameAndPath(arn string) (name, path string, ok bool) {
	_, res, found := strings.Cut(arn, ":instance-profile/")
	if !found || res == "" || strings.HasSuffix(res, "/") {
		return "", "", false
	}
	i := strings.LastIndex(res, "/")
	return res[i+1:], "/" + res[:i+1], true
}

func (s *seeder) profiles(ctx context.Context) error {
	arns := map[string]string{} // world ARN -> name
	for _, p := range s.w.InstanceProfiles {
		arns[p.ARN] = p.Name
	}
	for _, in := range s.w.Instances {
		if in.IAMProfileARN != "" && arns[in.IAMProfileARN] == "" {
			name, _, ok := profileNameAndPath(in.IAMProfileARN)
			if !ok {
				return fmt.Errorf("instance %s: %q is not an instance profile ARN", in.ID, in.IAMProfileARN)
			}
			arns[in.IAMProfileARN] = name
		}
	}
	for _, arn := range slices.Sorted(maps.Keys(arns)) {
		name := arns[arn]
		_, path, ok := profileNameAndPath(arn)
		if !ok {
			path = "/"
		}
		got, err := s.api.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
		if err == nil {
			s.found(arn, aws.ToString(got.InstanceProfile.Arn))
			continue
		}
		if cloud.ErrorCode(err) != "NoSuchEntity" {
			return fmt.Errorf("get instance profile %s: %w", name, err)
		}
		out, err := s.api.IAM.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{
			InstanceProfileName: aws.String(name),
			Path:                aws.String(path),
		})
		if duplicate(err, "EntityAlreadyExists") {
			// A retry of a create whose answer was lost: the profile is there.
			got, err := s.api.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
			if err != nil {
				return fmt.Errorf("instance profile %s: created, then: %w", name, err)
			}
			s.created(arn, aws.ToString(got.InstanceProfile.Arn))
			continue
		}
		if err != nil {
			return fmt.Errorf("create instance profile %s: %w", name, err)
		}
		s.created(arn, aws.ToString(out.InstanceProfile.Arn))
	}
	return nil
}

func (s *seeder) keyPairs(ctx context.Context) error {
	names := map[string]bool{}
	for _, in := range s.liveInstances() {
		if in.Key != "" {
			names[in.Key] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		_, err := s.api.EC2.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{name}})
		if err == nil {
			continue
		}
		if cloud.ErrorCode(err) != "InvalidKeyPair.NotFound" {
			return fmt.Errorf("describe key pair %s: %w", name, err)
		}
		// The private key is not kept: nobody logs in to a rehearsal's instances.
		if _, err := s.api.EC2.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String(name)}); err != nil && !duplicate(err, "InvalidKeyPair.Duplicate") {
			return fmt.Errorf("create key pair %s: %w", name, err)
		}
		s.out.KeyPairs = append(s.out.KeyPairs, name)
	}
	return nil
}

// imageGone reports whether an image state means it can no longer be used.
func imageGone(state string) bool {
	switch state {
	case "deregistered", "failed", "invalid", "error":
		return true
	}
	return false
}

func (s *seeder) images(ctx context.Context) error {
	type want struct {
		id, name, desc string
		tags           map[string]string
		snapshots      []string
	}
	var wants []want
	known := map[string]bool{}
	for _, im := range s.w.Images {
		if imageGone(im.State) {
			continue
		}
		wants = append(wants, want{im.ID, im.Name, im.Description, im.Tags, im.Snapshots})
		known[im.ID] = true
	}
	var standIns []string
	for _, in := range s.liveInstances() {
		if !known[in.Image] && !slices.Contains(standIns, in.Image) {
			standIns = append(standIns, in.Image)
		}
	}
	slices.Sort(standIns)
	for _, id := range standIns {
		wants = append(wants, want{id, "mirror-" + id, "stand-in for " + id + ", which the world file does not describe", nil, nil})
	}
	for _, im := range wants {
		have, err := s.api.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{
			Owners:  []string{"self"},
			Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{im.name}}},
		})
		if err != nil {
			return fmt.Errorf("describe image %s: %w", im.name, err)
		}
		if i := slices.IndexFunc(have.Images, func(h ec2types.Image) bool {
			return aws.ToString(h.Name) == im.name && !imageGone(string(h.State))
		}); i >= 0 {
			s.found(im.id, aws.ToString(have.Images[i].ImageId))
			continue
		}
		in := &ec2.RegisterImageInput{
			Name:               aws.String(im.name),
			Architecture:       ec2types.ArchitectureValuesX8664,
			RootDeviceName:     aws.String("/dev/xvda"),
			VirtualizationType: aws.String("hvm"),
		}
		if im.desc != "" {
			in.Description = aws.String(im.desc)
		}
		for i, sn := range im.snapshots {
			id, err := s.snapshot(ctx, sn)
			if err != nil {
				return fmt.Errorf("image %s: %w", im.name, err)
			}
			in.BlockDeviceMappings = append(in.BlockDeviceMappings, ec2types.BlockDeviceMapping{
				DeviceName: aws.String(deviceName(i)), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String(id)},
			})
		}
		out, err := s.api.EC2.RegisterImage(ctx, in)
		if duplicate(err, "InvalidAMIName.Duplicate") {
			again, err := s.api.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{im.name}}}})
			if err != nil || len(again.Images) == 0 {
				return fmt.Errorf("image %s: registered, then not found: %w", im.name, err)
			}
			out = &ec2.RegisterImageOutput{ImageId: again.Images[0].ImageId}
		} else if err != nil {
			return fmt.Errorf("register image %s: %w", im.name, err)
		}
		id := aws.ToString(out.ImageId)
		if len(im.tags) > 0 {
			if _, err := s.api.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: cloud.EC2Tags(im.tags)}); err != nil {
				return fmt.Errorf("tag image %s: %w", im.name, err)
			}
		}
		s.created(im.id, id)
	}
	return nil
}

// liveInstances returns the world's instances that are not terminated or terminating, in
// launch order.
func (s *seeder) liveInstances() []simulator.Instance {
	var out []simulator.Instance
	for _, in := range s.w.Instances {
		if in.State != "terminated" && in.State != "shutting-down" {
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b simulator.Instance) int {
		return cmp.Or(a.LaunchTime.Compare(b.LaunchTime), strings.Compare(a.ID, b.ID))
	})
	return out
}

// clientToken is the token Seed launches a world instance with: the world's own, else one
// derived from its ID, so that a second Seed finds the instance instead of launching again.
func clientToken(in simulator.Instance) string {
	if in.ClientToken != "" {
		return in.ClientToken
	}
	return "albctl-mirror-" + in.ID
}

func (s *seeder) instances(ctx context.Context) error {
	for _, in := range s.liveInstances() {
		subnet, err := s.id(in.Subnet, "instance "+in.ID)
		if err != nil {
			return err
		}
		token := clientToken(in)
		// moto does not honour ClientToken, and filters on it are not portable: look.
		have, err := s.describeInstances(ctx, []ec2types.Filter{
			{Name: aws.String("subnet-id"), Values: []string{subnet}},
			{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
		})
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(have, func(h ec2types.Instance) bool { return aws.ToString(h.ClientToken) == token }); i >= 0 {
			s.found(in.ID, aws.ToString(have[i].InstanceId))
			continue
		}
		image, err := s.id(in.Image, "instance "+in.ID)
		if err != nil {
			return err
		}
		run := &ec2.RunInstancesInput{
			ImageId:           aws.String(image),
			InstanceType:      ec2types.InstanceType(in.Type),
			MinCount:          aws.Int32(1),
			MaxCount:          aws.Int32(1),
			SubnetId:          aws.String(subnet),
			ClientToken:       aws.String(token),
			TagSpecifications: tagSpec(ec2types.ResourceTypeInstance, in.Tags),
		}
		for _, g := range in.SecurityGroups {
			id, err := s.id(g, "instance "+in.ID)
			if err != nil {
				return err
			}
			run.SecurityGroupIds = append(run.SecurityGroupIds, id)
		}
		if in.Key != "" {
			run.KeyName = aws.String(in.Key)
		}
		if in.IAMProfileARN != "" {
			arn, err := s.id(in.IAMProfileARN, "instance "+in.ID)
			if err != nil {
				return err
			}
			run.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Arn: aws.String(arn)}
		}
		out, err := s.runInstance(ctx, run)
		if err != nil {
			return fmt.Errorf("launch instance %s: %w", in.ID, err)
		}
		id := aws.ToString(out.Instances[0].InstanceId)
		s.created(in.ID, id)
		if in.State == "stopped" || in.State == "stopping" {
			if _, err := s.api.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
				return fmt.Errorf("stop instance %s: %w", in.ID, err)
			}
		}
	}
	return nil
}

// runInstance launches one instance, retrying for a while when EC2 does not know a new
// instance profile yet (IAM propagation on AWS; moto knows it at once).
func (s *seeder) runInstance(ctx context.Context, in *ec2.RunInstancesInput) (*ec2.RunInstancesOutput, error) {
	const tries = 10
	for i := 1; ; i++ {
		out, err := s.api.EC2.RunInstances(ctx, in)
		if err == nil {
			if len(out.Instances) != 1 {
				return nil, fmt.Errorf("RunInstances returned %d instances, want 1", len(out.Instances))
			}
			return out, nil
		}
		if i == tries || cloud.ErrorCode(err) != "InvalidParameterValue" || !strings.Contains(strings.ToLower(err.Error()), "iaminstanceprofile") {
			return nil, err
		}
		t := time.NewTimer(2 * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func (s *seeder) describeInstances(ctx context.Context, filters []ec2types.Filter) ([]ec2types.Instance, error) {
	var out []ec2types.Instance
	p := ec2.NewDescribeInstancesPaginator(s.api.EC2, &ec2.DescribeInstancesInput{Filters: filters, MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instances: %w", err)
		}
		for _, r := range page.Reservations {
			out = append(out, r.Instances...)
		}
	}
	return out, nil
}

func seconds(d clock.Duration) *int32 {
	if d <= 0 {
		return nil
	}
	return aws.Int32(int32(d.D() / time.Second))
}

func (s *seeder) targetGroups(ctx context.Context) error {
	defaults, err := simulatorDefaults()
	if err != nil {
		return err
	}
	for _, tg := range s.w.TargetGroups {
		arn, err := s.targetGroup(ctx, tg)
		if err != nil {
			return err
		}
		have, err := s.api.ELBV2.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(arn)})
		if err != nil {
			return fmt.Errorf("target group %s: describe attributes: %w", tg.Name, err)
		}
		now := map[string]string{}
		for _, a := range have.Attributes {
			now[aws.ToString(a.Key)] = aws.ToString(a.Value)
		}
		// Set whatever the endpoint says differently, and what it does not list when the
		// world changed it from AWS's default. moto lists some keys only once they are set
		// (stickiness.lb_cookie.duration_seconds): with stickiness on, every key of its type
		// is set, so that a plan reading them finds them.
		sticky := ""
		if tg.Attributes["stickiness.enabled"] == "true" {
			sticky = "stickiness." + tg.Attributes["stickiness.type"] + "."
		}
		var attrs []elbtypes.TargetGroupAttribute
		for _, k := range slices.Sorted(maps.Keys(tg.Attributes)) {
			v := tg.Attributes[k]
			cur, listed := now[k]
			if (listed && cur != v) || (!listed && (v != defaults[k] || (sticky != "" && strings.HasPrefix(k, sticky)))) {
				attrs = append(attrs, elbtypes.TargetGroupAttribute{Key: aws.String(k), Value: aws.String(v)})
			}
		}
		if len(attrs) == 0 {
			continue
		}
		if _, err := s.api.ELBV2.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{
			TargetGroupArn: aws.String(arn), Attributes: attrs,
		}); err != nil {
			return fmt.Errorf("target group %s: set attributes: %w", tg.Name, err)
		}
	}
	return nil
}

func (s *seeder) targetGroup(ctx context.Context, tg simulator.TargetGroup) (string, error) {
	got, err := s.api.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{tg.Name}})
	switch {
	case err == nil && len(got.TargetGroups) > 0:
		arn := aws.ToString(got.TargetGroups[0].TargetGroupArn)
		s.found(tg.ARN, arn)
		return arn, nil
	case err != nil && cloud.ErrorCode(err) != "TargetGroupNotFound":
		return "", fmt.Errorf("describe target group %s: %w", tg.Name, err)
	}
	vpc, err := s.id(tg.VPC, "target group "+tg.Name)
	if err != nil {
		return "", err
	}
	hc := tg.HealthCheck
	in := &elbv2.CreateTargetGroupInput{
		Name:                       aws.String(tg.Name),
		Protocol:                   elbtypes.ProtocolEnum(tg.Protocol),
		Port:                       aws.Int32(tg.Port),
		VpcId:                      aws.String(vpc),
		TargetType:                 elbtypes.TargetTypeEnumInstance,
		HealthCheckProtocol:        elbtypes.ProtocolEnum(cmp.Or(hc.Protocol, tg.Protocol)),
		HealthCheckIntervalSeconds: seconds(hc.Interval),
		HealthCheckTimeoutSeconds:  seconds(hc.Timeout),
	}
	if hc.Path != "" {
		in.HealthCheckPath = aws.String(hc.Path)
	}
	if hc.Port != "" {
		in.HealthCheckPort = aws.String(hc.Port)
	}
	if hc.HealthyThreshold > 0 {
		in.HealthyThresholdCount = aws.Int32(hc.HealthyThreshold)
	}
	if hc.UnhealthyThreshold > 0 {
		in.UnhealthyThresholdCount = aws.Int32(hc.UnhealthyThreshold)
	}
	if hc.Matcher != "" {
		in.Matcher = &elbtypes.Matcher{HttpCode: aws.String(hc.Matcher)}
	}
	out, err := s.api.ELBV2.CreateTargetGroup(ctx, in)
	if duplicate(err, "DuplicateTargetGroupName") {
		again, err := s.api.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{tg.Name}})
		if err != nil || len(again.TargetGroups) == 0 {
			return "", fmt.Errorf("target group %s: created, then not found: %w", tg.Name, err)
		}
		out = &elbv2.CreateTargetGroupOutput{TargetGroups: again.TargetGroups}
	} else if err != nil {
		return "", fmt.Errorf("create target group %s: %w", tg.Name, err)
	}
	arn := aws.ToString(out.TargetGroups[0].TargetGroupArn)
	s.created(tg.ARN, arn)
	return arn, nil
}

func (s *seeder) loadBalancers(ctx context.Context) error {
	for _, lb := range s.w.LoadBalancers {
		var subnets, groups []string
		for _, z := range lb.Subnets {
			id, err := s.id(z.Subnet, "load balancer "+lb.Name)
			if err != nil {
				return err
			}
			subnets = append(subnets, id)
		}
		slices.Sort(subnets)
		for _, g := range lb.SecurityGroups {
			id, err := s.id(g, "load balancer "+lb.Name)
			if err != nil {
				return err
			}
			groups = append(groups, id)
		}
		got, err := s.api.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{lb.Name}})
		if err != nil && cloud.ErrorCode(err) != "LoadBalancerNotFound" {
			return fmt.Errorf("describe load balancer %s: %w", lb.Name, err)
		}
		if err == nil && len(got.LoadBalancers) > 0 {
			have := got.LoadBalancers[0]
			arn := aws.ToString(have.LoadBalancerArn)
			s.found(lb.ARN, arn)
			var now []string
			for _, z := range have.AvailabilityZones {
				now = append(now, aws.ToString(z.SubnetId))
			}
			slices.Sort(now)
			if !slices.Equal(now, subnets) {
				if _, err := s.api.ELBV2.SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(arn), Subnets: subnets}); err != nil {
					return fmt.Errorf("load balancer %s: set subnets: %w", lb.Name, err)
				}
			}
			continue
		}
		in := &elbv2.CreateLoadBalancerInput{
			Name:           aws.String(lb.Name),
			Subnets:        subnets,
			SecurityGroups: groups,
			Type:           elbtypes.LoadBalancerTypeEnumApplication,
		}
		if lb.Scheme != "" {
			in.Scheme = elbtypes.LoadBalancerSchemeEnum(lb.Scheme)
		}
		out, err := s.api.ELBV2.CreateLoadBalancer(ctx, in)
		if duplicate(err, "DuplicateLoadBalancerName") {
			again, err := s.api.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{lb.Name}})
			if err != nil || len(again.LoadBalancers) == 0 {
				return fmt.Errorf("load balancer %s: created, then not found: %w", lb.Name, err)
			}
			out = &elbv2.CreateLoadBalancerOutput{LoadBalancers: again.LoadBalancers}
		} else if err != nil {
			return fmt.Errorf("create load balancer %s: %w", lb.Name, err)
		}
		s.created(lb.ARN, aws.ToString(out.LoadBalancers[0].LoadBalancerArn))
	}
	return nil
}

func (s *seeder) listeners(ctx context.Context) error {
	for _, l := range s.w.Listeners {
		lb, err := s.id(l.LoadBalancer, "listener "+l.ARN)
		if err != nil {
			return err
		}
		tg, err := s.id(l.TargetGroup, "listener "+l.ARN)
		if err != nil {
			return err
		}
		var have []elbtypes.Listener
		p := elbv2.NewDescribeListenersPaginator(s.api.ELBV2, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lb)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe listeners of %s: %w", lb, err)
			}
			have = append(have, page.Listeners...)
		}
		if i := slices.IndexFunc(have, func(h elbtypes.Listener) bool { return aws.ToInt32(h.Port) == l.Port }); i >= 0 {
			s.found(l.ARN, aws.ToString(have[i].ListenerArn))
			continue
		}
		out, err := s.api.ELBV2.CreateListener(ctx, &elbv2.CreateListenerInput{
			LoadBalancerArn: aws.String(lb),
			Port:            aws.Int32(l.Port),
			Protocol:        elbtypes.ProtocolEnum(l.Protocol),
			DefaultActions:  []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}},
		})
		if duplicate(err, "DuplicateListener") {
			again, err := s.api.ELBV2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lb)})
			if err != nil {
				return fmt.Errorf("listener %s: created, then: %w", l.ARN, err)
			}
			i := slices.IndexFunc(again.Listeners, func(h elbtypes.Listener) bool { return aws.ToInt32(h.Port) == l.Port })
			if i < 0 {
				return fmt.Errorf("listener %s: created, then not found", l.ARN)
			}
			out = &elbv2.CreateListenerOutput{Listeners: again.Listeners[i : i+1]}
		} else if err != nil {
			return fmt.Errorf("create listener %s: %w", l.ARN, err)
		}
		s.created(l.ARN, aws.ToString(out.Listeners[0].ListenerArn))
	}
	return nil
}

// targets registers every target that is not draining; registering a registered target
// again changes nothing.
func (s *seeder) targets(ctx context.Context) error {
	for _, tg := range s.w.TargetGroups {
		arn, err := s.id(tg.ARN, "target group "+tg.Name)
		if err != nil {
			return err
		}
		var targets []elbtypes.TargetDescription
		for _, t := range tg.Targets {
			if !t.DeregisteredAt.IsZero() {
				continue
			}
			id, ok := s.out.IDs[t.ID]
			if !ok {
				continue // a terminated instance: AWS deregisters it by itself
			}
			targets = append(targets, elbtypes.TargetDescription{Id: aws.String(id), Port: aws.Int32(t.Port)})
		}
		if len(targets) == 0 {
			continue
		}
		if _, err := s.api.ELBV2.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: targets}); err != nil {
			return fmt.Errorf("target group %s: register targets: %w", tg.Name, err)
		}
	}
	return nil
}

// deviceName is the device of an image's i-th block device: the root first.
func deviceName(i int) string {
	if i == 0 {
		return "/dev/xvda"
	}
	return "/dev/sd" + string(rune('a'+i))
}

// snapshot makes an EBS snapshot like the world's (a volume of its size, snapshotted) for
// an image to be registered with: AWS registers an image from its snapshots.
func (s *seeder) snapshot(ctx context.Context, worldID string) (string, error) {
	if id, ok := s.out.IDs[worldID]; ok {
		return id, nil
	}
	i := slices.IndexFunc(s.w.Snapshots, func(sn simulator.Snapshot) bool { return sn.ID == worldID })
	if i < 0 {
		return "", fmt.Errorf("snapshot %s is not in the world", worldID)
	}
	sn := s.w.Snapshots[i]
	if len(s.w.Subnets) == 0 {
		return "", fmt.Errorf("snapshot %s: no zone to make its volume in (the world has no subnet)", worldID)
	}
	vol, err := s.api.EC2.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(s.w.Subnets[0].AZ), Size: aws.Int32(max(sn.VolumeSize, 1))})
	if err != nil {
		return "", fmt.Errorf("snapshot %s: create volume: %w", worldID, err)
	}
	in := &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId}
	if sn.Description != "" {
		in.Description = aws.String(sn.Description)
	}
	out, err := s.api.EC2.CreateSnapshot(ctx, in)
	if err != nil {
		return "", fmt.Errorf("snapshot %s: %w", worldID, err)
	}
	// Tagged after, not with tag specifications: moto refuses those on snapshots
	// (docs/aws-semantics.md, "Where moto differs").
	if len(sn.Tags) > 0 {
		if _, err := s.api.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(out.SnapshotId)}, Tags: cloud.EC2Tags(sn.Tags)}); err != nil {
			return "", fmt.Errorf("tag snapshot %s: %w", worldID, err)
		}
	}
	s.created(worldID, aws.ToString(out.SnapshotId))
	return aws.ToString(out.SnapshotId), nil
}
