package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/cloud"
	"github.com/albctl/albctl/plan"
)

func actionFor(s *plan.Step) (action, error) {
	switch {
	case s.Kind == plan.CreateImage && s.Image != nil:
		return &createImage{p: s.Image}, nil
	case s.Kind == plan.LaunchInstance && s.Launch != nil:
		return &launchInstance{p: s.Launch}, nil
	case s.Kind == plan.AssociateInstanceProfile && s.Associate != nil:
		return &associateProfile{p: s.Associate}, nil
	case s.Kind == plan.EnableStickiness && s.Stickiness != nil:
		return &setAttributes{p: s.Stickiness}, nil
	case (s.Kind == plan.AddZones || s.Kind == plan.TrimZones) && s.Zones != nil:
		return &setSubnets{p: s.Zones, trim: s.Kind == plan.TrimZones}, nil
	case s.Kind == plan.RegisterTarget && s.Target != nil:
		return &registerTarget{p: s.Target}, nil
	case s.Kind == plan.DeregisterTarget && s.Target != nil:
		return &deregisterTarget{p: s.Target}, nil
	case s.Kind == plan.TerminateInstance && s.Terminate != nil:
		return &terminateInstance{p: s.Terminate}, nil
	}
	return nil, fmt.Errorf("step %s: kind %q without its parameters", s.ID, s.Kind)
}

// transient reports whether err is one AWS tells clients to retry: throttling, and the
// eventual consistency of things just created (a new instance, a new IAM profile).
func transient(err error) bool {
	switch code := cloud.ErrorCode(err); code {
	case "RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException",
		"InvalidInstanceID.NotFound", "InternalError", "ServiceUnavailable":
		return true
	case "InvalidParameterValue":
		return strings.Contains(strings.ToLower(err.Error()), "iaminstanceprofile")
	}
	return false
}

// retry turns a transient error into another wait, bounded by the propagation timeout; any
// other error is returned as it is.
func (r *runner) retry(t *task, err error) (bool, string, error) {
	if !transient(err) {
		return false, "", err
	}
	now := r.clock.Now()
	if t.retrySince.IsZero() {
		t.retrySince = now
	}
	t.retried = true
	if now.Sub(t.retrySince) > r.timeouts.Propagation {
		return false, "", fmt.Errorf("%w: still %s after retrying for %s: %w", ErrTimeout, cloud.ErrorCode(err), r.timeouts.Propagation, err)
	}
	r.emit(Event{Type: EventRetry, Step: t.step.ID, Kind: string(t.step.Kind), Message: "retrying after " + cloud.ErrorCode(err), Error: err.Error()})
	return false, "retrying after " + cloud.ErrorCode(err), nil
}

type createImage struct {
	p       *plan.ImageParams
	imageID string
}

func (a *createImage) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	if a.imageID == "" {
		// CreateImage has no ClientToken: an interrupted run may have started it already, so
		// look for the image by its (account-unique) name first.
		id, _, err := findImage(ctx, r, a.p.Name)
		if err != nil {
			return r.retry(t, err)
		}
		if id == "" {
			out, err := r.api.EC2.CreateImage(ctx, &ec2.CreateImageInput{
				InstanceId: aws.String(a.p.SourceInstanceID),
				Name:       aws.String(a.p.Name),
				NoReboot:   aws.Bool(a.p.NoReboot),
				TagSpecifications: []ec2types.TagSpecification{
					{ResourceType: ec2types.ResourceTypeImage, Tags: cloud.EC2Tags(a.p.Tags)},
				},
			})
			if cloud.ErrorCode(err) == "InvalidAMIName.Duplicate" {
				return false, "image " + a.p.Name + " to appear", nil
			}
			if err != nil {
				return r.retry(t, err)
			}
			id = aws.ToString(out.ImageId)
		}
		a.imageID = id
		t.output = id
	}
	return waitImage(ctx, r, t, a.imageID)
}

