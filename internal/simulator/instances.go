package simulator

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/clock"
)

func (s *Sim) instance(id string) *Instance {
	// Instances are kept sorted by ID (normalize): search, and fall back to a scan.
	if i, ok := slices.BinarySearchFunc(s.w.Instances, id, func(in Instance, id string) int { return strings.Compare(in.ID, id) }); ok {
		return &s.w.Instances[i]
	}
	for i := range s.w.Instances {
		if s.w.Instances[i].ID == id {
			return &s.w.Instances[i]
		}
	}
	return nil
}

// visibleInstance is the instance if a call naming it may see it (Faults.InstanceVisibilityDelay).
func (s *Sim) visibleInstance(id string) *Instance {
	in := s.instance(id)
	if in == nil || s.w.Now.Before(in.VisibleAt) {
		return nil
	}
	return in
}

// checkInstanceIDs returns the instances named, visible ones only, or the error EC2 gives:
// Malformed for a bad ID, NotFound naming every unknown one.
func (s *Sim) checkInstanceIDs(ids []string) ([]*Instance, error) {
	var out []*Instance
	var missing []string
	for _, id := range ids {
		if !instanceIDRe.MatchString(id) {
			return nil, apiErr("InvalidInstanceID.Malformed", "Invalid id: %q", id)
		}
	}
	for _, id := range ids {
		in := s.visibleInstance(id)
		if in == nil {
			if !slices.Contains(missing, id) {
				missing = append(missing, id)
			}
			continue
		}
		out = append(out, in)
	}
	if len(missing) > 0 {
		return nil, apiErr("InvalidInstanceID.NotFound", "%s", notExist("instance", missing))
	}
	return out, nil
}

// profile resolves an instance profile given by ARN or name, as EC2 sees it: a profile
// younger than Faults.ProfilePropagationDelay is not known yet.
func (s *Sim) profile(spec *ec2types.IamInstanceProfileSpecification) (*InstanceProfile, error) {
	arn, name := aws.ToString(spec.Arn), aws.ToString(spec.Name)
	if arn == "" && name == "" {
		return nil, apiErr("InvalidParameterValue", "Value () for parameter iamInstanceProfile is invalid. An instance profile name or ARN is required")
	}
	if arn != "" && !isProfileARN(arn) {
		return nil, apiErr("InvalidIamInstanceProfileArn.Malformed", "Invalid IAM Instance Profile ARN: %s", arn)
	}
	var found *InstanceProfile
	for i := range s.w.InstanceProfiles {
		p := &s.w.InstanceProfiles[i]
		if (arn != "" && p.ARN == arn) || (arn == "" && p.Name == name) {
			found = p
		}
	}
	if found != nil && s.w.Now.Before(found.CreatedAt.Add(s.w.Faults.ProfilePropagationDelay.D())) {
		found = nil
	}
	if found == nil {
		if arn != "" {
			return nil, apiErr("InvalidParameterValue", "Value (%s) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN", arn)
		}
		return nil, apiErr("InvalidParameterValue", "Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", name)
	}
	return found, nil
}

func (s *Sim) profileByARN(arn string) *InstanceProfile {
	for i := range s.w.InstanceProfiles {
		if s.w.InstanceProfiles[i].ARN == arn {
			return &s.w.InstanceProfiles[i]
		}
	}
	return nil
}

func stateOf(name string) *ec2types.InstanceState {
	return &ec2types.InstanceState{Code: aws.Int32(instanceStates[name]), Name: ec2types.InstanceStateName(name)}
}

