package simulator

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/clock"
)

// ELBV2 is the simulated Elastic Load Balancing v2 client. Its methods have the signatures of
// *elasticloadbalancingv2.Client's; the optFns are accepted and ignored.
type ELBV2 struct{ s *Sim }

func elbThrottle() *smithy.GenericAPIError {
	return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
}

func (s *Sim) loadBalancer(arn string) *LoadBalancer {
	for i := range s.w.LoadBalancers {
		if s.w.LoadBalancers[i].ARN == arn {
			return &s.w.LoadBalancers[i]
		}
	}
	return nil
}

func (s *Sim) targetGroup(arn string) *TargetGroup {
	for i := range s.w.TargetGroups {
		if s.w.TargetGroups[i].ARN == arn {
			return &s.w.TargetGroups[i]
		}
	}
	return nil
}

// mustTargetGroup finds a target group by ARN or answers TargetGroupNotFound.
func (s *Sim) mustTargetGroup(arn *string) (*TargetGroup, error) {
	if arn == nil {
		return nil, apiErr("ValidationError", "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null")
	}
	tg := s.targetGroup(*arn)
	if tg == nil {
		return nil, apiErr("TargetGroupNotFound", "Target groups '%s' not found", *arn)
	}
	return tg, nil
}

func errLBNotFound() error {
	return apiErr("LoadBalancerNotFound", "One or more load balancers not found")
}

func (s *Sim) describeLoadBalancer(lb *LoadBalancer) elbtypes.LoadBalancer {
	out := elbtypes.LoadBalancer{
		LoadBalancerArn:  aws.String(lb.ARN),
		LoadBalancerName: aws.String(lb.Name),
		DNSName:          aws.String(lb.DNSName),
		Scheme:           elbtypes.LoadBalancerSchemeEnum(lb.Scheme),
		State:            &elbtypes.LoadBalancerState{Code: elbtypes.LoadBalancerStateEnum(lb.State)},
		Type:             elbtypes.LoadBalancerTypeEnumApplication,
		IpAddressType:    elbtypes.IpAddressTypeIpv4,
		VpcId:            aws.String(lb.VPC),
		CreatedTime:      aws.Time(lb.CreatedAt),
		SecurityGroups:   slices.Clone(lb.SecurityGroups),
	}
	out.AvailabilityZones = zonesOf(lb)
	return out
}

func zonesOf(lb *LoadBalancer) []elbtypes.AvailabilityZone {
	out := []elbtypes.AvailabilityZone{}
	for _, z := range lb.Subnets {
		out = append(out, elbtypes.AvailabilityZone{
			ZoneName: aws.String(z.AZ), SubnetId: aws.String(z.Subnet), LoadBalancerAddresses: []elbtypes.LoadBalancerAddress{},
		})
	}
	return out
}

