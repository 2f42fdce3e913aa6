package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
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
	case s.Kind == plan.ValidateLaunch && s.Launch != nil:
		return &validateLaunch{p: s.Launch}, nil
	case s.Kind == plan.ModifyHealthCheck && s.HealthCheck != nil:
		return &modifyHealthCheck{p: s.HealthCheck}, nil
	case s.Kind == plan.Wait && s.Wait != nil:
		return &wait{p: s.Wait}, nil
	case s.Kind == plan.DeregisterImage && s.Cleanup != nil:
		return &deregisterImage{p: s.Cleanup}, nil
	case s.Kind == plan.TagSnapshots && s.Snapshots != nil:
		return &tagSnapshots{p: s.Snapshots}, nil
	case s.Kind == plan.Gate && s.Gate != nil:
		return &gate{p: s.Gate}, nil
	}
	return nil, fmt.Errorf("step %s: kind %q without its parameters", s.ID, s.Kind)
}

type createImage struct {
	p       *plan.ImageParams
	imageID string
	tagged  bool // its snapshots carry the image's tags
}

func (a *createImage) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	if a.imageID == "" {
		// CreateImage has no ClientToken: an interrupted run may have started it already, so
		// look for the image by its (account-unique) name first.
		id, _, err := findImage(ctx, r, a.p.Name)
		if err != nil {
			return r.retry(ctx, t, "DescribeImages", err)
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
				// Made by an interrupted run, and not listed yet: find it by name. A name held
				// by an image that never shows as pending or available (a failed one keeps its
				// name until it is deregistered) is not waited for beyond the propagation bound.
				what := "image " + a.p.Name + " to appear"
				if terr := r.timedOut(t, r.timeouts.Propagation, what); terr != nil {
					return false, "", fmt.Errorf("%w: CreateImage answers %w, and no pending or available image has that name; deregister the image that holds it", terr, err)
				}
				t.fresh = true
				return false, what, nil
			}
			if err != nil {
				return r.retry(ctx, t, "CreateImage", err)
			}
			id = aws.ToString(out.ImageId)
			t.fresh = true
		}
		a.imageID = id
		t.output = id
	}
	if ok, waiting, err := waitImage(ctx, r, t, a.imageID); !ok || err != nil {
		return ok, waiting, err
	}
	if !a.tagged {
		if err := a.tagSnapshots(ctx, r); err != nil {
			return r.retry(ctx, t, "CreateTags", err)
		}
		a.tagged = true
	}
	return true, "", nil
}

// tagSnapshots gives the image's snapshots the image's tags, so that DeleteSnapshot can be
// granted on albctl's snapshots only (docs/security.md, "Snapshots"). The snapshot IDs come
// from the image's block device mappings, known once it is available. Not a tag
// specification of CreateImage: moto answers 500 to one for snapshots (docs/security.md).
// CreateTags overwrites with the same values, so a re-run converges.
func (a *createImage) tagSnapshots(ctx context.Context, r *runner) error {
	im, _, err := r.image(ctx, a.imageID)
	if err != nil {
		return err
	}
	ids := backingSnapshots(im)
	if len(ids) == 0 || len(a.p.Tags) == 0 { // an instance-store image has no snapshot
		return nil
	}
	_, err = r.api.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: cloud.EC2Tags(a.p.Tags)})
	return err
}

func (a *createImage) watchedImage() string { return a.imageID }

func findImage(ctx context.Context, r *runner, name string) (id, state string, err error) {
	out, err := r.api.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners:  []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}},
	})
	if err != nil {
		return "", "", err
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
		return r.retry(ctx, t, "DescribeImages", err)
	}
	// An image takes minutes: read at most every imageCadence, together with the others.
	want := r.backoffWant(t)
	if limit := r.clock.Now().Add(imageCadence); want.After(limit) {
		want = limit
	}
	r.waitOn(t, pollImages, want)
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
	launched   time.Time // when RunInstances answered
	// lastPending is when the instance was last read pending (zero: never).
	lastPending time.Time
}

