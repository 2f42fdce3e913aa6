package cloud

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/specs"
)

// liveStates are the instance states that still count: a terminated or terminating instance is
// neither a source nor a member.
var liveStates = []string{"pending", "running", "stopping", "stopped"}

// filterChunk is the most values EC2 accepts in one filter.
const filterChunk = 200

// Observe reads what exists for stack. The number of calls depends on the number of target
// groups, load balancers and instance profiles in the stack and on result pages, never on the
// number of instances: members are found by tag filter, not one by one. World.Region is left
// for the caller, who knows which region its clients talk to.
func Observe(ctx context.Context, api API, stack *specs.Stack) (*World, error) {
	w := &World{}
	o := observer{api: api, w: w}
	if err := o.targetGroups(ctx, stack); err != nil {
		return nil, err
	}
	if err := o.loadBalancers(ctx, stack); err != nil {
		return nil, err
	}
	if err := o.instances(ctx, stack); err != nil {
		return nil, err
	}
	if err := o.images(ctx, stack); err != nil {
		return nil, err
	}
	if err := o.imageUsers(ctx); err != nil {
		return nil, err
	}
	if err := o.subnets(ctx); err != nil {
		return nil, err
	}
	if err := o.profiles(ctx, stack); err != nil {
		return nil, err
	}
	if err := o.offerings(ctx, stack); err != nil {
		return nil, err
	}
	w.sort()
	return w, nil
}

type observer struct {
	api API
	w   *World
}

// byName describes things by name in one call. ELBv2 fails the whole call when one name is
// unknown (notFound), so then it asks name by name to learn which ones are missing.
func byName[T any](ctx context.Context, names []string, describe func(context.Context, []string) ([]T, error), notFound string) (found []T, missing []string, err error) {
	found, err = describe(ctx, names)
	if ErrorCode(err) != notFound {
		return found, nil, err
	}
	found = nil
	for _, n := range names {
		one, err := describe(ctx, []string{n})
		if ErrorCode(err) == notFound {
			missing = append(missing, n)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		found = append(found, one...)
	}
	return found, missing, nil
}

func (o *observer) targetGroups(ctx context.Context, stack *specs.Stack) error {
	var names []string
	for _, tg := range stack.TargetGroups {
		names = append(names, tg.Name)
	}
	if len(names) == 0 {
		return nil
	}
	found, missing, err := byName(ctx, names, o.describeTargetGroups, "TargetGroupNotFound")
	if err != nil {
		return err
	}
	for _, n := range missing {
		o.w.Missing = append(o.w.Missing, "target group "+n)
	}
	for _, tg := range found {
		t := TargetGroup{
			ARN:              aws.ToString(tg.TargetGroupArn),
			Name:             aws.ToString(tg.TargetGroupName),
			VpcID:            aws.ToString(tg.VpcId),
			Protocol:         string(tg.Protocol),
			Port:             aws.ToInt32(tg.Port),
			LoadBalancerARNs: slices.Sorted(slices.Values(tg.LoadBalancerArns)),
			HealthCheck: HealthCheck{
				Path:               aws.ToString(tg.HealthCheckPath),
				IntervalSeconds:    aws.ToInt32(tg.HealthCheckIntervalSeconds),
				TimeoutSeconds:     aws.ToInt32(tg.HealthCheckTimeoutSeconds),
				HealthyThreshold:   aws.ToInt32(tg.HealthyThresholdCount),
				UnhealthyThreshold: aws.ToInt32(tg.UnhealthyThresholdCount),
			},
		}
		if tg.Matcher != nil {
			t.HealthCheck.Matcher = aws.ToString(tg.Matcher.HttpCode)
		}
		attrs, err := o.api.ELBV2.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			return fmt.Errorf("target group %s: attributes: %w", t.Name, err)
		}
		t.Attributes = map[string]string{}
		for _, a := range attrs.Attributes {
			t.Attributes[aws.ToString(a.Key)] = aws.ToString(a.Value)
		}
		health, err := o.api.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			return fmt.Errorf("target group %s: target health: %w", t.Name, err)
		}
		for _, d := range health.TargetHealthDescriptions {
			tt := Target{ID: aws.ToString(d.Target.Id), Port: aws.ToInt32(d.Target.Port)}
			if d.TargetHealth != nil {
				tt.State = string(d.TargetHealth.State)
				tt.Reason = string(d.TargetHealth.Reason)
			}
			t.Targets = append(t.Targets, tt)
		}
		o.w.TargetGroups = append(o.w.TargetGroups, t)
	}
	return nil
}