// DescribeLoadBalancers lists load balancers by name or ARN (all if neither), paged by Marker.
func (c *ELBV2) DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeLoadBalancers", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.DescribeLoadBalancersInput{}
	}
	if len(in.Names) > 0 && len(in.LoadBalancerArns) > 0 {
		return nil, apiErr("ValidationError", "Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	var list []*LoadBalancer
	for i := range s.w.LoadBalancers {
		lb := &s.w.LoadBalancers[i]
		switch {
		case len(in.Names) > 0 && !slices.Contains(in.Names, lb.Name):
		case len(in.LoadBalancerArns) > 0 && !slices.Contains(in.LoadBalancerArns, lb.ARN):
		default:
			list = append(list, lb)
		}
	}
	for _, n := range in.Names {
		if !slices.ContainsFunc(list, func(lb *LoadBalancer) bool { return lb.Name == n }) {
			return nil, apiErr("LoadBalancerNotFound", "Load balancers '[%s]' not found", n)
		}
	}
	for _, a := range in.LoadBalancerArns {
		if !slices.ContainsFunc(list, func(lb *LoadBalancer) bool { return lb.ARN == a }) {
			return nil, apiErr("LoadBalancerNotFound", "Load balancers '[%s]' not found", a)
		}
	}
	start, end, next, err := elbPage(len(list), in.PageSize, in.Marker)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeLoadBalancersOutput{NextMarker: next, LoadBalancers: []elbtypes.LoadBalancer{}}
	for _, lb := range list[start:end] {
		out.LoadBalancers = append(out.LoadBalancers, s.describeLoadBalancer(lb))
	}
	return out, nil
}

func (s *Sim) describeTargetGroup(tg *TargetGroup) elbtypes.TargetGroup {
	hc := tg.HealthCheck
	out := elbtypes.TargetGroup{
		TargetGroupArn:             aws.String(tg.ARN),
		TargetGroupName:            aws.String(tg.Name),
		Protocol:                   elbtypes.ProtocolEnum(tg.Protocol),
		ProtocolVersion:            aws.String("HTTP1"),
		Port:                       aws.Int32(tg.Port),
		VpcId:                      aws.String(tg.VPC),
		TargetType:                 elbtypes.TargetTypeEnumInstance,
		IpAddressType:              elbtypes.TargetGroupIpAddressTypeEnumIpv4,
		HealthCheckEnabled:         aws.Bool(true),
		HealthCheckProtocol:        elbtypes.ProtocolEnum(hc.Protocol),
		HealthCheckPath:            aws.String(hc.Path),
		HealthCheckPort:            aws.String(hc.Port),
		HealthCheckIntervalSeconds: aws.Int32(int32(hc.Interval.D().Seconds())),
		HealthCheckTimeoutSeconds:  aws.Int32(int32(hc.Timeout.D().Seconds())),
		HealthyThresholdCount:      aws.Int32(hc.HealthyThreshold),
		UnhealthyThresholdCount:    aws.Int32(hc.UnhealthyThreshold),
		Matcher:                    &elbtypes.Matcher{HttpCode: aws.String(hc.Matcher)},
		LoadBalancerArns:           []string{},
	}
	for _, lb := range s.loadBalancersOf(tg.ARN) {
		out.LoadBalancerArns = append(out.LoadBalancerArns, lb.ARN)
	}
	return out
}

// DescribeTargetGroups lists target groups by name, ARN or load balancer (all if none),
// paged by Marker.
func (c *ELBV2) DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeTargetGroups", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.DescribeTargetGroupsInput{}
	}
	given := 0
	for _, b := range []bool{len(in.Names) > 0, len(in.TargetGroupArns) > 0, in.LoadBalancerArn != nil} {
		if b {
			given++
		}
	}
	if given > 1 {
		return nil, apiErr("ValidationError", "You can specify only one of target group names, target group ARNs and a load balancer ARN")
	}
	var onLB map[string]bool
	if in.LoadBalancerArn != nil {
		if s.loadBalancer(*in.LoadBalancerArn) == nil {
			return nil, errLBNotFound()
		}
		onLB = map[string]bool{}
		for _, l := range s.w.Listeners {
			if l.LoadBalancer == *in.LoadBalancerArn {
				onLB[l.TargetGroup] = true
			}
		}
	}
	var list []*TargetGroup
	for i := range s.w.TargetGroups {
		tg := &s.w.TargetGroups[i]
		switch {
		case len(in.Names) > 0 && !slices.Contains(in.Names, tg.Name):
		case len(in.TargetGroupArns) > 0 && !slices.Contains(in.TargetGroupArns, tg.ARN):
		case onLB != nil && !onLB[tg.ARN]:
		default:
			list = append(list, tg)
		}
	}
	for _, n := range in.Names {
		if !slices.ContainsFunc(list, func(tg *TargetGroup) bool { return tg.Name == n }) {
			return nil, apiErr("TargetGroupNotFound", "One or more target groups not found")
		}
	}
	for _, a := range in.TargetGroupArns {
		if !slices.ContainsFunc(list, func(tg *TargetGroup) bool { return tg.ARN == a }) {
			return nil, apiErr("TargetGroupNotFound", "One or more target groups not found")
		}
	}
	start, end, next, err := elbPage(len(list), in.PageSize, in.Marker)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeTargetGroupsOutput{NextMarker: next, TargetGroups: []elbtypes.TargetGroup{}}
	for _, tg := range list[start:end] {
		out.TargetGroups = append(out.TargetGroups, s.describeTargetGroup(tg))
	}
	return out, nil
}