// runInput is the RunInstances request of a launch; validate_launch sends the same with
// DryRun, so what it proves is what the launch will ask.
func runInput(p *plan.LaunchParams, imageID string) *ec2.RunInstancesInput {
	in := &ec2.RunInstancesInput{
		ImageId:          aws.String(imageID),
		MinCount:         aws.Int32(1),
		MaxCount:         aws.Int32(1),
		SubnetId:         aws.String(p.SubnetID),
		InstanceType:     ec2types.InstanceType(p.InstanceType),
		SecurityGroupIds: p.SecurityGroupIDs,
	}
	if len(p.Tags) > 0 { // EC2 refuses a tag specification without tags
		in.TagSpecifications = []ec2types.TagSpecification{
			{ResourceType: ec2types.ResourceTypeInstance, Tags: cloud.EC2Tags(p.Tags)},
		}
	}
	if p.KeyName != "" {
		in.KeyName = aws.String(p.KeyName)
	}
	if p.IAMProfile != "" {
		in.IamInstanceProfile = profileSpec(p.IAMProfile)
	}
	return in
}

func (a *launchInstance) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	t.profile = a.p.IAMProfile
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
		in := runInput(a.p, a.imageID)
		in.ClientToken = aws.String(a.p.ClientToken)
		out, err := r.api.EC2.RunInstances(ctx, in)
		t.probe = withoutProfile(r, in)
		if err != nil {
			return r.retry(ctx, t, "RunInstances", err)
		}
		if len(out.Instances) != 1 {
			return false, "", fmt.Errorf("RunInstances returned %d instances, want 1", len(out.Instances))
		}
		a.instanceID = aws.ToString(out.Instances[0].InstanceId)
		t.output = a.instanceID
		t.fresh = true
		a.launched = r.clock.Now()
		// A new instance is pending for tens of seconds; polling at once only wastes a call.
		r.waitOn(t, pollInstances, r.runningWant(launchKind(a.p, a.imageID), a.launched))
		return false, a.instanceID + " to be running (pending)", nil
	}
	what := a.instanceID + " to be running"
	if err := r.timedOut(t, r.timeouts.InstanceRunning, what); err != nil {
		return false, "", err
	}
	st, err := r.instanceState(ctx, a.instanceID)
	if err != nil {
		return r.retry(ctx, t, "DescribeInstances", err)
	}
	kind := launchKind(a.p, a.imageID)
	switch st {
	case "running":
		if !a.lastPending.IsZero() && !a.launched.IsZero() {
			r.pendingSeen(kind, a.lastPending.Sub(a.launched))
		}
		return true, "", nil
	case "pending":
		a.lastPending = r.clock.Now()
		if a.launched.IsZero() { // launched by an interrupted run: nothing to go on
			r.waitOn(t, pollInstances, r.backoffWant(t))
		} else {
			r.waitOn(t, pollInstances, r.runningWant(kind, a.launched))
		}
		return false, what + " (pending)", nil
	}
	return false, "", fmt.Errorf("instance %s is %s, not running", a.instanceID, st)
}