func (s *Sim) describeInstance(in *Instance) ec2types.Instance {
	out := ec2types.Instance{
		InstanceId:         aws.String(in.ID),
		ImageId:            aws.String(in.Image),
		InstanceType:       ec2types.InstanceType(in.Type),
		State:              stateOf(in.State),
		LaunchTime:         aws.Time(in.LaunchTime),
		Placement:          &ec2types.Placement{AvailabilityZone: aws.String(in.AZ), Tenancy: ec2types.TenancyDefault},
		SubnetId:           aws.String(in.Subnet),
		VpcId:              aws.String(in.VPC),
		AmiLaunchIndex:     aws.Int32(in.LaunchIndex),
		Architecture:       ec2types.ArchitectureValuesX8664,
		Hypervisor:         ec2types.HypervisorTypeXen,
		RootDeviceName:     aws.String("/dev/xvda"),
		RootDeviceType:     ec2types.DeviceTypeEbs,
		VirtualizationType: ec2types.VirtualizationTypeHvm,
		ClientToken:        aws.String(in.ClientToken),
		Tags:               ec2Tags(in.Tags),
	}
	if in.Key != "" {
		out.KeyName = aws.String(in.Key)
	}
	for _, g := range in.SecurityGroups {
		gi := ec2types.GroupIdentifier{GroupId: aws.String(g)}
		if sg := s.securityGroup(g); sg != nil {
			gi.GroupName = aws.String(sg.Name)
		}
		out.SecurityGroups = append(out.SecurityGroups, gi)
	}
	if in.IAMProfileARN != "" && in.State != "terminated" {
		p := &ec2types.IamInstanceProfile{Arn: aws.String(in.IAMProfileARN)}
		if pr := s.profileByARN(in.IAMProfileARN); pr != nil && pr.ID != "" {
			p.Id = aws.String(pr.ID)
		}
		out.IamInstanceProfile = p
	}
	if in.State == "shutting-down" || in.State == "terminated" {
		out.StateTransitionReason = aws.String(fmt.Sprintf("User initiated (%s)", in.TerminatingAt.Format("2006-01-02 15:04:05 GMT")))
		out.StateReason = &ec2types.StateReason{Code: aws.String("Client.UserInitiatedShutdown"), Message: aws.String("Client.UserInitiatedShutdown: User initiated shutdown")}
	} else {
		out.StateTransitionReason = aws.String("")
	}
	return out
}

// reservations groups instances, in order, into reservations.
func (s *Sim) reservations(list []*Instance) []ec2types.Reservation {
	var out []ec2types.Reservation
	for _, in := range list {
		if n := len(out); n == 0 || aws.ToString(out[n-1].ReservationId) != in.Reservation {
			out = append(out, ec2types.Reservation{
				ReservationId: aws.String(in.Reservation),
				OwnerId:       aws.String(s.w.AccountID),
				Groups:        []ec2types.GroupIdentifier{},
			})
		}
		r := &out[len(out)-1]
		r.Instances = append(r.Instances, s.describeInstance(in))
	}
	return out
}

// launchOrder sorts instances as DescribeInstances lists them: by launch, reservation and
// index, so the instances of one reservation are together.
func launchOrder(a, b *Instance) int {
	return cmp.Or(a.LaunchTime.Compare(b.LaunchTime), strings.Compare(a.Reservation, b.Reservation),
		cmp.Compare(a.LaunchIndex, b.LaunchIndex), strings.Compare(a.ID, b.ID))
}

func filterKey(fs []ec2types.Filter) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s=%q;", aws.ToString(f.Name), f.Values)
	}
	return b.String()
}

// instanceField looks up one filter field of in, without building every field.
func instanceField(in *Instance) func(string) ([]string, bool) {
	return func(name string) ([]string, bool) {
		switch name {
		case "instance-id":
			return []string{in.ID}, true
		case "instance-state-name":
			return []string{in.State}, true
		case "instance-state-code":
			return []string{strconv.Itoa(int(instanceStates[in.State]))}, true
		case "subnet-id":
			return []string{in.Subnet}, true
		case "vpc-id":
			return []string{in.VPC}, true
		case "availability-zone":
			return []string{in.AZ}, true
		case "image-id":
			return []string{in.Image}, true
		case "instance-type":
			return []string{in.Type}, true
		case "key-name":
			return []string{in.Key}, true
		case "reservation-id":
			return []string{in.Reservation}, true
		case "client-token":
			return []string{in.ClientToken}, true
		case "iam-instance-profile.arn":
			return []string{in.IAMProfileARN}, true
		case "instance.group-id":
			return in.SecurityGroups, true
		}
		return nil, false
	}
}