func attributeList(m map[string]string) []elbtypes.TargetGroupAttribute {
	out := []elbtypes.TargetGroupAttribute{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, elbtypes.TargetGroupAttribute{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// DescribeTargetGroupAttributes lists every attribute of a target group, defaults included.
func (c *ELBV2) DescribeTargetGroupAttributes(ctx context.Context, in *elbv2.DescribeTargetGroupAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeTargetGroupAttributes", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.DescribeTargetGroupAttributesInput{}
	}
	tg, err := s.mustTargetGroup(in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	return &elbv2.DescribeTargetGroupAttributesOutput{Attributes: attributeList(tg.Attributes)}, nil
}

// ModifyTargetGroupAttributes changes attributes, all or none, and returns them all.
func (c *ELBV2) ModifyTargetGroupAttributes(ctx context.Context, in *elbv2.ModifyTargetGroupAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupAttributesOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "ModifyTargetGroupAttributes", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.ModifyTargetGroupAttributesInput{}
	}
	tg, err := s.mustTargetGroup(in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 {
		return nil, apiErr("ValidationError", "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null")
	}
	next := maps.Clone(tg.Attributes)
	for _, a := range in.Attributes {
		k, v := aws.ToString(a.Key), aws.ToString(a.Value)
		if err := checkAttribute(k, v); err != nil {
			return nil, err
		}
		next[k] = v
	}
	if err := checkCombination(next); err != nil {
		return nil, err
	}
	tg.Attributes = next
	return &elbv2.ModifyTargetGroupAttributesOutput{Attributes: attributeList(next)}, nil
}

func healthCheckPort(tg *TargetGroup, port int32) string {
	if tg.HealthCheck.Port == "" || tg.HealthCheck.Port == "traffic-port" {
		return strconv.Itoa(int(port))
	}
	return tg.HealthCheck.Port
}

func (s *Sim) describeTarget(tg *TargetGroup, t *Target) elbtypes.TargetHealthDescription {
	h := s.targetHealth(tg, t)
	th := &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnum(h.State)}
	if h.Reason != "" {
		th.Reason = elbtypes.TargetHealthReasonEnum(h.Reason)
		th.Description = aws.String(h.Description)
	}
	return elbtypes.TargetHealthDescription{
		Target:          &elbtypes.TargetDescription{Id: aws.String(t.ID), Port: aws.Int32(t.Port)},
		HealthCheckPort: aws.String(healthCheckPort(tg, t.Port)),
		TargetHealth:    th,
	}
}

// DescribeTargetHealth reports the health of the targets named, or of every registered
// target (draining ones included) sorted by ID and port.
func (c *ELBV2) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeTargetHealth", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.DescribeTargetHealthInput{}
	}
	tg, err := s.mustTargetGroup(in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeTargetHealthOutput{TargetHealthDescriptions: []elbtypes.TargetHealthDescription{}}
	if len(in.Targets) == 0 {
		for i := range tg.Targets {
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, s.describeTarget(tg, &tg.Targets[i]))
		}
		return out, nil
	}
	for _, want := range in.Targets {
		id := aws.ToString(want.Id)
		if id == "" {
			return nil, apiErr("ValidationError", "A target ID must be specified")
		}
		found := false
		for i := range tg.Targets {
			t := &tg.Targets[i]
			if t.ID == id && (want.Port == nil || *want.Port == t.Port) {
				out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, s.describeTarget(tg, t))
				found = true
			}
		}
		if !found {
			port := tg.Port
			if want.Port != nil {
				port = *want.Port
			}
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbtypes.TargetHealthDescription{
				Target:          &elbtypes.TargetDescription{Id: aws.String(id), Port: aws.Int32(port)},
				HealthCheckPort: aws.String(healthCheckPort(tg, port)),
				TargetHealth: &elbtypes.TargetHealth{
					State: elbtypes.TargetHealthStateEnumUnused, Reason: elbtypes.TargetHealthReasonEnumNotRegistered,
					Description: aws.String("Target is not registered to the target group"),
				},
			})
		}
	}
	return out, nil
}