// withoutProfile returns a probe for retry: whether EC2 refuses the same request, without its
// IAM instance profile, as a DryRun. When it accepts it, an InvalidParameterValue was about
// the profile; when it refuses it too, the error is about another parameter and permanent.
func withoutProfile(r *runner, in *ec2.RunInstancesInput) func(context.Context) bool {
	if in.IamInstanceProfile == nil {
		return nil
	}
	return func(ctx context.Context) bool {
		dry := *in
		dry.IamInstanceProfile, dry.ClientToken, dry.DryRun = nil, nil, aws.Bool(true)
		_, err := r.api.EC2.RunInstances(ctx, &dry)
		return cloud.ErrorCode(err) != "DryRunOperation"
	}
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
	t.profile = a.p.IAMProfile
	_, err := r.api.EC2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{
		InstanceId:         aws.String(a.p.InstanceID),
		IamInstanceProfile: profileSpec(a.p.IAMProfile),
	})
	if cloud.ErrorCode(err) == "IncorrectState" {
		// The instance has a profile already: done if it is this one (an interrupted run
		// associated it), a permanent error otherwise. Decided by what EC2 shows, not by the
		// message.
		arn, lerr := r.instanceProfile(ctx, a.p.InstanceID)
		if lerr != nil {
			return r.retry(ctx, t, "DescribeInstances", lerr)
		}
		if arn != "" && (arn == a.p.IAMProfile || cloud.ProfileName(arn) == cloud.ProfileName(a.p.IAMProfile)) {
			return true, "", nil
		}
	}
	if err != nil {
		return r.retry(ctx, t, "AssociateIamInstanceProfile", err)
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
		return r.retry(ctx, t, "ModifyTargetGroupAttributes", err)
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
		missing, op, err := zonesWithoutHealthyTargets(ctx, r, a.p)
		if err != nil {
			return r.retry(ctx, t, op, err)
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
		return r.retry(ctx, t, "SetSubnets", err)
	}
	return true, "", nil
}

// zonesWithoutHealthyTargets returns the kept AZs whose node would have no healthy target of
// some target group behind the load balancer; on error, op names the call that failed. A kept
// AZ needs a healthy target in it, except one the plan keeps without targets (AcrossZones: its
// node reaches the other zones' targets, docs/design.md, "Zones and reachability"), which
// needs a healthy target in some kept AZ.
func zonesWithoutHealthyTargets(ctx context.Context, r *runner, p *plan.ZonesParams) (missing []string, op string, err error) {
	for _, tgARN := range p.TargetGroupARNs {
		all, err := r.groupHealth(ctx, tgARN)
		if err != nil {
			return nil, "DescribeTargetHealth", err
		}
		var healthy []string
		for _, d := range all {
			if d.TargetHealth != nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				healthy = append(healthy, aws.ToString(d.Target.Id))
			}
		}
		if err := r.lookAt(ctx, healthy); err != nil {
			return nil, "DescribeInstances", err
		}
		zones := map[string]bool{}
		anyKept := false
		for _, id := range healthy {
			if az := r.round.zones[id]; r.round.states[id] == "running" {
				zones[az] = true
				anyKept = anyKept || slices.Contains(p.AZs, az)
			}
		}
		for _, az := range p.AZs {
			ok := zones[az] || slices.Contains(p.AcrossZones, az) && anyKept
			if !ok && !slices.Contains(missing, az) {
				missing = append(missing, az)
			}
		}
	}
	slices.Sort(missing)
	return missing, "", nil
}

// named is an instance ID with its readable name, for messages: "i-0abc (web-1c-1)".
func named(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return id + " (" + name + ")"
}

type registerTarget struct {
	p          *plan.TargetParams
	instanceID string
	registered bool
	running    bool      // the instance was seen running (or was launched by this apply)
	since      time.Time // when RegisterTargets was accepted
	// checksFrom is the first read that found the target past its registration (its health
	// checks begun): checks come an interval apart from about then.
	checksFrom time.Time
	rolledBack bool
	last       string // the last health seen, for the rollback report
	fleet      *gate  // the fleet's rollback, in a rollout with gates (RollbackParams.Fleet)
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
	// An instance launched in this apply may be unknown to ELB for a moment.
	t.fresh = a.p.InstanceStep != ""
	who := named(a.instanceID, a.p.Name)
	if !a.running && !a.registered && !a.launchedHere() {
		// Until the instance is seen running, waiting for it is the step's answer.
		done, wait, err := a.awaitRunning(ctx, r, t, who)
		if !a.running {
			return done, wait, err
		}
	}
	if !a.registered {
		return a.registerBatch(ctx, r, t, who)
	}
	return a.awaitHealthy(ctx, r, t, who)
}

