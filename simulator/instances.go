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

func instanceFields(in *Instance) fields {
	return fields{
		"instance-id":              one(in.ID),
		"instance-state-name":      one(in.State),
		"instance-state-code":      one(strconv.Itoa(int(instanceStates[in.State]))),
		"subnet-id":                one(in.Subnet),
		"vpc-id":                   one(in.VPC),
		"availability-zone":        one(in.AZ),
		"image-id":                 one(in.Image),
		"instance-type":            one(in.Type),
		"key-name":                 one(in.Key),
		"reservation-id":           one(in.Reservation),
		"client-token":             one(in.ClientToken),
		"iam-instance-profile.arn": one(in.IAMProfileARN),
		"instance.group-id":        func() []string { return in.SecurityGroups },
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

// RunInstances launches MaxCount instances in one reservation.
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
	if in.MinCount == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter MinCount")
	}
	if in.MaxCount == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter MaxCount")
	}
	minC, maxC := *in.MinCount, *in.MaxCount
	if minC < 1 {
		return nil, apiErr("InvalidParameterValue", "Value (%d) for parameter minCount is invalid. Expected a positive integer.", minC)
	}
	if maxC < 1 {
		return nil, apiErr("InvalidParameterValue", "Value (%d) for parameter maxCount is invalid. Expected a positive integer.", maxC)
	}
	if minC > maxC {
		return nil, apiErr("InvalidParameterValue", "Value (%d) for parameter maxCount is invalid. Must be greater than or equal to minCount (%d).", maxC, minC)
	}
	token := aws.ToString(in.ClientToken)
	if len(token) > 64 || !isASCII(token) {
		return nil, apiErr("InvalidParameterValue", "Value (%s) for parameter clientToken is invalid. The client token must be at most 64 ASCII characters.", token)
	}
	sn, err := s.launchSubnet(in)
	if err != nil {
		return nil, err
	}
	typ := string(in.InstanceType)
	if typ == "" {
		typ = string(ec2types.InstanceTypeM1Small)
	}
	req := runRequest{
		Image: aws.ToString(in.ImageId), Min: minC, Max: maxC, Subnet: aws.ToString(in.SubnetId), AZ: sn.AZ,
		Type: typ, Key: aws.ToString(in.KeyName),
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
	digest := req.digest()

	// Idempotency: the same token in the same zone is the same request.
	if token != "" && !aws.ToBool(in.DryRun) {
		var prior []*Instance
		for i := range s.w.Instances {
			if p := &s.w.Instances[i]; p.ClientToken == token && p.AZ == sn.AZ {
				prior = append(prior, p)
			}
		}
		if len(prior) > 0 {
			// A digest is missing when the instance came from a snapshot of AWS: trust the token.
			if d := prior[0].RequestDigest; d != "" && d != digest {
				return nil, apiErr("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
			}
			slices.SortFunc(prior, launchOrder)
			r := s.reservations(prior)[0]
			return &ec2.RunInstancesOutput{
				ReservationId: r.ReservationId, OwnerId: r.OwnerId, Groups: r.Groups, Instances: r.Instances,
			}, nil
		}
	}

	imageID := aws.ToString(in.ImageId)
	if imageID == "" {
		return nil, apiErr("MissingParameter", "The request must contain the parameter ImageId")
	}
	if !imageIDRe.MatchString(imageID) {
		return nil, apiErr("InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", imageID)
	}
	im := s.image(imageID)
	if im == nil {
		return nil, apiErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", imageID)
	}
	if im.State != "available" {
		return nil, apiErr("InvalidAMIID.Unavailable", "The image id '[%s]' is not available: its state is %s", imageID, im.State)
	}
	if !instanceTypes[typ] {
		return nil, apiErr("InvalidParameterValue", "Invalid value '%s' for InstanceType.", typ)
	}
	var groups []string
	for _, g := range in.SecurityGroupIds {
		if sg := s.securityGroup(g); sg == nil || sg.VPC != sn.VPC {
			return nil, apiErr("InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'", g, sn.VPC)
		}
		groups = append(groups, g)
	}
	for _, name := range in.SecurityGroups {
		i := slices.IndexFunc(s.w.SecurityGroups, func(g SecurityGroup) bool { return g.Name == name && g.VPC == sn.VPC })
		if i < 0 {
			return nil, apiErr("InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'", name, sn.VPC)
		}
		groups = append(groups, s.w.SecurityGroups[i].ID)
	}
	if len(in.SecurityGroupIds) == 0 && len(in.SecurityGroups) == 0 {
		if i := slices.IndexFunc(s.w.SecurityGroups, func(g SecurityGroup) bool { return g.Name == "default" && g.VPC == sn.VPC }); i >= 0 {
			groups = append(groups, s.w.SecurityGroups[i].ID)
		}
	}
	var prof *InstanceProfile
	if in.IamInstanceProfile != nil {
		if prof, err = s.profile(in.IamInstanceProfile); err != nil {
			return nil, err
		}
	}
	tags, err := tagsFor(in.TagSpecifications, []ec2types.ResourceType{ec2types.ResourceTypeInstance, ec2types.ResourceTypeVolume}, ec2types.ResourceTypeInstance)
	if err != nil {
		return nil, err
	}
	tagMap, err := mergeTags(nil, tags)
	if err != nil {
		return nil, err
	}

	if aws.ToBool(in.DryRun) {
		return nil, apiErr("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	now := s.w.Now
	resID := s.newID("r")
	var launched []*Instance
	var ids []string
	for i := range maxC {
		id := s.newID("i")
		inst := Instance{
			ID: id, State: "pending", AZ: sn.AZ, Subnet: sn.ID, VPC: sn.VPC, Image: imageID, Type: typ,
			Key: aws.ToString(in.KeyName), SecurityGroups: slices.Clone(groups), Tags: mapsClone(tagMap),
			LaunchTime: now, LaunchIndex: i, Reservation: resID, ClientToken: token, RequestDigest: digest,
			RunningAt: now.Add(InstancePending + s.jitter(id, InstanceJitter)),
		}
		if token == "" {
			inst.RequestDigest = ""
		}
		if prof != nil {
			inst.IAMProfileARN = prof.ARN
			inst.IAMAssociation = s.newID("iip-assoc")
		}
		if d := s.w.Faults.InstanceVisibilityDelay.D(); d > 0 {
			inst.VisibleAt = now.Add(d)
		}
		s.w.Instances = append(s.w.Instances, inst)
		ids = append(ids, id)
	}
	s.w.normalize()
	for _, id := range ids {
		launched = append(launched, s.instance(id))
	}
	r := s.reservations(launched)[0]
	return &ec2.RunInstancesOutput{ReservationId: r.ReservationId, OwnerId: r.OwnerId, Groups: r.Groups, Instances: r.Instances}, nil
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