func (o *observer) describeTargetGroups(ctx context.Context, names []string) ([]elbtypes.TargetGroup, error) {
	var out []elbtypes.TargetGroup
	p := elbv2.NewDescribeTargetGroupsPaginator(o.api.ELBV2, &elbv2.DescribeTargetGroupsInput{Names: names})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe target groups %v: %w", names, err)
		}
		out = append(out, page.TargetGroups...)
	}
	return out, nil
}

func (o *observer) loadBalancers(ctx context.Context, stack *specs.Stack) error {
	var names []string
	for _, lb := range stack.LoadBalancers {
		names = append(names, lb.Name)
	}
	if len(names) == 0 {
		return nil
	}
	found, missing, err := byName(ctx, names, o.describeLoadBalancers, "LoadBalancerNotFound")
	if err != nil {
		return err
	}
	for _, n := range missing {
		o.w.Missing = append(o.w.Missing, "load balancer "+n)
	}
	for _, lb := range found {
		l := LoadBalancer{
			ARN:   aws.ToString(lb.LoadBalancerArn),
			Name:  aws.ToString(lb.LoadBalancerName),
			VpcID: aws.ToString(lb.VpcId),
		}
		if lb.State != nil {
			l.State = string(lb.State.Code)
		}
		for _, z := range lb.AvailabilityZones {
			l.Zones = append(l.Zones, LBZone{AZ: aws.ToString(z.ZoneName), SubnetID: aws.ToString(z.SubnetId)})
		}
		sort.Slice(l.Zones, func(i, j int) bool { return l.Zones[i].AZ < l.Zones[j].AZ })
		o.w.LoadBalancers = append(o.w.LoadBalancers, l)
	}
	return nil
}

func (o *observer) describeLoadBalancers(ctx context.Context, names []string) ([]elbtypes.LoadBalancer, error) {
	var out []elbtypes.LoadBalancer
	p := elbv2.NewDescribeLoadBalancersPaginator(o.api.ELBV2, &elbv2.DescribeLoadBalancersInput{Names: names})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe load balancers %v: %w", names, err)
		}
		out = append(out, page.LoadBalancers...)
	}
	return out, nil
}

// instances finds every fleet's source (by ID or Name tag), every member albctl launched (by
// tag), and every registered target not already seen (by ID, in chunks).
func (o *observer) instances(ctx context.Context, stack *specs.Stack) error {
	seen := map[string]bool{}
	add := func(list []ec2types.Instance) {
		for _, in := range list {
			id := aws.ToString(in.InstanceId)
			if seen[id] {
				continue
			}
			seen[id] = true
			o.w.Instances = append(o.w.Instances, instanceFrom(in))
		}
	}
	var ids, names, fleets []string
	for _, f := range stack.Fleets {
		if IsInstanceID(f.Source) {
			ids = append(ids, f.Source)
		} else {
			names = append(names, f.Source)
		}
		fleets = append(fleets, f.Label)
	}
	states := ec2types.Filter{Name: aws.String("instance-state-name"), Values: liveStates}
	queries := [][]ec2types.Filter{}
	for _, chunk := range chunks(ids) {
		queries = append(queries, []ec2types.Filter{{Name: aws.String("instance-id"), Values: chunk}, states})
	}
	for _, chunk := range chunks(names) {
		queries = append(queries, []ec2types.Filter{{Name: aws.String("tag:Name"), Values: chunk}, states})
	}
	for _, chunk := range chunks(fleets) {
		queries = append(queries, []ec2types.Filter{{Name: aws.String("tag:" + TagFleet), Values: chunk}, states})
	}
	for _, q := range queries {
		if err := o.describeInstances(ctx, q, add); err != nil {
			return err
		}
	}
	// Targets registered by hand (or by an older tool) still hold traffic: know their zones.
	var unknown []string
	asked := map[string]bool{}
	for _, tg := range o.w.TargetGroups {
		for _, t := range tg.Targets {
			if !seen[t.ID] && !asked[t.ID] && IsInstanceID(t.ID) {
				asked[t.ID] = true
				unknown = append(unknown, t.ID)
			}
		}
	}
	sort.Strings(unknown)
	for _, chunk := range chunks(unknown) {
		if err := o.describeInstances(ctx, []ec2types.Filter{{Name: aws.String("instance-id"), Values: chunk}}, add); err != nil {
			return err
		}
	}
	for _, f := range stack.Fleets {
		if _, ok := o.w.sourceFound(f.Source); !ok {
			o.w.Missing = append(o.w.Missing, fmt.Sprintf("instance %s (source of fleet %q)", f.Source, f.Label))
		}
	}
	return nil
}