func findImage(ctx context.Context, r *runner, name string) (id, state string, err error) {
	out, err := r.api.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners:  []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}},
	})
	if err != nil {
		return "", "", fmt.Errorf("describe image %s: %w", name, err)
	}
	for _, im := range out.Images {
		switch im.State {
		case ec2types.ImageStatePending, ec2types.ImageStateAvailable:
			return aws.ToString(im.ImageId), string(im.State), nil
		}
	}
	return "", "", nil
}

func waitImage(ctx context.Context, r *runner, t *task, id string) (bool, string, error) {
	what := id + " to become available"
	if err := r.timedOut(t, r.timeouts.ImageAvailable, what); err != nil {
		return false, "", err
	}
	im, ok, err := r.image(ctx, id)
	if err != nil {
		return r.retry(t, err)
	}
	if !ok {
		return false, what, nil
	}
	switch st := im.State; st {
	case ec2types.ImageStateAvailable:
		return true, "", nil
	case ec2types.ImageStatePending:
		return false, what + " (pending)", nil
	default:
		reason := ""
		if im.StateReason != nil {
			reason = ": " + aws.ToString(im.StateReason.Message)
		}
		return false, "", fmt.Errorf("image %s is %s%s", id, st, reason)
	}
}

type launchInstance struct {
	p          *plan.LaunchParams
	imageID    string
	imageReady bool
	instanceID string
}

func (a *launchInstance) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	if a.imageID == "" {
		a.imageID = a.p.ImageID
		if a.p.ImageStep != "" {
			id, err := r.output(a.p.ImageStep)
			if err != nil {
				return false, "", err
			}
			// The create_image step finished only once the image was available.
			a.imageID, a.imageReady = id, true
		}
	}
	if !a.imageReady {
		// An image that existed at plan time may still be pending (an interrupted run made it).
		ok, waiting, err := waitImage(ctx, r, t, a.imageID)
		if !ok || err != nil {
			return ok, waiting, err
		}
		a.imageReady = true
	}
	if a.instanceID == "" {
		in := &ec2.RunInstancesInput{
			ImageId:          aws.String(a.imageID),
			MinCount:         aws.Int32(1),
			MaxCount:         aws.Int32(1),
			SubnetId:         aws.String(a.p.SubnetID),
			InstanceType:     ec2types.InstanceType(a.p.InstanceType),
			SecurityGroupIds: a.p.SecurityGroupIDs,
			ClientToken:      aws.String(a.p.ClientToken),
			TagSpecifications: []ec2types.TagSpecification{
				{ResourceType: ec2types.ResourceTypeInstance, Tags: cloud.EC2Tags(a.p.Tags)},
			},
		}
		if a.p.KeyName != "" {
			in.KeyName = aws.String(a.p.KeyName)
		}
		if a.p.IAMProfile != "" {
			in.IamInstanceProfile = profileSpec(a.p.IAMProfile)
		}
		out, err := r.api.EC2.RunInstances(ctx, in)
		if err != nil {
			return r.retry(t, err)
		}
		if len(out.Instances) != 1 {
			return false, "", fmt.Errorf("RunInstances returned %d instances, want 1", len(out.Instances))
		}
		a.instanceID = aws.ToString(out.Instances[0].InstanceId)
		t.output = a.instanceID
		// A new instance is pending for tens of seconds; polling at once only wastes a call.
		return false, a.instanceID + " to be running (pending)", nil
	}
	what := a.instanceID + " to be running"
	if err := r.timedOut(t, r.timeouts.InstanceRunning, what); err != nil {
		return false, "", err
	}
	st, err := r.instanceState(ctx, a.instanceID)
	if err != nil {
		return r.retry(t, err)
	}
	switch st {
	case "running":
		return true, "", nil
	case "pending":
		return false, what + " (pending)", nil
	}
	return false, "", fmt.Errorf("instance %s is %s, not running", a.instanceID, st)
}

func profileSpec(p string) *ec2types.IamInstanceProfileSpecification {
	if strings.HasPrefix(p, "arn:") {
		return &ec2types.IamInstanceProfileSpecification{Arn: aws.String(p)}
	}
	return &ec2types.IamInstanceProfileSpecification{Name: aws.String(p)}
}