// awaitRunning asks for the state of an instance known at plan time. ELB refuses an
// instance that is not running (InvalidTarget). One launched by this apply is running
// already; one known at plan time may still be pending (launched by an interrupted run) or
// may have stopped since. It sets a.running once the instance runs.
func (a *registerTarget) awaitRunning(ctx context.Context, r *runner, t *task, who string) (bool, string, error) {
	st, err := r.instanceState(ctx, a.instanceID)
	if err != nil {
		return r.retry(ctx, t, "DescribeInstances", err)
	}
	switch st {
	case "running":
		a.running = true
		return false, "", nil
	case "pending":
		what := who + " to be running before it is registered"
		if err := r.timedOut(t, r.timeouts.InstanceRunning, what); err != nil {
			return false, "", err
		}
		r.waitOn(t, pollInstances, r.backoffWant(t))
		return false, what, nil
	default:
		return false, "", fmt.Errorf("instance %s is %s: ELB registers only running instances", who, st)
	}
}

// registerBatch sends one RegisterTargets for every registration into this group that is
// due now. When the batch is refused, this target goes alone, so the error is judged for it.
func (a *registerTarget) registerBatch(ctx context.Context, r *runner, t *task, who string) (bool, string, error) {
	batch := []*registerTarget{a}
	if !t.retried && t.retrySince.IsZero() {
		for _, o := range r.due() {
			if b, ok := o.action.(*registerTarget); ok && b != a && !b.registered && b.p.TargetGroupARN == a.p.TargetGroupARN && b.resolve(r) == nil && (b.launchedHere() || b.running) {
				batch = append(batch, b)
			}
		}
	}
	err := r.register(ctx, a.p.TargetGroupARN, batch)
	if err != nil && len(batch) > 1 {
		batch = batch[:1]
		err = r.register(ctx, a.p.TargetGroupARN, batch)
	}
	if err != nil {
		return r.retry(ctx, t, "RegisterTargets", err)
	}
	now := r.clock.Now()
	for _, b := range batch {
		b.registered, b.since = true, now
	}
	r.changed(a.p.TargetGroupARN)
	// Health checks take at least a few intervals; no point asking at once.
	r.waitOn(t, pollHealth(a.p.TargetGroupARN), now.Add(firstPoll))
	return false, who + " to pass health checks", nil
}

// awaitHealthy waits for the registered target to pass its health checks, within the
// rollback's health timeout if the step has one, else within the apply's.
func (a *registerTarget) awaitHealthy(ctx context.Context, r *runner, t *task, who string) (bool, string, error) {
	what := who + " to pass health checks"
	if rb := a.p.Rollback; rb != nil {
		if r.clock.Now().Sub(a.since) > rb.HealthTimeout.D() {
			return a.rollback(ctx, r, t)
		}
	} else if err := r.timedOut(t, r.timeouts.TargetHealthy, what); err != nil {
		return false, "", err
	}
	key := pollHealth(a.p.TargetGroupARN)
	if now := r.clock.Now(); !now.After(a.since) {
		// Registered in this very pass (another step's batch): nothing to read yet.
		r.waitOn(t, key, now.Add(firstPoll))
		return false, what, nil
	}
	d, ok, err := r.targetHealth(ctx, a.p.TargetGroupARN, a.instanceID, a.p.Port)
	if err != nil {
		return r.retry(ctx, t, "DescribeTargetHealth", err)
	}
	if !ok || d.TargetHealth == nil {
		a.last = "not listed"
		r.waitOn(t, key, r.backoffWant(t))
		return false, what + " (not listed yet)", nil
	}
	if d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
		return true, "", nil
	}
	r.waitOn(t, key, a.healthWant(ctx, r, t, d.TargetHealth))
	a.last = string(d.TargetHealth.State)
	if d.TargetHealth.Reason != "" {
		a.last += ": " + string(d.TargetHealth.Reason)
	}
	return false, fmt.Sprintf("%s (%s)", what, a.last), nil
}

