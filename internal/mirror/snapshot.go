package mirror

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// SettleMargin is how far past the latest time stamp it reads Snapshot sets the world's
// clock. It exceeds the longest possible initial health check (10 x 300 s), so that targets
// the endpoint reports as settled are settled in the simulator too.
const SettleMargin = time.Hour

// emptyAccountNow is the clock of a snapshot that found no time stamp at all.
var emptyAccountNow = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Snapshot reads an endpoint's topology in one region into a world that simulator.ParseWorld
// accepts. It makes only Describe and List calls (and GetCallerIdentity when api.STS is set).
// The clients decide which region is read; region only labels the world, so pass theirs.
//
// It reads every VPC, subnet and security group, the account's IAM instance profiles, the
// images the account owns, every instance that is not terminated, every Application Load
// Balancer with its forwarding listeners, and every instance target group with its
// attributes and targets. Left out: other kinds of load balancer and target group,
// listeners whose default action is not a plain forward to one target group, target group
// attributes the simulator does not model (moto's waf.fail_open.enabled, for one), targets
// whose instance is terminated, security group rules and instance profile roles.
//
// Time: a world needs a clock, and the account has none to read, so the world's "now" is
// the latest time stamp read (launch, creation) plus SettleMargin, to the second. The same
// account state thus gives the same world, byte for byte. States become time stamps
// relative to that clock: a registered target counts as registered since its instance's
// launch, so a healthy target is healthy in the simulator; an "initial" target is registered
// at "now"; a draining target began draining at "now"; a pending image or instance turns
// available or running after the simulator's usual delay. A zone is enabled since its load
// balancer's creation. The ID seed is a hash of every ID read, so that IDs the simulator
// hands out later do not collide with the snapshot's.
func Snapshot(ctx context.Context, api SnapshotAPI, region string) (*simulator.World, error) {
	if region == "" {
		return nil, errors.New("snapshot: no region")
	}
	r := &reader{api: api, w: &simulator.World{Region: region}}
	for _, step := range []func(context.Context) error{
		r.vpcs, r.subnets, r.securityGroups, r.profiles, r.images, r.instances,
		r.loadBalancers, r.targetGroups, r.listeners, r.account,
	} {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
	}
	r.settleClock()
	data, err := r.w.Marshal()
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	w, err := simulator.ParseWorld(data)
	if err != nil {
		return nil, fmt.Errorf("snapshot: the world read does not validate: %w", err)
	}
	return w, nil
}

type reader struct {
	api    SnapshotAPI
	w      *simulator.World
	owners []string // owner IDs and ARNs seen, for the account ID when there is no STS
	latest time.Time
	// pending are time stamps to set once the clock is known.
	pendingImages    []int
	pendingInstances []int
	shuttingDown     []int
	initialTargets   [][2]int
	drainingTargets  [][2]int
}

func (r *reader) saw(t time.Time) {
	if t.After(r.latest) {
		r.latest = t
	}
}

func tagsOf(tags []ec2types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	return cloud.TagMap(tags)
}

func (r *reader) vpcs(ctx context.Context) error {
	p := ec2.NewDescribeVpcsPaginator(r.api.EC2, &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe vpcs: %w", err)
		}
		for _, v := range page.Vpcs {
			r.owners = append(r.owners, aws.ToString(v.OwnerId))
			r.w.VPCs = append(r.w.VPCs, simulator.VPC{
				ID:        aws.ToString(v.VpcId),
				CIDR:      aws.ToString(v.CidrBlock),
				IsDefault: aws.ToBool(v.IsDefault),
				Tags:      tagsOf(v.Tags),
			})
		}
	}
	return nil
}

func (r *reader) subnets(ctx context.Context) error {
	p := ec2.NewDescribeSubnetsPaginator(r.api.EC2, &ec2.DescribeSubnetsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe subnets: %w", err)
		}
		for _, s := range page.Subnets {
			r.w.Subnets = append(r.w.Subnets, simulator.Subnet{
				ID:   aws.ToString(s.SubnetId),
				VPC:  aws.ToString(s.VpcId),
				AZ:   aws.ToString(s.AvailabilityZone),
				CIDR: aws.ToString(s.CidrBlock),
				Tags: tagsOf(s.Tags),
			})
		}
	}
	return nil
}