// describeInstances hands each reservation's instances to add as the pages arrive, so that
// no more than one page of SDK values is held at a time.
func (o *observer) describeInstances(ctx context.Context, filters []ec2types.Filter, add func([]ec2types.Instance)) error {
	p := ec2.NewDescribeInstancesPaginator(o.api.EC2, &ec2.DescribeInstancesInput{Filters: filters, MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe instances: %w", err)
		}
		o.w.Instances = slices.Grow(o.w.Instances, len(page.Reservations))
		for _, r := range page.Reservations {
			add(r.Instances)
		}
	}
	return nil
}

func instanceFrom(in ec2types.Instance) Instance {
	i := Instance{
		ID:           aws.ToString(in.InstanceId),
		SubnetID:     aws.ToString(in.SubnetId),
		VpcID:        aws.ToString(in.VpcId),
		ImageID:      aws.ToString(in.ImageId),
		InstanceType: string(in.InstanceType),
		KeyName:      aws.ToString(in.KeyName),
		LaunchTime:   aws.ToTime(in.LaunchTime).UTC(),
		Tags:         map[string]string{},
	}
	if in.State != nil {
		i.State = string(in.State.Name)
	}
	if in.Placement != nil {
		i.AZ = aws.ToString(in.Placement.AvailabilityZone)
	}
	if in.IamInstanceProfile != nil {
		i.IAMProfileARN = aws.ToString(in.IamInstanceProfile.Arn)
	}
	for _, sg := range in.SecurityGroups {
		i.SecurityGroupIDs = append(i.SecurityGroupIDs, aws.ToString(sg.GroupId))
	}
	sort.Strings(i.SecurityGroupIDs)
	i.Tags = TagMap(in.Tags)
	return i
}

// images reads the images the stack names (by name, and by ID for `image { id = ... }`) and
// every image albctl baked for the stack's fleets (by tag), so that plan can replace members
// on an older version and deregister images beyond image.keep.
func (o *observer) images(ctx context.Context, stack *specs.Stack) error {
	seen := map[string]bool{}
	add := func(list []ec2types.Image) {
		for _, im := range list {
			id := aws.ToString(im.ImageId)
			if seen[id] {
				continue
			}
			seen[id] = true
			o.w.Images = append(o.w.Images, imageFrom(im))
		}
	}
	var names, ids, fleets, stacks []string
	for _, f := range stack.Fleets {
		if f.Image.ID != "" {
			ids = appendNew(ids, f.Image.ID)
		} else if f.Image.Name != "" {
			names = appendNew(names, f.Image.Name)
		}
		fleets = appendNew(fleets, f.Label)
		if tg, ok := stack.TargetGroupByLabel(f.TargetGroup); ok {
			stacks = appendNew(stacks, tg.Name)
		}
	}
	for _, chunk := range chunks(names) {
		err := o.describeImages(ctx, &ec2.DescribeImagesInput{
			Owners:  []string{"self"},
			Filters: []ec2types.Filter{{Name: aws.String("name"), Values: chunk}},
		}, add)
		if err != nil {
			return fmt.Errorf("describe images %v: %w", chunk, err)
		}
	}
	// By filter, not ImageIds: one unknown ID would fail the whole call. Any owner: a team
	// may launch from an image shared with the account.
	for _, chunk := range chunks(ids) {
		err := o.describeImages(ctx, &ec2.DescribeImagesInput{
			Filters: []ec2types.Filter{{Name: aws.String("image-id"), Values: chunk}},
		}, add)
		if err != nil {
			return fmt.Errorf("describe images %v: %w", chunk, err)
		}
	}
	for _, id := range ids {
		if !seen[id] {
			o.w.Missing = append(o.w.Missing, "image "+id)
		}
	}
	if len(stacks) > 0 {
		for _, chunk := range chunks(fleets) {
			err := o.describeImages(ctx, &ec2.DescribeImagesInput{
				Owners: []string{"self"},
				Filters: []ec2types.Filter{
					{Name: aws.String("tag:" + TagFleet), Values: chunk},
					{Name: aws.String("tag:" + TagStack), Values: stacks},
				},
				MaxResults: aws.Int32(1000),
			}, add)
			if err != nil {
				return fmt.Errorf("describe images of fleets %v: %w", chunk, err)
			}
		}
	}
	return nil
}