// DescribeInstances lists instances by ID or by filter, grouped in reservations.
func (c *EC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeInstances", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &ec2.DescribeInstancesInput{}
	}
	if in.MaxResults != nil && len(in.InstanceIds) > 0 {
		return nil, apiErr("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	// A later page of an unchanged world reuses the list the first page computed.
	key := fmt.Sprintf("%v\x00%s", in.InstanceIds, filterKey(in.Filters))
	var kept []*Instance
	if c, ok := s.pages[key]; ok && c.gen == s.gen && aws.ToString(in.NextToken) != "" {
		kept = c.list
	} else {
		var list []*Instance
		if len(in.InstanceIds) > 0 {
			named, err := s.checkInstanceIDs(in.InstanceIds)
			if err != nil {
				return nil, err
			}
			for _, i := range named {
				if !slices.Contains(list, i) {
					list = append(list, i)
				}
			}
		} else {
			for i := range s.w.Instances {
				if inst := &s.w.Instances[i]; !s.w.Now.Before(inst.VisibleAt) {
					list = append(list, inst)
				}
			}
		}
		for _, i := range list {
			ok, err := matchFilters(in.Filters, instanceField(i), i.Tags)
			if err != nil {
				return nil, err
			}
			if ok {
				kept = append(kept, i)
			}
		}
		slices.SortFunc(kept, launchOrder)
		if s.pages == nil {
			s.pages = map[string]pagedList{}
		}
		clear(s.pages)
		s.pages[key] = pagedList{gen: s.gen, list: kept}
	}
	start, end, next, err := ec2Page(len(kept), in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeInstancesOutput{Reservations: s.reservations(kept[start:end]), NextToken: next}, nil
}

// runRequest is what makes two RunInstances calls "the same" for ClientToken.
type runRequest struct {
	Image          string
	Min, Max       int32
	Subnet, AZ     string
	Type, Key      string
	SecurityGroups []string
	GroupNames     []string
	ProfileARN     string
	ProfileName    string
	Tags           []string
	UserData       string
}

func (r runRequest) digest() string {
	b, _ := json.Marshal(r)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// launchSubnet resolves where RunInstances launches: the subnet given, else the default
// VPC's subnet in the requested (or first) zone.
func (s *Sim) launchSubnet(in *ec2.RunInstancesInput) (*Subnet, error) {
	if id := aws.ToString(in.SubnetId); id != "" {
		sn := s.subnet(id)
		if sn == nil {
			return nil, apiErr("InvalidSubnetID.NotFound", "%s", notExist("subnet", []string{id}))
		}
		return sn, nil
	}
	az := ""
	if in.Placement != nil {
		az = aws.ToString(in.Placement.AvailabilityZone)
	}
	for i := range s.w.Subnets {
		sn := &s.w.Subnets[i]
		if v := s.vpc(sn.VPC); v != nil && v.IsDefault && (az == "" || sn.AZ == az) {
			return sn, nil
		}
	}
	return nil, apiErr("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
}

var instanceTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range ec2types.InstanceType("").Values() {
		m[string(t)] = true
	}
	return m
}()

// RunInstances launches up to MaxCount instances (at least MinCount) in one reservation.
// With DryRun it runs every check but the capacity check and answers DryRunOperation,
// changing nothing (not even the ID counter).
func (c *EC2) RunInstances(ctx context.Context, in *ec2.RunInstancesInput, _ ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "RunInstances", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &ec2.RunInstancesInput{}
	}
	l, err := s.checkLaunchRequest(in)
	if err != nil {
		return nil, err
	}
	dryRun := aws.ToBool(in.DryRun)
	if prior, err := s.priorLaunch(l); err != nil || (prior != nil && !dryRun) {
		return prior, err
	}
	if err := s.checkLaunchResources(l); err != nil {
		return nil, err
	}
	n, err := s.place(l, dryRun)
	if err != nil {
		return nil, err
	}
	if dryRun {
		return nil, errDryRun()
	}
	return s.createInstances(l, n), nil
}

// launchReq is a RunInstances request, resolved.
type launchReq struct {
	in       *ec2.RunInstancesInput
	min, max int32
	token    string
	subnet   *Subnet
	typ      string
	digest   string
	image    *Image
	groups   []string
	profile  *InstanceProfile
	tags     map[string]string
}

// checkLaunchRequest checks the request's own parameters and resolves its subnet.
func (s *Sim) checkLaunchRequest(in *ec2.RunInstancesInput) (*launchReq, error) {
	if in.MinCount == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter MinCount")
	}
	if in.MaxCount == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter MaxCount")
	}
	l := &launchReq{in: in, min: *in.MinCount, max: *in.MaxCount, token: aws.ToString(in.ClientToken), typ: string(in.InstanceType)}
	switch {
	case l.min < 1:
		return nil, apiErr("InvalidParameterValue", "Value (%d) for parameter minCount is invalid. Expected a positive integer.", l.min)
	case l.max < 1:
		return nil, apiErr("InvalidParameterValue", "Value (%d) for parameter maxCount is invalid. Expected a positive integer.", l.max)
	case l.min > l.max:
		return nil, apiErr("InvalidParameterValue", "Value (%d) for parameter maxCount is invalid. Must be greater than or equal to minCount (%d).", l.max, l.min)
	case len(l.token) > 64 || !isASCII(l.token):
		return nil, apiErr("InvalidParameterValue", "Value (%s) for parameter clientToken is invalid. The client token must be at most 64 ASCII characters.", l.token)
	}
	var err error
	if l.subnet, err = s.launchSubnet(in); err != nil {
		return nil, err
	}
	if l.typ == "" {
		l.typ = string(ec2types.InstanceTypeM1Small)
	}
	req := runRequest{
		Image: aws.ToString(in.ImageId), Min: l.min, Max: l.max, Subnet: aws.ToString(in.SubnetId), AZ: l.subnet.AZ,
		Type: l.typ, Key: aws.ToString(in.KeyName),
		SecurityGroups: slices.Sorted(slices.Values(in.SecurityGroupIds)), GroupNames: slices.Sorted(slices.Values(in.SecurityGroups)),
		UserData: aws.ToString(in.UserData),
	}
	if p := in.IamInstanceProfile; p != nil {
		req.ProfileARN, req.ProfileName = aws.ToString(p.Arn), aws.ToString(p.Name)
	}
	for _, sp := range in.TagSpecifications {
		for _, t := range sp.Tags {
			req.Tags = append(req.Tags, string(sp.ResourceType)+"\x00"+aws.ToString(t.Key)+"\x00"+aws.ToString(t.Value))
		}
	}
	slices.Sort(req.Tags)
	l.digest = req.digest()
	return l, nil
}