func (r *reader) securityGroups(ctx context.Context) error {
	p := ec2.NewDescribeSecurityGroupsPaginator(r.api.EC2, &ec2.DescribeSecurityGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe security groups: %w", err)
		}
		for _, g := range page.SecurityGroups {
			if aws.ToString(g.VpcId) == "" {
				continue // EC2-Classic: no VPC, nothing albctl can use
			}
			r.w.SecurityGroups = append(r.w.SecurityGroups, simulator.SecurityGroup{
				ID:          aws.ToString(g.GroupId),
				Name:        aws.ToString(g.GroupName),
				VPC:         aws.ToString(g.VpcId),
				Description: aws.ToString(g.Description),
				Tags:        tagsOf(g.Tags),
			})
		}
	}
	return nil
}

func (r *reader) profiles(ctx context.Context) error {
	p := iam.NewListInstanceProfilesPaginator(r.api.IAM, &iam.ListInstanceProfilesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list instance profiles: %w", err)
		}
		for _, ip := range page.InstanceProfiles {
			created := aws.ToTime(ip.CreateDate).UTC().Truncate(time.Second)
			r.saw(created)
			r.owners = append(r.owners, aws.ToString(ip.Arn))
			r.w.InstanceProfiles = append(r.w.InstanceProfiles, simulator.InstanceProfile{
				Name:      aws.ToString(ip.InstanceProfileName),
				ARN:       aws.ToString(ip.Arn),
				ID:        aws.ToString(ip.InstanceProfileId),
				CreatedAt: created,
			})
		}
	}
	return nil
}

func (r *reader) images(ctx context.Context) error {
	p := ec2.NewDescribeImagesPaginator(r.api.EC2, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe images: %w", err)
		}
		for _, im := range page.Images {
			created, _ := time.Parse(time.RFC3339, aws.ToString(im.CreationDate))
			created = created.UTC().Truncate(time.Second)
			r.saw(created)
			r.owners = append(r.owners, aws.ToString(im.OwnerId))
			if string(im.State) == "pending" {
				r.pendingImages = append(r.pendingImages, len(r.w.Images))
			}
			r.w.Images = append(r.w.Images, simulator.Image{
				ID:          aws.ToString(im.ImageId),
				Name:        aws.ToString(im.Name),
				State:       string(im.State),
				Owner:       aws.ToString(im.OwnerId),
				Description: aws.ToString(im.Description),
				CreatedAt:   created,
				Tags:        tagsOf(im.Tags),
			})
		}
	}
	return nil
}

func (r *reader) instances(ctx context.Context) error {
	p := ec2.NewDescribeInstancesPaginator(r.api.EC2, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{
			Name:   aws.String("instance-state-name"),
			Values: []string{"pending", "running", "shutting-down", "stopping", "stopped"},
		}},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe instances: %w", err)
		}
		for _, res := range page.Reservations {
			r.owners = append(r.owners, aws.ToString(res.OwnerId))
			for _, in := range res.Instances {
				if aws.ToString(in.SubnetId) == "" {
					continue // EC2-Classic
				}
				launched := aws.ToTime(in.LaunchTime).UTC().Truncate(time.Second)
				r.saw(launched)
				i := simulator.Instance{
					ID:          aws.ToString(in.InstanceId),
					Subnet:      aws.ToString(in.SubnetId),
					VPC:         aws.ToString(in.VpcId),
					Image:       aws.ToString(in.ImageId),
					Type:        string(in.InstanceType),
					Key:         aws.ToString(in.KeyName),
					Tags:        tagsOf(in.Tags),
					LaunchTime:  launched,
					LaunchIndex: aws.ToInt32(in.AmiLaunchIndex),
					Reservation: aws.ToString(res.ReservationId),
					ClientToken: aws.ToString(in.ClientToken),
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
				for _, g := range in.SecurityGroups {
					i.SecurityGroups = append(i.SecurityGroups, aws.ToString(g.GroupId))
				}
				switch i.State {
				case "pending":
					r.pendingInstances = append(r.pendingInstances, len(r.w.Instances))
				case "shutting-down":
					r.shuttingDown = append(r.shuttingDown, len(r.w.Instances))
				}
				r.w.Instances = append(r.w.Instances, i)
			}
		}
	}
	return nil
}