func (o *observer) describeImages(ctx context.Context, in *ec2.DescribeImagesInput, add func([]ec2types.Image)) error {
	if in.MaxResults == nil {
		// Without MaxResults (and with no ImageIds), EC2 answers in one page.
		out, err := o.api.EC2.DescribeImages(ctx, in)
		if err != nil {
			return err
		}
		add(out.Images)
		return nil
	}
	p := ec2.NewDescribeImagesPaginator(o.api.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		add(page.Images)
	}
	return nil
}

func imageFrom(im ec2types.Image) Image {
	img := Image{ID: aws.ToString(im.ImageId), Name: aws.ToString(im.Name), State: string(im.State), Tags: TagMap(im.Tags)}
	if t, err := time.Parse(time.RFC3339, aws.ToString(im.CreationDate)); err == nil {
		img.Created = t.UTC()
	}
	for _, b := range im.BlockDeviceMappings {
		if b.Ebs != nil && aws.ToString(b.Ebs.SnapshotId) != "" {
			img.SnapshotIDs = appendNew(img.SnapshotIDs, aws.ToString(b.Ebs.SnapshotId))
		}
	}
	slices.Sort(img.SnapshotIDs)
	return img
}

// imageUsers finds the live instances that run one of the stack's images but were not found
// as a source, member or target (launched by hand, or by another stack): plan must never
// deregister an image something still runs.
func (o *observer) imageUsers(ctx context.Context) error {
	ids := make([]string, 0, len(o.w.Images))
	for _, im := range o.w.Images {
		ids = append(ids, im.ID)
	}
	sort.Strings(ids)
	seen := map[string]bool{}
	for _, in := range o.w.Instances {
		seen[in.ID] = true
	}
	add := func(list []ec2types.Instance) {
		for _, in := range list {
			if id := aws.ToString(in.InstanceId); !seen[id] {
				seen[id] = true
				o.w.Instances = append(o.w.Instances, instanceFrom(in))
			}
		}
	}
	states := ec2types.Filter{Name: aws.String("instance-state-name"), Values: liveStates}
	for _, chunk := range chunks(ids) {
		if err := o.describeInstances(ctx, []ec2types.Filter{{Name: aws.String("image-id"), Values: chunk}, states}, add); err != nil {
			return err
		}
	}
	return nil
}

// profiles reads the IAM instance profiles the stack names explicitly (not "inherit"). A name
// IAM does not know is Missing: plan reports it before any side effect.
func (o *observer) profiles(ctx context.Context, stack *specs.Stack) error {
	var names []string
	for _, f := range stack.Fleets {
		if p := f.IAMInstanceProfile; p != "" && p != "inherit" {
			names = appendNew(names, ProfileName(p))
		}
	}
	if len(names) == 0 {
		return nil
	}
	if o.api.IAM == nil {
		return fmt.Errorf("instance profiles %v: no IAM client to read them with", names)
	}
	sort.Strings(names)
	for _, n := range names {
		out, err := o.api.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(n)})
		if ErrorCode(err) == "NoSuchEntity" {
			o.w.Missing = append(o.w.Missing, "instance profile "+n)
			continue
		}
		if err != nil {
			return fmt.Errorf("get instance profile %s: %w", n, err)
		}
		if p := out.InstanceProfile; p != nil {
			o.w.InstanceProfiles = append(o.w.InstanceProfiles, InstanceProfile{Name: aws.ToString(p.InstanceProfileName), ARN: aws.ToString(p.Arn)})
		}
	}
	return nil
}