// targetsOf resolves the ports of a RegisterTargets or DeregisterTargets request.
func targetsOf(tg *TargetGroup, in []elbtypes.TargetDescription) ([]Target, error) {
	if len(in) == 0 {
		return nil, apiErr("ValidationError", "1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null")
	}
	var out []Target
	for _, d := range in {
		t := Target{ID: aws.ToString(d.Id), Port: tg.Port}
		if t.ID == "" {
			return nil, apiErr("ValidationError", "A target ID must be specified")
		}
		if d.Port != nil {
			t.Port = *d.Port
		}
		if t.Port < 1 || t.Port > 65535 {
			return nil, apiErr("ValidationError", "1 validation error detected: Value '%d' at 'targets.member.port' failed to satisfy constraint: Member must have value between 1 and 65535", t.Port)
		}
		out = append(out, t)
	}
	return out, nil
}

func quoteList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "'" + id + "'"
	}
	return strings.Join(q, ", ")
}

// RegisterTargets registers running instances of the target group's VPC, all or none.
// Registering a target again (same ID and port) does nothing; a draining one is registered
// afresh.
func (c *ELBV2) RegisterTargets(ctx context.Context, in *elbv2.RegisterTargetsInput, _ ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "RegisterTargets", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.RegisterTargetsInput{}
	}
	tg, err := s.mustTargetGroup(in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	targets, err := targetsOf(tg, in.Targets)
	if err != nil {
		return nil, err
	}
	var invalid, otherVPC, notRunning []string
	for _, t := range targets {
		inst := s.visibleInstance(t.ID)
		switch {
		case inst == nil || !instanceIDRe.MatchString(t.ID):
			invalid = append(invalid, t.ID)
		case inst.VPC != tg.VPC:
			otherVPC = append(otherVPC, t.ID)
		case inst.State != "running":
			notRunning = append(notRunning, t.ID)
		}
	}
	switch {
	case len(invalid) > 0:
		return nil, apiErr("InvalidTarget", "The following targets are not valid instances: %s", quoteList(invalid))
	case len(otherVPC) > 0:
		return nil, apiErr("InvalidTarget", "The following targets are not in the target group's VPC '%s': %s", tg.VPC, quoteList(otherVPC))
	case len(notRunning) > 0:
		return nil, apiErr("InvalidTarget", "The following targets are not in a running state and cannot be registered: %s", quoteList(notRunning))
	}
	active := 0
	for _, t := range tg.Targets {
		if t.DeregisteredAt.IsZero() {
			active++
		}
	}
	var added []Target
	for _, t := range targets {
		i := slices.IndexFunc(tg.Targets, func(x Target) bool { return x.ID == t.ID && x.Port == t.Port })
		dup := slices.ContainsFunc(added, func(x Target) bool { return x.ID == t.ID && x.Port == t.Port })
		if dup || (i >= 0 && tg.Targets[i].DeregisteredAt.IsZero()) {
			continue
		}
		added = append(added, t)
	}
	if active+len(added) > MaxTargetsPerGroup {
		return nil, apiErr("TooManyTargets", "You have reached the maximum number of targets per target group (%d)", MaxTargetsPerGroup)
	}
	now := s.w.Now
	for _, t := range added {
		i := slices.IndexFunc(tg.Targets, func(x Target) bool { return x.ID == t.ID && x.Port == t.Port })
		if i >= 0 {
			tg.Targets[i] = Target{ID: t.ID, Port: t.Port, RegisteredAt: now}
			continue
		}
		tg.Targets = append(tg.Targets, Target{ID: t.ID, Port: t.Port, RegisteredAt: now})
	}
	sortTargets(tg.Targets)
	return &elbv2.RegisterTargetsOutput{}, nil
}

