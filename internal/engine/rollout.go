package engine

import (
	"context"
	"fmt"
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

// The actions of a rollout and of the checks around it: a launch validated before a
// disruptive step, the spec's health check, a bake time, and the cleanup of old images.

// validateLaunch is RunInstances with DryRun: EC2 checks the request (image, type, subnet,
// groups, profile, tags) and answers DryRunOperation when it would have succeeded. Nothing
// is launched, so the request carries no ClientToken.
type validateLaunch struct{ p *plan.LaunchParams }

func (a *validateLaunch) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	t.profile = a.p.IAMProfile
	imageID := a.p.ImageID
	if a.p.ImageStep != "" {
		id, err := r.output(a.p.ImageStep)
		if err != nil {
			return false, "", err
		}
		imageID = id
	}
	if imageID == "" {
		return false, "", fmt.Errorf("validate_launch %s: no image to validate with (neither image_id nor the output of an image step)", a.p.ClientToken)
	}
	in := runInput(a.p, imageID)
	in.DryRun = aws.Bool(true)
	out, err := r.api.EC2.RunInstances(ctx, in)
	t.probe = withoutProfile(r, in)
	if cloud.ErrorCode(err) == "DryRunOperation" {
		return true, "", nil
	}
	if err != nil {
		return r.retry(ctx, t, "RunInstances", err)
	}
	// An endpoint that ignores DryRun launched for real: say so loudly rather than carry on.
	var ids []string
	for _, in := range out.Instances {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	return false, "", fmt.Errorf("RunInstances with DryRun launched %s: the endpoint does not honour DryRun; terminate them by hand", strings.Join(ids, ", "))
}

// modifyHealthCheck applies the spec's health-check settings (ModifyTargetGroup).
type modifyHealthCheck struct{ p *plan.HealthCheckParams }

func (a *modifyHealthCheck) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	in := &elbv2.ModifyTargetGroupInput{
		TargetGroupArn:             aws.String(a.p.TargetGroupARN),
		HealthCheckPath:            a.p.Path,
		HealthCheckIntervalSeconds: a.p.IntervalSeconds,
		HealthCheckTimeoutSeconds:  a.p.TimeoutSeconds,
		HealthyThresholdCount:      a.p.HealthyThreshold,
		UnhealthyThresholdCount:    a.p.UnhealthyThreshold,
	}
	if a.p.Matcher != nil {
		in.Matcher = &elbtypes.Matcher{HttpCode: a.p.Matcher}
	}
	if _, err := r.api.ELBV2.ModifyTargetGroup(ctx, in); err != nil {
		return r.retry(ctx, t, "ModifyTargetGroup", err)
	}
	r.changed(a.p.TargetGroupARN)
	return true, "", nil
}

// wait holds the steps after it for a fixed time on the apply's clock (a rollout's bake
// time): against AWS it sleeps, on the simulator the virtual clock moves.
type wait struct {
	p     *plan.WaitParams
	until time.Time
}

func (a *wait) advance(_ context.Context, r *runner, t *task) (bool, string, error) {
	now := r.clock.Now()
	if a.until.IsZero() {
		a.until = now.Add(a.p.Duration.D())
	}
	if !now.Before(a.until) {
		return true, "", nil
	}
	t.wakeAt = a.until
	return false, fmt.Sprintf("the end of a %s wait (%s left)", a.p.Duration, a.until.Sub(now)), nil
}

// deregisterImage removes an image albctl baked and then its snapshots. It is idempotent: an
// image or snapshot already gone counts as removed, so a re-run after a crash completes it.
// Before it deregisters, it asks EC2 whether a live instance still runs the image, and
// refuses if one does: the plan said nothing does, and the cloud is the source of truth.
type deregisterImage struct {
	p            *plan.CleanupParams
	deregistered bool
	deleted      int // snapshots deleted so far, in p.SnapshotIDs order
}

func (a *deregisterImage) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	name := a.p.ImageID
	if a.p.ImageName != "" {
		name += " (" + a.p.ImageName + ")"
	}
	if !a.deregistered {
		users, err := a.users(ctx, r)
		if err != nil {
			return r.retry(ctx, t, "DescribeInstances", err)
		}
		if len(users) > 0 {
			return false, "", fmt.Errorf("image %s is still used by %s: not deregistered", name, strings.Join(users, ", "))
		}
		_, err = r.api.EC2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(a.p.ImageID)})
		switch cloud.ErrorCode(err) {
		case "", "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable": // done now, or before
		default:
			return r.retry(ctx, t, "DeregisterImage", err)
		}
		a.deregistered = true
		t.fresh = true // its snapshots were released just now
		t.retrySince = time.Time{}
	}
	for a.deleted < len(a.p.SnapshotIDs) {
		snap := a.p.SnapshotIDs[a.deleted]
		_, err := r.api.EC2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
		if err != nil && cloud.ErrorCode(err) != "InvalidSnapshot.NotFound" {
			return r.retry(ctx, t, "DeleteSnapshot", err)
		}
		a.deleted++
		t.retrySince = time.Time{}
	}
	return true, "", nil
}

// users lists the live instances launched from the image.
func (a *deregisterImage) users(ctx context.Context, r *runner) ([]string, error) {
	var ids []string
	p := ec2.NewDescribeInstancesPaginator(r.api.EC2, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{
			{Name: aws.String("image-id"), Values: []string{a.p.ImageID}},
			{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
		},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, res := range page.Reservations {
			for _, in := range res.Instances {
				ids = append(ids, aws.ToString(in.InstanceId))
			}
		}
	}
	return ids, nil
}