// ProfileName returns the name of an instance profile given by name or by ARN
// (arn:aws:iam::123456789012:instance-profile/path/name).
func ProfileName(p string) string {
	if !strings.HasPrefix(p, "arn:") {
		return p
	}
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// offerings reads, in one paginated call, which of the instance types the stack launches
// (fleet.instance_type, else the source's) EC2 offers in the fleets' zones.
func (o *observer) offerings(ctx context.Context, stack *specs.Stack) error {
	var types, zones []string
	for _, f := range stack.Fleets {
		typ := f.InstanceType
		if typ == "" {
			if src, ok := o.w.sourceFound(f.Source); ok {
				typ = src.InstanceType
			}
		}
		if typ == "" {
			continue
		}
		types = appendNew(types, typ)
		for _, z := range f.Zones {
			zones = appendNew(zones, z.AZ)
		}
	}
	if len(types) == 0 || len(zones) == 0 {
		return nil
	}
	sort.Strings(types)
	sort.Strings(zones)
	p := ec2.NewDescribeInstanceTypeOfferingsPaginator(o.api.EC2, &ec2.DescribeInstanceTypeOfferingsInput{
		LocationType: ec2types.LocationTypeAvailabilityZone,
		Filters: []ec2types.Filter{
			{Name: aws.String("instance-type"), Values: types},
			{Name: aws.String("location"), Values: zones},
		},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe instance type offerings %v in %v: %w", types, zones, err)
		}
		for _, of := range page.InstanceTypeOfferings {
			o.w.Offerings = append(o.w.Offerings, Offering{InstanceType: string(of.InstanceType), AZ: aws.ToString(of.Location)})
		}
	}
	o.w.OfferingsRead = true
	return nil
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// subnets reads every subnet of the VPCs the load balancers and instances live in: zones are
// added to an ALB, and members launched, by choosing among them.
func (o *observer) subnets(ctx context.Context) error {
	vpcs := map[string]bool{}
	for _, lb := range o.w.LoadBalancers {
		vpcs[lb.VpcID] = true
	}
	for _, in := range o.w.Instances {
		if in.VpcID != "" {
			vpcs[in.VpcID] = true
		}
	}
	ids := make([]string, 0, len(vpcs))
	for v := range vpcs {
		ids = append(ids, v)
	}
	sort.Strings(ids)
	for _, chunk := range chunks(ids) {
		p := ec2.NewDescribeSubnetsPaginator(o.api.EC2, &ec2.DescribeSubnetsInput{
			Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe subnets: %w", err)
			}
			for _, s := range page.Subnets {
				sn := Subnet{
					ID: aws.ToString(s.SubnetId), AZ: aws.ToString(s.AvailabilityZone), VpcID: aws.ToString(s.VpcId),
					Tags: TagMap(s.Tags), AvailableIPs: aws.ToInt32(s.AvailableIpAddressCount),
				}
				o.w.Subnets = append(o.w.Subnets, sn)
			}
		}
	}
	return nil
}

func chunks(values []string) [][]string {
	var out [][]string
	for len(values) > 0 {
		n := min(filterChunk, len(values))
		out = append(out, values[:n])
		values = values[n:]
	}
	return out
}

func (w *World) sort() {
	sort.Slice(w.Instances, func(i, j int) bool { return w.Instances[i].ID < w.Instances[j].ID })
	sort.Slice(w.Images, func(i, j int) bool { return w.Images[i].ID < w.Images[j].ID })
	sort.Slice(w.Subnets, func(i, j int) bool { return w.Subnets[i].ID < w.Subnets[j].ID })
	sort.Slice(w.TargetGroups, func(i, j int) bool { return w.TargetGroups[i].Name < w.TargetGroups[j].Name })
	sort.Slice(w.LoadBalancers, func(i, j int) bool { return w.LoadBalancers[i].Name < w.LoadBalancers[j].Name })
	for i := range w.TargetGroups {
		t := w.TargetGroups[i].Targets
		sort.Slice(t, func(a, b int) bool {
			if t[a].ID != t[b].ID {
				return t[a].ID < t[b].ID
			}
			return t[a].Port < t[b].Port
		})
	}
	sort.Slice(w.InstanceProfiles, func(i, j int) bool { return w.InstanceProfiles[i].Name < w.InstanceProfiles[j].Name })
	sort.Slice(w.Offerings, func(i, j int) bool {
		a, b := w.Offerings[i], w.Offerings[j]
		if a.InstanceType != b.InstanceType {
			return a.InstanceType < b.InstanceType
		}
		return a.AZ < b.AZ
	})
	sort.Strings(w.Missing)
}