// DeregisterTargets starts draining targets. A target that is not registered is no error.
func (c *ELBV2) DeregisterTargets(ctx context.Context, in *elbv2.DeregisterTargetsInput, _ ...func(*elbv2.Options)) (*elbv2.DeregisterTargetsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DeregisterTargets", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.DeregisterTargetsInput{}
	}
	tg, err := s.mustTargetGroup(in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	targets, err := targetsOf(tg, in.Targets)
	if err != nil {
		return nil, err
	}
	delay, _ := strconv.Atoi(tg.Attributes["deregistration_delay.timeout_seconds"])
	now := s.w.Now
	for _, t := range targets {
		i := slices.IndexFunc(tg.Targets, func(x Target) bool { return x.ID == t.ID && x.Port == t.Port })
		if i < 0 || !tg.Targets[i].DeregisteredAt.IsZero() {
			continue
		}
		tg.Targets[i].DeregisteredAt = now
		tg.Targets[i].DrainUntil = now.Add(time.Duration(delay) * time.Second)
	}
	s.settle() // a zero delay removes the target at once
	return &elbv2.DeregisterTargetsOutput{}, nil
}

// SetSubnets replaces the subnets (so the Availability Zones) the load balancer is enabled in.
func (c *ELBV2) SetSubnets(ctx context.Context, in *elbv2.SetSubnetsInput, _ ...func(*elbv2.Options)) (*elbv2.SetSubnetsOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "SetSubnets", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.SetSubnetsInput{}
	}
	if in.LoadBalancerArn == nil {
		return nil, apiErr("ValidationError", "1 validation error detected: Value null at 'loadBalancerArn' failed to satisfy constraint: Member must not be null")
	}
	lb := s.loadBalancer(*in.LoadBalancerArn)
	if lb == nil {
		return nil, errLBNotFound()
	}
	ids := slices.Clone(in.Subnets)
	for _, m := range in.SubnetMappings {
		ids = append(ids, aws.ToString(m.SubnetId))
	}
	var subnets []*Subnet
	for _, id := range ids {
		sn := s.subnet(id)
		if sn == nil {
			return nil, apiErr("SubnetNotFound", "The subnet ID '%s' was not found", id)
		}
		if !slices.Contains(subnets, sn) {
			subnets = append(subnets, sn)
		}
	}
	azs := map[string]bool{}
	for _, sn := range subnets {
		if sn.VPC != lb.VPC {
			return nil, apiErr("InvalidConfigurationRequest", "Subnet '%s' is in VPC '%s', not in the load balancer's VPC '%s'", sn.ID, sn.VPC, lb.VPC)
		}
		if azs[sn.AZ] {
			return nil, apiErr("InvalidConfigurationRequest", "A load balancer cannot be attached to multiple subnets in the same Availability Zone")
		}
		azs[sn.AZ] = true
	}
	if len(azs) < 2 {
		return nil, apiErr("ValidationError", "At least two subnets in two different Availability Zones must be specified")
	}
	now := s.w.Now
	var next []LBSubnet
	for _, sn := range subnets {
		z := LBSubnet{AZ: sn.AZ, Subnet: sn.ID, EnabledAt: now}
		for _, old := range lb.Subnets {
			if old.AZ == sn.AZ && old.Subnet == sn.ID {
				z.EnabledAt = old.EnabledAt
			}
		}
		next = append(next, z)
	}
	slices.SortFunc(next, func(a, b LBSubnet) int { return strings.Compare(a.AZ, b.AZ) })
	// Each enabled subnet holds a load balancer node, with an address of the subnet.
	for _, z := range next {
		if !slices.ContainsFunc(lb.Subnets, func(o LBSubnet) bool { return o.Subnet == z.Subnet }) {
			s.takeAddresses(z.Subnet, 1)
		}
	}
	for _, o := range lb.Subnets {
		if !slices.ContainsFunc(next, func(z LBSubnet) bool { return z.Subnet == o.Subnet }) {
			s.takeAddresses(o.Subnet, -1)
		}
	}
	lb.Subnets = next
	return &elbv2.SetSubnetsOutput{AvailabilityZones: zonesOf(lb), IpAddressType: elbtypes.IpAddressTypeIpv4}, nil
}