// healthWant is when a registered target not yet healthy is next read. While its
// registration is in progress, every firstPoll, to see when its checks begin; once they have
// (initial with another reason, or unhealthy), at its next check: one interval after the read
// that first saw them begun, and every interval after, since its health changes only with a
// check. Anything else (unused: zone not enabled, instance not running) backs off.
func (a *registerTarget) healthWant(ctx context.Context, r *runner, t *task, h *elbtypes.TargetHealth) time.Time {
	now := r.clock.Now()
	switch {
	case h.State == elbtypes.TargetHealthStateEnumInitial && h.Reason == elbtypes.TargetHealthReasonEnumRegistrationInProgress:
		return now.Add(firstPoll)
	case h.State == elbtypes.TargetHealthStateEnumInitial || h.State == elbtypes.TargetHealthStateEnumUnhealthy:
		interval := r.settings(ctx, a.p.TargetGroupARN).interval
		if interval <= 0 {
			return r.backoffWant(t)
		}
		if a.checksFrom.IsZero() {
			a.checksFrom = now
		}
		return checkWant(now, a.checksFrom, interval)
	}
	return r.backoffWant(t)
}

// launchedHere reports whether the instance was launched by this apply: its launch step
// finished only once it was running.
func (a *registerTarget) launchedHere() bool {
	if a.p.InstanceStep != "" {
		a.running = true
	}
	return a.p.InstanceStep != ""
}

func (a *registerTarget) watchedInstance() string {
	if !a.running && !a.registered {
		return a.instanceID
	}
	return ""
}

func (r *runner) register(ctx context.Context, tgARN string, batch []*registerTarget) error {
	var targets []elbtypes.TargetDescription
	for _, b := range batch {
		targets = append(targets, elbtypes.TargetDescription{Id: aws.String(b.instanceID), Port: aws.Int32(b.p.Port)})
	}
	_, err := r.api.ELBV2.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tgARN), Targets: targets})
	return err
}

// ErrRolledBack wraps the failure of a rollout's new member that was not healthy in time and
// was taken out again (auto_rollback).
var ErrRolledBack = errors.New("rolled back")

// rollback is what happens when a rollout's new member is not healthy within its bound: with
// Auto, it is deregistered and terminated (both idempotent, so a repeated advance is safe)
// and the step fails saying so; without, the step fails and the member stays registered.
func (a *registerTarget) rollback(ctx context.Context, r *runner, t *task) (bool, string, error) {
	rb := a.p.Rollback
	who := named(a.instanceID, a.p.Name)
	last := a.last
	if last == "" {
		last = "no health reported"
	}
	if !rb.Auto {
		return false, "", fmt.Errorf("%w: %s not healthy within %s (last: %s); auto_rollback is off, so it stays registered and the old members still serve",
			ErrTimeout, who, rb.HealthTimeout, last)
	}
	if rb.Fleet != nil {
		if a.fleet == nil {
			a.fleet = healthTimeoutRollback(rb.Fleet, r.clock.Now(), fmt.Sprintf("%s not healthy within %s (last: %s)", who, rb.HealthTimeout, last))
		}
		return a.fleet.rollback(ctx, r, t)
	}
	if !a.rolledBack {
		_, err := r.api.ELBV2.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{
			TargetGroupArn: aws.String(a.p.TargetGroupARN),
			Targets:        []elbtypes.TargetDescription{{Id: aws.String(a.instanceID), Port: aws.Int32(a.p.Port)}},
		})
		if err != nil && cloud.ErrorCode(err) != "InvalidTarget" { // InvalidTarget: not registered (moto)
			return r.retry(ctx, t, "DeregisterTargets", err)
		}
		r.changed(a.p.TargetGroupARN)
		_, err = r.api.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{a.instanceID}})
		if err != nil && cloud.ErrorCode(err) != "InvalidInstanceID.NotFound" {
			return r.retry(ctx, t, "TerminateInstances", err)
		}
		a.rolledBack = true
	}
	return false, "", fmt.Errorf("%w: %s not healthy within %s (last: %s); deregistered and terminated it, the old members still serve",
		ErrRolledBack, who, rb.HealthTimeout, last)
}