// priorLaunch answers a repeat of an earlier request with the same ClientToken in the same
// zone: its reservation, or IdempotentParameterMismatch if the parameters differ.
func (s *Sim) priorLaunch(l *launchReq) (*ec2.RunInstancesOutput, error) {
	if l.token == "" {
		return nil, nil
	}
	var prior []*Instance
	for i := range s.w.Instances {
		if p := &s.w.Instances[i]; p.ClientToken == l.token && p.AZ == l.subnet.AZ {
			prior = append(prior, p)
		}
	}
	if len(prior) == 0 {
		return nil, nil
	}
	// A digest is missing when the instance came from a snapshot of AWS: trust the token.
	if d := prior[0].RequestDigest; d != "" && d != l.digest {
		return nil, apiErr("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
	}
	slices.SortFunc(prior, launchOrder)
	r := s.reservations(prior)[0]
	return &ec2.RunInstancesOutput{ReservationId: r.ReservationId, OwnerId: r.OwnerId, Groups: r.Groups, Instances: r.Instances}, nil
}

// checkLaunchResources resolves the image, instance type, security groups, profile and tags.
func (s *Sim) checkLaunchResources(l *launchReq) error {
	in, sn := l.in, l.subnet
	imageID := aws.ToString(in.ImageId)
	if imageID == "" {
		return apiErr("MissingParameter", "The request must contain the parameter ImageId")
	}
	if !imageIDRe.MatchString(imageID) {
		return apiErr("InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", imageID)
	}
	if l.image = s.image(imageID); l.image == nil {
		return apiErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", imageID)
	}
	if l.image.State != "available" {
		return apiErr("InvalidAMIID.Unavailable", "The image id '[%s]' is not available: its state is %s", imageID, l.image.State)
	}
	if !instanceTypes[l.typ] {
		return apiErr("InvalidParameterValue", "Invalid value '%s' for InstanceType.", l.typ)
	}
	for _, g := range in.SecurityGroupIds {
		if sg := s.securityGroup(g); sg == nil || sg.VPC != sn.VPC {
			return apiErr("InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'", g, sn.VPC)
		}
		l.groups = append(l.groups, g)
	}
	for _, name := range in.SecurityGroups {
		i := slices.IndexFunc(s.w.SecurityGroups, func(g SecurityGroup) bool { return g.Name == name && g.VPC == sn.VPC })
		if i < 0 {
			return apiErr("InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'", name, sn.VPC)
		}
		l.groups = append(l.groups, s.w.SecurityGroups[i].ID)
	}
	if len(in.SecurityGroupIds) == 0 && len(in.SecurityGroups) == 0 {
		if i := slices.IndexFunc(s.w.SecurityGroups, func(g SecurityGroup) bool { return g.Name == "default" && g.VPC == sn.VPC }); i >= 0 {
			l.groups = append(l.groups, s.w.SecurityGroups[i].ID)
		}
	}
	var err error
	if in.IamInstanceProfile != nil {
		if l.profile, err = s.profile(in.IamInstanceProfile); err != nil {
			return err
		}
	}
	tags, err := tagsFor(in.TagSpecifications, []ec2types.ResourceType{ec2types.ResourceTypeInstance, ec2types.ResourceTypeVolume}, ec2types.ResourceTypeInstance)
	if err != nil {
		return err
	}
	l.tags, err = mergeTags(nil, tags)
	return err
}

// place decides how many instances the zone and subnet can take: the instance type must be
// offered in the zone (Unsupported), the subnet must have an address for at least MinCount
// (InsufficientFreeAddressesInSubnet), and the zone must have capacity for the type
// (InsufficientInstanceCapacity; not checked on a dry run, as AWS decides capacity only when
// it launches).
func (s *Sim) place(l *launchReq, dryRun bool) (int32, error) {
	az := l.subnet.AZ
	if !s.offered(l.typ, az) {
		return 0, apiErr("Unsupported", "Your requested instance type (%s) is not supported in your requested Availability Zone (%s). Please retry your request by not specifying an Availability Zone or choosing %s.",
			l.typ, az, strings.Join(s.zonesWhere(func(z string) bool { return s.offered(l.typ, z) }), ", "))
	}
	free := s.freeAddresses(l.subnet)
	if free < l.min {
		return 0, apiErr("InsufficientFreeAddressesInSubnet", "The specified subnet does not have enough free addresses to satisfy the request.")
	}
	if !dryRun && s.short(l.typ, az) {
		return 0, apiServerErr("InsufficientInstanceCapacity", "We currently do not have sufficient %s capacity in the Availability Zone you requested (%s). Our system will be working on provisioning additional capacity. You can currently get %s capacity by not specifying an Availability Zone in your request or choosing %s.",
			l.typ, az, l.typ, strings.Join(s.zonesWhere(func(z string) bool { return s.offered(l.typ, z) && !s.short(l.typ, z) }), ", "))
	}
	return min(l.max, free), nil
}

// short reports whether the world has no capacity for the instance type in the zone.
func (s *Sim) short(typ, az string) bool {
	return slices.ContainsFunc(s.w.InsufficientCapacity, func(c CapacityShortage) bool {
		return c.AZ == az && (len(c.InstanceTypes) == 0 || slices.Contains(c.InstanceTypes, typ))
	}) || s.shortByFault(typ, az)
}

func (s *Sim) zonesWhere(ok func(az string) bool) []string {
	var out []string
	for _, az := range s.zones() {
		if ok(az) {
			out = append(out, az)
		}
	}
	return out
}

// createInstances launches n instances of the request in one new reservation.
func (s *Sim) createInstances(l *launchReq, n int32) *ec2.RunInstancesOutput {
	now := s.w.Now
	resID := s.newID("r")
	var ids []string
	for i := range n {
		id := s.newID("i")
		inst := Instance{
			ID: id, State: "pending", AZ: l.subnet.AZ, Subnet: l.subnet.ID, VPC: l.subnet.VPC, Image: l.image.ID, Type: l.typ,
			Key: aws.ToString(l.in.KeyName), SecurityGroups: slices.Clone(l.groups), Tags: mapsClone(l.tags),
			LaunchTime: now, LaunchIndex: i, Reservation: resID, ClientToken: l.token,
			RunningAt: now.Add(InstancePending + s.jitter(id, InstanceJitter)), App: l.image.App.clone(),
		}
		if l.token != "" {
			inst.RequestDigest = l.digest
		}
		if l.profile != nil {
			inst.IAMProfileARN = l.profile.ARN
			inst.IAMAssociation = s.newID("iip-assoc")
		}
		if d := s.w.Faults.InstanceVisibilityDelay.D(); d > 0 {
			inst.VisibleAt = now.Add(d)
		}
		if d := s.slowBoot(); d > 0 {
			app := inst.App.clone()
			if app == nil {
				app = &App{}
			}
			app.BootTime += clock.Duration(d)
			inst.App = app
		}
		s.w.Instances = append(s.w.Instances, inst)
		ids = append(ids, id)
	}
	s.takeAddresses(l.subnet.ID, n)
	s.w.normalize()
	var launched []*Instance
	for _, id := range ids {
		launched = append(launched, s.instance(id))
	}
	r := s.reservations(launched)[0]
	return &ec2.RunInstancesOutput{ReservationId: r.ReservationId, OwnerId: r.OwnerId, Groups: r.Groups, Instances: r.Instances}
}

func mapsClone(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TerminateInstances starts terminating instances; terminating a terminated (or
// terminating) instance again changes nothing and succeeds.
func (c *EC2) TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, _ ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "TerminateInstances", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil || len(in.InstanceIds) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter InstanceId")
	}
	insts, err := s.checkInstanceIDs(in.InstanceIds)
	if err != nil {
		return nil, err
	}
	now := s.w.Now
	out := &ec2.TerminateInstancesOutput{}
	for _, inst := range insts {
		prev := inst.State
		if prev != "shutting-down" && prev != "terminated" {
			inst.State = "shutting-down"
			inst.TerminatingAt = now
			inst.TerminatedAt = now.Add(ShuttingDown)
		}
		out.TerminatingInstances = append(out.TerminatingInstances, ec2types.InstanceStateChange{
			InstanceId:    aws.String(inst.ID),
			PreviousState: stateOf(prev),
			CurrentState:  stateOf(inst.State),
		})
	}
	s.settle() // AWS deregisters the instances' targets
	return out, nil
}

// AssociateIamInstanceProfile gives an instance without one an IAM instance profile. The
// association is complete at once (see the package documentation).
func (c *EC2) AssociateIamInstanceProfile(ctx context.Context, in *ec2.AssociateIamInstanceProfileInput, _ ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "AssociateIamInstanceProfile", ec2Throttle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil || in.InstanceId == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter InstanceId")
	}
	if in.IamInstanceProfile == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter IamInstanceProfile")
	}
	if arn := aws.ToString(in.IamInstanceProfile.Arn); arn != "" && !isProfileARN(arn) {
		return nil, apiErr("InvalidIamInstanceProfileArn.Malformed", "Invalid IAM Instance Profile ARN: %s", arn)
	}
	insts, err := s.checkInstanceIDs([]string{aws.ToString(in.InstanceId)})
	if err != nil {
		return nil, err
	}
	inst := insts[0]
	if inst.State != "running" && inst.State != "stopped" {
		return nil, apiErr("IncorrectState", "The instance '%s' is not in the 'running' or 'stopped' state.", inst.ID)
	}
	if inst.IAMProfileARN != "" {
		return nil, apiErr("IncorrectState", "There is an existing association for instance %s", inst.ID)
	}
	prof, err := s.profile(in.IamInstanceProfile)
	if err != nil {
		return nil, err
	}
	inst.IAMProfileARN = prof.ARN
	inst.IAMAssociation = s.newID("iip-assoc")
	p := &ec2types.IamInstanceProfile{Arn: aws.String(prof.ARN)}
	if prof.ID != "" {
		p.Id = aws.String(prof.ID)
	}
	return &ec2.AssociateIamInstanceProfileOutput{IamInstanceProfileAssociation: &ec2types.IamInstanceProfileAssociation{
		AssociationId:      aws.String(inst.IAMAssociation),
		InstanceId:         aws.String(inst.ID),
		IamInstanceProfile: p,
		State:              ec2types.IamInstanceProfileAssociationStateAssociating,
		Timestamp:          aws.Time(s.w.Now),
	}}, nil
}

// runningSince is when the instance began running (its launch, if the world does not say).
func (in *Instance) runningSince() time.Time {
	if in.RunningAt.IsZero() {
		return in.LaunchTime
	}
	return in.RunningAt
}