// DescribeListeners lists the listeners of a load balancer, or the listeners named.
func (c *ELBV2) DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "DescribeListeners", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.DescribeListenersInput{}
	}
	if (in.LoadBalancerArn == nil) == (len(in.ListenerArns) == 0) {
		return nil, apiErr("ValidationError", "You must specify either listener ARNs or a load balancer ARN")
	}
	if in.LoadBalancerArn != nil && s.loadBalancer(*in.LoadBalancerArn) == nil {
		return nil, errLBNotFound()
	}
	var list []*Listener
	for i := range s.w.Listeners {
		l := &s.w.Listeners[i]
		if (in.LoadBalancerArn != nil && l.LoadBalancer == *in.LoadBalancerArn) || slices.Contains(in.ListenerArns, l.ARN) {
			list = append(list, l)
		}
	}
	for _, a := range in.ListenerArns {
		if !slices.ContainsFunc(list, func(l *Listener) bool { return l.ARN == a }) {
			return nil, apiErr("ListenerNotFound", "One or more listeners not found")
		}
	}
	start, end, next, err := elbPage(len(list), in.PageSize, in.Marker)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeListenersOutput{NextMarker: next, Listeners: []elbtypes.Listener{}}
	for _, l := range list[start:end] {
		out.Listeners = append(out.Listeners, elbtypes.Listener{
			ListenerArn:     aws.String(l.ARN),
			LoadBalancerArn: aws.String(l.LoadBalancer),
			Port:            aws.Int32(l.Port),
			Protocol:        elbtypes.ProtocolEnum(l.Protocol),
			DefaultActions: []elbtypes.Action{{
				Type:           elbtypes.ActionTypeEnumForward,
				TargetGroupArn: aws.String(l.TargetGroup),
				ForwardConfig: &elbtypes.ForwardActionConfig{
					TargetGroups:                []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(l.TargetGroup), Weight: aws.Int32(1)}},
					TargetGroupStickinessConfig: &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(false)},
				},
			}},
		})
	}
	return out, nil
}