// deregisterTarget takes a target out of service. It is done once ELB accepts the call: the
// target then drains for the target group's deregistration delay, and the terminate step
// waits for that, so draining overlaps the steps in between.
type deregisterTarget struct {
	p *plan.TargetParams
}

func (a *deregisterTarget) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	target := []elbtypes.TargetDescription{{Id: aws.String(a.p.InstanceID), Port: aws.Int32(a.p.Port)}}
	_, err := r.api.ELBV2.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(a.p.TargetGroupARN), Targets: target})
	if err != nil {
		return r.retry(ctx, t, "DeregisterTargets", err)
	}
	r.changed(a.p.TargetGroupARN)
	r.deregistered(a.p.TargetGroupARN, a.p.InstanceID, a.p.Port)
	return true, "", nil
}

type terminateInstance struct {
	p       *plan.TerminateParams
	drained time.Time // when draining was over (zero: not yet)
	sent    bool
	// sentAt is when TerminateInstances answered; lastShutting when the instance was last
	// read not yet terminated.
	sentAt, lastShutting time.Time
}

func (a *terminateInstance) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	who := named(a.p.InstanceID, a.p.Name)
	if g, ok := r.held[a.p.InstanceID]; ok && !a.sent {
		// A tripped gate serves from it again: the apply stops once that rollback is done.
		return false, fmt.Sprintf("%s: back in service by the rollback of %s", who, g), nil
	}
	if a.drained.IsZero() {
		// In-flight requests finish during the deregistration delay: terminate only after.
		waiting, op, err := a.draining(ctx, r, t)
		if err != nil {
			if op == "" {
				return false, "", err
			}
			return r.retry(ctx, t, op, err)
		}
		if waiting != "" {
			return false, waiting, nil
		}
		a.drained = r.clock.Now() // the termination's own bound starts now
	}
	if !a.sent {
		if err := r.launchedByAlbctl(ctx, a.p.InstanceID); err != nil {
			return r.retry(ctx, t, "DescribeInstances", err)
		}
		_, err := r.api.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{a.p.InstanceID}})
		if cloud.ErrorCode(err) == "InvalidInstanceID.NotFound" {
			// Seen at plan time and gone now: terminated long enough ago that EC2 forgot it.
			return true, "", nil
		}
		if err != nil {
			return r.retry(ctx, t, "TerminateInstances", err)
		}
		a.sent, a.sentAt = true, r.clock.Now()
		// Shutting down takes seconds: no point reading it at once.
		r.waitOn(t, pollInstances, r.runningWant(terminating, a.sentAt))
		return false, who + " to terminate (shutting-down)", nil
	}
	what := who + " to terminate"
	if err := r.timedOutSince(a.drained, r.timeouts.InstanceRunning, what); err != nil {
		return false, "", err
	}
	st, err := r.instanceState(ctx, a.p.InstanceID)
	if cloud.ErrorCode(err) == "InvalidInstanceID.NotFound" {
		return true, "", nil
	}
	if err != nil {
		return r.retry(ctx, t, "DescribeInstances", err)
	}
	if st == "terminated" {
		if !a.lastShutting.IsZero() && !a.sentAt.IsZero() {
			r.pendingSeen(terminating, a.lastShutting.Sub(a.sentAt))
		}
		return true, "", nil
	}
	a.lastShutting = r.clock.Now()
	r.waitOn(t, pollInstances, r.runningWant(terminating, a.sentAt))
	return false, fmt.Sprintf("%s (%s)", what, st), nil
}