func (a *launchInstance) watchedInstance() string {
	if a.imageReady {
		return a.instanceID
	}
	return ""
}

type associateProfile struct{ p *plan.AssociateParams }

func (a *associateProfile) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	_, err := r.api.EC2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{
		InstanceId:         aws.String(a.p.InstanceID),
		IamInstanceProfile: profileSpec(a.p.IAMProfile),
	})
	if cloud.ErrorCode(err) == "IncorrectState" && strings.Contains(err.Error(), "existing association") {
		return true, "", nil // an interrupted run associated it already
	}
	if err != nil {
		return r.retry(t, err)
	}
	return true, "", nil
}

type setAttributes struct{ p *plan.StickinessParams }

func (a *setAttributes) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	keys := make([]string, 0, len(a.p.Attributes))
	for k := range a.p.Attributes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var attrs []elbtypes.TargetGroupAttribute
	for _, k := range keys {
		attrs = append(attrs, elbtypes.TargetGroupAttribute{Key: aws.String(k), Value: aws.String(a.p.Attributes[k])})
	}
	_, err := r.api.ELBV2.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(a.p.TargetGroupARN), Attributes: attrs,
	})
	if err != nil {
		return r.retry(t, err)
	}
	return true, "", nil
}

type setSubnets struct {
	p    *plan.ZonesParams
	trim bool
}

func (a *setSubnets) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	if a.trim {
		// Never take a zone away while a kept zone has no healthy target: the plan orders this
		// after the registrations, and the engine checks it against the cloud as well.
		missing, err := zonesWithoutHealthyTargets(ctx, r, a.p)
		if err != nil {
			return r.retry(t, err)
		}
		if len(missing) > 0 {
			what := "a healthy target in " + strings.Join(missing, ", ") + " before trimming"
			if err := r.timedOut(t, r.timeouts.TargetHealthy, what); err != nil {
				return false, "", err
			}
			return false, what, nil
		}
	}
	_, err := r.api.ELBV2.SetSubnets(ctx, &elbv2.SetSubnetsInput{
		LoadBalancerArn: aws.String(a.p.LoadBalancerARN), Subnets: a.p.SubnetIDs,
	})
	if err != nil {
		return r.retry(t, err)
	}
	return true, "", nil
}

// zonesWithoutHealthyTargets returns the kept AZs in which some target group behind the load
// balancer has no healthy target.
func zonesWithoutHealthyTargets(ctx context.Context, r *runner, p *plan.ZonesParams) ([]string, error) {
	var missing []string
	for _, tgARN := range p.TargetGroupARNs {
		all, err := r.groupHealth(ctx, tgARN)
		if err != nil {
			return nil, err
		}
		var healthy []string
		for _, d := range all {
			if d.TargetHealth != nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				healthy = append(healthy, aws.ToString(d.Target.Id))
			}
		}
		if err := r.lookAt(ctx, healthy); err != nil {
			return nil, err
		}
		zones := map[string]bool{}
		for _, id := range healthy {
			if r.round.states[id] == "running" {
				zones[r.round.zones[id]] = true
			}
		}
		for _, az := range p.AZs {
			if !zones[az] && !slices.Contains(missing, az) {
				missing = append(missing, az)
			}
		}
	}
	slices.Sort(missing)
	return missing, nil
}

type registerTarget struct {
	p          *plan.TargetParams
	instanceID string
	registered bool
}

// resolve finds the instance ID, from the plan or from the launch step that made it.
func (a *registerTarget) resolve(r *runner) error {
	if a.instanceID != "" {
		return nil
	}
	a.instanceID = a.p.InstanceID
	if a.p.InstanceStep != "" {
		id, err := r.output(a.p.InstanceStep)
		if err != nil {
			return err
		}
		a.instanceID = id
	}
	return nil
}