func (r *reader) loadBalancers(ctx context.Context) error {
	p := elbv2.NewDescribeLoadBalancersPaginator(r.api.ELBV2, &elbv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe load balancers: %w", err)
		}
		for _, lb := range page.LoadBalancers {
			if lb.Type != elbtypes.LoadBalancerTypeEnumApplication {
				continue
			}
			created := aws.ToTime(lb.CreatedTime).UTC().Truncate(time.Second)
			r.saw(created)
			r.owners = append(r.owners, aws.ToString(lb.LoadBalancerArn))
			l := simulator.LoadBalancer{
				ARN:            aws.ToString(lb.LoadBalancerArn),
				Name:           aws.ToString(lb.LoadBalancerName),
				DNSName:        aws.ToString(lb.DNSName),
				Scheme:         string(lb.Scheme),
				VPC:            aws.ToString(lb.VpcId),
				CreatedAt:      created,
				SecurityGroups: slices.Clone(lb.SecurityGroups),
			}
			if lb.State != nil {
				l.State = string(lb.State.Code)
			}
			for _, z := range lb.AvailabilityZones {
				l.Subnets = append(l.Subnets, simulator.LBSubnet{
					AZ: aws.ToString(z.ZoneName), Subnet: aws.ToString(z.SubnetId), EnabledAt: created,
				})
			}
			r.w.LoadBalancers = append(r.w.LoadBalancers, l)
		}
	}
	return nil
}

func (r *reader) listeners(ctx context.Context) error {
	tgs := map[string]bool{}
	for _, tg := range r.w.TargetGroups {
		tgs[tg.ARN] = true
	}
	for _, lb := range r.w.LoadBalancers {
		p := elbv2.NewDescribeListenersPaginator(r.api.ELBV2, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lb.ARN)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe listeners of %s: %w", lb.Name, err)
			}
			for _, l := range page.Listeners {
				tg := forwardTarget(l.DefaultActions)
				if !tgs[tg] {
					continue
				}
				r.w.Listeners = append(r.w.Listeners, simulator.Listener{
					ARN:          aws.ToString(l.ListenerArn),
					LoadBalancer: lb.ARN,
					Port:         aws.ToInt32(l.Port),
					Protocol:     string(l.Protocol),
					TargetGroup:  tg,
				})
			}
		}
	}
	return nil
}

// forwardTarget returns the one target group a listener's default actions forward to, or ""
// when they do something else (redirect, fixed response, weighted forward to several).
func forwardTarget(actions []elbtypes.Action) string {
	for _, a := range actions {
		if a.Type != elbtypes.ActionTypeEnumForward {
			continue
		}
		if arn := aws.ToString(a.TargetGroupArn); arn != "" {
			return arn
		}
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) == 1 {
			return aws.ToString(a.ForwardConfig.TargetGroups[0].TargetGroupArn)
		}
	}
	return ""
}

func secondsOf(v *int32) simulator.Duration {
	return simulator.Duration(time.Duration(aws.ToInt32(v)) * time.Second)
}