// draining says what the instance still waits for in its DrainFrom registrations ("" when
// nothing). A registration that is still in service (not draining) is given the propagation
// bound to show the deregistration, then fails the step: terminating it would cut requests.
func (a *terminateInstance) draining(ctx context.Context, r *runner, t *task) (waiting, op string, err error) {
	who := named(a.p.InstanceID, a.p.Name)
	for _, ref := range a.p.DrainFrom {
		d, ok, err := r.targetHealth(ctx, ref.TargetGroupARN, a.p.InstanceID, ref.Port)
		if err != nil {
			return "", "DescribeTargetHealth", err
		}
		if !ok || d.TargetHealth == nil {
			continue
		}
		switch d.TargetHealth.State {
		case elbtypes.TargetHealthStateEnumDraining:
			what := who + " to finish draining"
			if err := r.timedOut(t, r.timeouts.TargetDrained, what); err != nil {
				return "", "", err
			}
			at, far := r.drainWant(ctx, ref.TargetGroupARN, a.p.InstanceID, ref.Port)
			r.waitUntil(t, pollHealth(ref.TargetGroupARN), at, far)
			return what, "", nil
		case elbtypes.TargetHealthStateEnumUnused:
			continue // registered but given no traffic: nothing to drain
		default:
			what := fmt.Sprintf("%s to be deregistered (still %s)", who, d.TargetHealth.State)
			if r.clock.Now().Sub(t.started) > r.timeouts.Propagation {
				return "", "", fmt.Errorf("%s is still registered (%s) in %s after %s: it would lose requests if terminated; deregister it first",
					who, d.TargetHealth.State, ref.TargetGroupARN, r.timeouts.Propagation)
			}
			r.waitOn(t, pollHealth(ref.TargetGroupARN), r.backoffWant(t))
			return what, "", nil
		}
	}
	return "", "", nil
}

func (a *terminateInstance) watchedInstance() string {
	if a.sent {
		return a.p.InstanceID
	}
	return ""
}

// backingSnapshots are the EBS snapshots an image's block device mappings name.
func backingSnapshots(im ec2types.Image) []string {
	var ids []string
	for _, b := range im.BlockDeviceMappings {
		if b.Ebs != nil && aws.ToString(b.Ebs.SnapshotId) != "" {
			ids = append(ids, aws.ToString(b.Ebs.SnapshotId))
		}
	}
	return ids
}

// tagSnapshots gives the snapshots of an image albctl baked the image's tags (a plan's
// tag_snapshots step, docs/security.md "Snapshots"). The cloud, not the plan, says which
// snapshots back the image: it tags only those, and only while the image carries the stack's
// tag, so a plan edited to name another snapshot cannot make it deletable. CreateTags
// writes the same values again on a re-run.
type tagSnapshots struct{ p *plan.SnapshotTagParams }

func (a *tagSnapshots) watchedImage() string { return a.p.ImageID }

func (a *tagSnapshots) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	if ok, waiting, err := waitImage(ctx, r, t, a.p.ImageID); !ok || err != nil {
		return ok, waiting, err
	}
	im, _, err := r.image(ctx, a.p.ImageID)
	if err != nil {
		return r.retry(ctx, t, "DescribeImages", err)
	}
	stack := a.p.Tags[cloud.TagStack]
	if got := cloud.TagMap(im.Tags)[cloud.TagStack]; got != stack {
		return false, "", fmt.Errorf("image %s carries %s=%q, not %q: its snapshots are not albctl's to tag", a.p.ImageID, cloud.TagStack, got, stack)
	}
	backing := backingSnapshots(im)
	for _, id := range a.p.SnapshotIDs {
		if !slices.Contains(backing, id) {
			return false, "", fmt.Errorf("snapshot %s does not back image %s (its block devices name %v): not tagged", id, a.p.ImageID, backing)
		}
	}
	_, err = r.api.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: a.p.SnapshotIDs, Tags: cloud.EC2Tags(a.p.Tags)})
	if err != nil {
		return r.retry(ctx, t, "CreateTags", err)
	}
	return true, "", nil
}