// ModifyTargetGroup changes a target group's health-check settings, all or none, with the
// API's ranges (interval 5-300 s, timeout 2-120 s and below the interval, thresholds 2-10,
// path of 1-1024 characters beginning with /, HTTP codes 200-499). Targets keep the health
// they have; the new settings apply from the next check.
func (c *ELBV2) ModifyTargetGroup(ctx context.Context, in *elbv2.ModifyTargetGroupInput, _ ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupOutput, error) {
	s := c.s
	unlock, err := s.begin(ctx, "ModifyTargetGroup", elbThrottle())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in == nil {
		in = &elbv2.ModifyTargetGroupInput{}
	}
	tg, err := s.mustTargetGroup(in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	hc, err := modifiedHealthCheck(tg, in)
	if err != nil {
		return nil, err
	}
	if hc != tg.HealthCheck {
		s.markHealth(tg, "")
		tg.HealthCheck = hc
	}
	return &elbv2.ModifyTargetGroupOutput{TargetGroups: []elbtypes.TargetGroup{s.describeTargetGroup(tg)}}, nil
}

// modifiedHealthCheck is tg's health check with the request's changes, validated.
func modifiedHealthCheck(tg *TargetGroup, in *elbv2.ModifyTargetGroupInput) (HealthCheck, error) {
	hc := tg.HealthCheck
	rng := func(field string, v *int32, lo, hi int32) error {
		switch {
		case v == nil:
		case *v < lo:
			return apiErr("ValidationError", "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", *v, field, lo)
		case *v > hi:
			return apiErr("ValidationError", "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", *v, field, hi)
		}
		return nil
	}
	for _, err := range []error{
		rng("healthCheckIntervalSeconds", in.HealthCheckIntervalSeconds, 5, 300),
		rng("healthCheckTimeoutSeconds", in.HealthCheckTimeoutSeconds, 2, 120),
		rng("healthyThresholdCount", in.HealthyThresholdCount, 2, 10),
		rng("unhealthyThresholdCount", in.UnhealthyThresholdCount, 2, 10),
	} {
		if err != nil {
			return hc, err
		}
	}
	if p := in.HealthCheckPath; p != nil {
		switch {
		case len(*p) < 1 || len(*p) > 1024:
			return hc, apiErr("ValidationError", "1 validation error detected: Value '%s' at 'healthCheckPath' failed to satisfy constraint: Member must have length between 1 and 1024", *p)
		case !strings.HasPrefix(*p, "/"):
			return hc, apiErr("ValidationError", "Health check path must begin with a '/' character")
		}
		hc.Path = *p
	}
	if in.HealthCheckEnabled != nil && !*in.HealthCheckEnabled {
		return hc, apiErr("InvalidConfigurationRequest", "Health checks cannot be disabled for target groups with target type 'instance'")
	}
	switch in.HealthCheckProtocol {
	case "":
	case elbtypes.ProtocolEnumHttp, elbtypes.ProtocolEnumHttps:
		hc.Protocol = string(in.HealthCheckProtocol)
	default:
		return hc, apiErr("InvalidConfigurationRequest", "Health check protocol '%s' is not supported for target groups with the %s protocol", in.HealthCheckProtocol, tg.Protocol)
	}
	if p := in.HealthCheckPort; p != nil {
		if *p != "traffic-port" && !intIn(*p, 1, 65535) {
			return hc, apiErr("ValidationError", "Health check port '%s' must be 'traffic-port' or a number between 1 and 65535", *p)
		}
		hc.Port = *p
	}
	if m := in.Matcher; m != nil {
		code := aws.ToString(m.HttpCode)
		if m.GrpcCode != nil {
			return hc, apiErr("InvalidConfigurationRequest", "A gRPC matcher is supported only for target groups with the GRPC protocol version")
		}
		if !validMatcher(code) {
			return hc, apiErr("ValidationError", "Health check matcher HTTP code '%s' must be a code, a list of codes or a range of codes between 200 and 499", code)
		}
		hc.Matcher = code
	}
	if in.HealthCheckIntervalSeconds != nil {
		hc.Interval = clock.Duration(time.Duration(*in.HealthCheckIntervalSeconds) * time.Second)
	}
	if in.HealthCheckTimeoutSeconds != nil {
		hc.Timeout = clock.Duration(time.Duration(*in.HealthCheckTimeoutSeconds) * time.Second)
	}
	if hc.Timeout >= hc.Interval {
		return hc, apiErr("ValidationError", "Health check timeout '%d' must be smaller than the interval '%d'", int(hc.Timeout.D().Seconds()), int(hc.Interval.D().Seconds()))
	}
	if in.HealthyThresholdCount != nil {
		hc.HealthyThreshold = *in.HealthyThresholdCount
	}
	if in.UnhealthyThresholdCount != nil {
		hc.UnhealthyThreshold = *in.UnhealthyThresholdCount
	}
	return hc, nil
}

// validMatcher checks an ALB HTTP matcher: codes ("200"), lists ("200,202") or one range
// ("200-299"), each code between 200 and 499.
func validMatcher(m string) bool {
	if m == "" {
		return false
	}
	for _, part := range strings.Split(m, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !intIn(lo, 200, 499) || (isRange && (!intIn(hi, 200, 499) || hi < lo)) {
			return false
		}
	}
	return true
}