func (r *reader) targetGroups(ctx context.Context) error {
	modelled, err := simulatorDefaults()
	if err != nil {
		return err
	}
	instances := map[string]int{}
	for i, in := range r.w.Instances {
		instances[in.ID] = i
	}
	p := elbv2.NewDescribeTargetGroupsPaginator(r.api.ELBV2, &elbv2.DescribeTargetGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe target groups: %w", err)
		}
		for _, tg := range page.TargetGroups {
			if tg.TargetType != "" && tg.TargetType != elbtypes.TargetTypeEnumInstance {
				continue
			}
			r.owners = append(r.owners, aws.ToString(tg.TargetGroupArn))
			t := simulator.TargetGroup{
				ARN:      aws.ToString(tg.TargetGroupArn),
				Name:     aws.ToString(tg.TargetGroupName),
				VPC:      aws.ToString(tg.VpcId),
				Protocol: string(tg.Protocol),
				Port:     aws.ToInt32(tg.Port),
				HealthCheck: simulator.HealthCheck{
					Protocol:           string(tg.HealthCheckProtocol),
					Path:               aws.ToString(tg.HealthCheckPath),
					Port:               aws.ToString(tg.HealthCheckPort),
					Interval:           secondsOf(tg.HealthCheckIntervalSeconds),
					Timeout:            secondsOf(tg.HealthCheckTimeoutSeconds),
					HealthyThreshold:   aws.ToInt32(tg.HealthyThresholdCount),
					UnhealthyThreshold: aws.ToInt32(tg.UnhealthyThresholdCount),
				},
				Attributes: map[string]string{},
			}
			if tg.Matcher != nil {
				t.HealthCheck.Matcher = aws.ToString(tg.Matcher.HttpCode)
			}
			attrs, err := r.api.ELBV2.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
			if err != nil {
				return fmt.Errorf("target group %s: describe attributes: %w", t.Name, err)
			}
			for _, a := range attrs.Attributes {
				if k := aws.ToString(a.Key); hasKey(modelled, k) {
					t.Attributes[k] = aws.ToString(a.Value)
				}
			}
			health, err := r.api.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
			if err != nil {
				return fmt.Errorf("target group %s: describe target health: %w", t.Name, err)
			}
			ti := len(r.w.TargetGroups)
			for _, d := range health.TargetHealthDescriptions {
				if d.Target == nil {
					continue
				}
				id := aws.ToString(d.Target.Id)
				ii, ok := instances[id]
				if !ok {
					continue // terminated: AWS deregisters it by itself
				}
				target := simulator.Target{ID: id, Port: cmp.Or(aws.ToInt32(d.Target.Port), t.Port), RegisteredAt: r.w.Instances[ii].LaunchTime}
				if d.TargetHealth != nil {
					switch d.TargetHealth.State {
					case elbtypes.TargetHealthStateEnumInitial:
						r.initialTargets = append(r.initialTargets, [2]int{ti, len(t.Targets)})
					case elbtypes.TargetHealthStateEnumDraining:
						r.drainingTargets = append(r.drainingTargets, [2]int{ti, len(t.Targets)})
					}
				}
				t.Targets = append(t.Targets, target)
			}
			r.w.TargetGroups = append(r.w.TargetGroups, t)
		}
	}
	return nil
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// account names the account: STS when given, else the most common owner among the owner
// IDs and ARNs read.
func (r *reader) account(ctx context.Context) error {
	if r.api.STS != nil {
		id, err := r.api.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return fmt.Errorf("get caller identity: %w", err)
		}
		r.w.AccountID = aws.ToString(id.Account)
		return nil
	}
	count := map[string]int{}
	for _, o := range r.owners {
		if strings.HasPrefix(o, "arn:") {
			if parts := strings.SplitN(o, ":", 6); len(parts) == 6 {
				o = parts[4]
			}
		}
		if len(o) == 12 && strings.Trim(o, "0123456789") == "" {
			count[o]++
		}
	}
	best := ""
	for o, n := range count {
		if n > count[best] || (n == count[best] && o < best) {
			best = o
		}
	}
	if best == "" {
		return errors.New("cannot tell the account ID: nothing read names an owner (give an STS client)")
	}
	r.w.AccountID = best
	return nil
}

// settleClock sets the world's clock and the time stamps that depend on it, and the ID seed.
func (r *reader) settleClock() {
	now := emptyAccountNow
	if !r.latest.IsZero() {
		now = r.latest.Add(SettleMargin)
	}
	w := r.w
	w.Now = now
	for _, i := range r.pendingImages {
		w.Images[i].AvailableAt = now.Add(simulator.ImagePending)
	}
	for _, i := range r.pendingInstances {
		w.Instances[i].RunningAt = now.Add(simulator.InstancePending)
	}
	for _, i := range r.shuttingDown {
		w.Instances[i].TerminatingAt = now
		w.Instances[i].TerminatedAt = now.Add(simulator.ShuttingDown)
	}
	for _, ij := range r.initialTargets {
		w.TargetGroups[ij[0]].Targets[ij[1]].RegisteredAt = now
	}
	for _, ij := range r.drainingTargets {
		tg := &w.TargetGroups[ij[0]]
		delay, err := strconv.Atoi(tg.Attributes["deregistration_delay.timeout_seconds"])
		if err != nil {
			delay = 300
		}
		tg.Targets[ij[1]].DeregisteredAt = now
		tg.Targets[ij[1]].DrainUntil = now.Add(time.Duration(delay) * time.Second)
	}
	h := fnv.New64a()
	for _, id := range r.ids() {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	w.Seed = h.Sum64() >> 11 // 53 bits: exact in any JSON reader
}

func (r *reader) ids() []string {
	var ids []string
	w := r.w
	for _, v := range w.VPCs {
		ids = append(ids, v.ID)
	}
	for _, s := range w.Subnets {
		ids = append(ids, s.ID)
	}
	for _, g := range w.SecurityGroups {
		ids = append(ids, g.ID)
	}
	for _, im := range w.Images {
		ids = append(ids, im.ID)
	}
	for _, in := range w.Instances {
		ids = append(ids, in.ID, in.Reservation)
	}
	for _, lb := range w.LoadBalancers {
		ids = append(ids, lb.ARN)
	}
	for _, tg := range w.TargetGroups {
		ids = append(ids, tg.ARN)
	}
	for _, l := range w.Listeners {
		ids = append(ids, l.ARN)
	}
	slices.Sort(ids)
	return ids
}