func (a *registerTarget) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	if err := a.resolve(r); err != nil {
		return false, "", err
	}
	if !a.registered {
		// One RegisterTargets for every registration into this group that is due now.
		batch := []*registerTarget{a}
		for _, o := range r.due() {
			if b, ok := o.action.(*registerTarget); ok && b != a && !b.registered && b.p.TargetGroupARN == a.p.TargetGroupARN && b.resolve(r) == nil {
				batch = append(batch, b)
			}
		}
		var targets []elbtypes.TargetDescription
		for _, b := range batch {
			targets = append(targets, elbtypes.TargetDescription{Id: aws.String(b.instanceID), Port: aws.Int32(b.p.Port)})
		}
		_, err := r.api.ELBV2.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(a.p.TargetGroupARN), Targets: targets})
		if err != nil {
			if cloud.ErrorCode(err) == "InvalidTarget" && r.clock.Now().Sub(t.started) < r.timeouts.Propagation {
				// A just-launched instance can be unknown to ELB for a moment.
				r.emit(Event{Type: EventRetry, Step: t.step.ID, Kind: string(t.step.Kind), Message: "retrying after InvalidTarget", Error: err.Error()})
				return false, a.instanceID + " to be registrable", nil
			}
			return r.retry(t, err)
		}
		for _, b := range batch {
			b.registered = true
		}
		r.changed(a.p.TargetGroupARN)
		// Health checks take at least a few intervals; no point asking at once.
		return false, a.instanceID + " to pass health checks", nil
	}
	what := a.instanceID + " to pass health checks"
	if err := r.timedOut(t, r.timeouts.TargetHealthy, what); err != nil {
		return false, "", err
	}
	d, ok, err := r.targetHealth(ctx, a.p.TargetGroupARN, a.instanceID, a.p.Port)
	if err != nil {
		return r.retry(t, err)
	}
	if !ok || d.TargetHealth == nil {
		return false, what + " (not listed yet)", nil
	}
	if d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
		return true, "", nil
	}
	return false, fmt.Sprintf("%s (%s: %s)", what, d.TargetHealth.State, d.TargetHealth.Reason), nil
}

type deregisterTarget struct {
	p    *plan.TargetParams
	sent bool
}

func (a *deregisterTarget) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	if !a.sent {
		target := []elbtypes.TargetDescription{{Id: aws.String(a.p.InstanceID), Port: aws.Int32(a.p.Port)}}
		_, err := r.api.ELBV2.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(a.p.TargetGroupARN), Targets: target})
		if err != nil {
			return r.retry(t, err)
		}
		a.sent = true
		r.changed(a.p.TargetGroupARN)
	}
	what := a.p.InstanceID + " to finish draining"
	if err := r.timedOut(t, r.timeouts.TargetDrained, what); err != nil {
		return false, "", err
	}
	d, ok, err := r.targetHealth(ctx, a.p.TargetGroupARN, a.p.InstanceID, a.p.Port)
	if err != nil {
		return r.retry(t, err)
	}
	if ok && d.TargetHealth != nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumDraining {
		return false, what, nil
	}
	return true, "", nil
}

type terminateInstance struct {
	p    *plan.TerminateParams
	sent bool
}

func (a *terminateInstance) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	if !a.sent {
		if err := r.launchedByAlbctl(ctx, a.p.InstanceID); err != nil {
			return r.retry(t, err)
		}
		_, err := r.api.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{a.p.InstanceID}})
		if err != nil {
			return r.retry(t, err)
		}
		a.sent = true
	}
	what := a.p.InstanceID + " to terminate"
	if err := r.timedOut(t, r.timeouts.InstanceRunning, what); err != nil {
		return false, "", err
	}
	st, err := r.instanceState(ctx, a.p.InstanceID)
	if err != nil {
		return r.retry(t, err)
	}
	if st == "terminated" {
		return true, "", nil
	}
	return false, fmt.Sprintf("%s (%s)", what, st), nil
}

func (a *terminateInstance) watchedInstance() string {
	if a.sent {
		return a.p.InstanceID
	}
	return ""
}
