package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// round is what one pass of the scheduler has read. Twenty launches waiting to run cost one
// DescribeInstances per pass, not twenty, and twenty registrations one DescribeTargetHealth:
// fewer calls, less throttling, and the cost of an apply does not grow with its width.
type round struct {
	states      map[string]string // instance ID -> state, for the IDs asked so far
	zones       map[string]string // instance ID -> Availability Zone
	profile     map[string]string // instance ID -> IAM instance profile ARN
	asked       map[string]bool
	images      map[string]ec2types.Image                              // image ID -> image, read this pass
	imagesAsked map[string]bool                                        // image IDs asked this pass
	health      map[string]map[string]elbtypes.TargetHealthDescription // TG ARN -> "id:port" ->
	healthy     map[string]bool                                        // TG ARNs read this pass
	alarms      map[string]alarmSeen                                   // alarm name -> as read this pass
	alarmsAsked map[string]bool                                        // alarm names asked this pass
}

// instanceWatcher is implemented by steps that poll an instance's state.
type instanceWatcher interface{ watchedInstance() string }

// instanceState returns id's state as of this pass, describing in one call every instance the
// due steps are waiting on. An instance EC2 does not show yet is InvalidInstanceID.NotFound,
// as AWS answers right after RunInstances.
func (r *runner) instanceState(ctx context.Context, id string) (string, error) {
	if err := r.lookAt(ctx, []string{id}); err != nil {
		return "", err
	}
	st, ok := r.round.states[id]
	if !ok {
		return "", notFound(id)
	}
	return st, nil
}

// instanceProfile returns the ARN of id's IAM instance profile ("" for none) as of this pass.
func (r *runner) instanceProfile(ctx context.Context, id string) (string, error) {
	if _, err := r.instanceState(ctx, id); err != nil {
		return "", err
	}
	return r.round.profile[id], nil
}

// lookAt reads the instances named (those not read yet this pass), together with every
// instance a due step is waiting on.
func (r *runner) lookAt(ctx context.Context, want []string) error {
	rd := r.round
	if rd.states == nil {
		rd.states, rd.zones, rd.profile, rd.asked = map[string]string{}, map[string]string{}, map[string]string{}, map[string]bool{}
	}
	var ids []string
	for _, id := range want {
		if !rd.asked[id] && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		for _, t := range r.due() {
			if w, ok := t.action.(instanceWatcher); ok {
				if other := w.watchedInstance(); other != "" && !rd.asked[other] && !slices.Contains(ids, other) {
					ids = append(ids, other)
				}
			}
		}
		slices.Sort(ids)
		for start := 0; start < len(ids); start += 200 {
			chunk := ids[start:min(start+200, len(ids))]
			// A filter, not InstanceIds: one unknown ID would fail the whole call.
			p := ec2.NewDescribeInstancesPaginator(r.api.EC2, &ec2.DescribeInstancesInput{
				Filters:    []ec2types.Filter{{Name: aws.String("instance-id"), Values: chunk}},
				MaxResults: aws.Int32(1000),
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, res := range page.Reservations {
					for _, in := range res.Instances {
						id := aws.ToString(in.InstanceId)
						if in.State != nil {
							rd.states[id] = string(in.State.Name)
						}
						if in.Placement != nil {
							rd.zones[id] = aws.ToString(in.Placement.AvailabilityZone)
						}
						if in.IamInstanceProfile != nil {
							rd.profile[id] = aws.ToString(in.IamInstanceProfile.Arn)
						}
					}
				}
			}
			for _, c := range chunk {
				rd.asked[c] = true
			}
		}
	}
	return nil
}

// targetHealth returns the health of target id:port in tgARN as of this pass, reading the
// whole target group once per pass; ok is false when the target is not listed (not
// registered, or drained).
func (r *runner) targetHealth(ctx context.Context, tgARN, id string, port int32) (elbtypes.TargetHealthDescription, bool, error) {
	all, err := r.groupHealth(ctx, tgARN)
	if err != nil {
		return elbtypes.TargetHealthDescription{}, false, err
	}
	d, ok := all[targetKey(id, port)]
	return d, ok, nil
}

// groupHealth returns every registered target of tgARN with its health, read once per pass.
func (r *runner) groupHealth(ctx context.Context, tgARN string) (map[string]elbtypes.TargetHealthDescription, error) {
	rd := r.round
	if rd.health == nil {
		rd.health, rd.healthy = map[string]map[string]elbtypes.TargetHealthDescription{}, map[string]bool{}
	}
	if !rd.healthy[tgARN] {
		out, err := r.api.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
		if err != nil {
			return nil, err
		}
		m := map[string]elbtypes.TargetHealthDescription{}
		for _, d := range out.TargetHealthDescriptions {
			if d.Target != nil {
				m[targetKey(aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))] = d
			}
		}
		rd.health[tgARN], rd.healthy[tgARN] = m, true
	}
	return rd.health[tgARN], nil
}

// changed forgets what this pass read of a target group, after a call that changed it.
func (r *runner) changed(tgARN string) {
	if r.round != nil && r.round.healthy != nil {
		delete(r.round.healthy, tgARN)
	}
}

func targetKey(id string, port int32) string { return fmt.Sprintf("%s:%d", id, port) }

func notFound(id string) error {
	return &smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound", Message: fmt.Sprintf("The instance ID '%s' does not exist (not visible yet)", id)}
}

// imageWatcher is implemented by steps that wait for an image to become available.
type imageWatcher interface{ watchedImage() string }

// image returns the image as of this pass. Steps
// waiting on images share one DescribeImages per pass (by an image-id filter, so that an
// image not visible yet does not fail the call for the others); an image this apply made
// that is not listed yet is InvalidAMIID.NotFound, as AWS answers by ImageIds.
func (r *runner) image(ctx context.Context, id string) (ec2types.Image, bool, error) {
	rd := r.round
	if rd.images == nil {
		rd.images, rd.imagesAsked = map[string]ec2types.Image{}, map[string]bool{}
	}
	if !rd.imagesAsked[id] {
		ids := []string{id}
		for _, t := range r.due() {
			if w, ok := t.action.(imageWatcher); ok {
				if o := w.watchedImage(); o != "" && !rd.imagesAsked[o] && !slices.Contains(ids, o) {
					ids = append(ids, o)
				}
			}
		}
		slices.Sort(ids)
		out, err := r.api.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{Filters: []ec2types.Filter{{Name: aws.String("image-id"), Values: ids}}})
		if err != nil {
			return ec2types.Image{}, false, err
		}
		for _, im := range out.Images {
			rd.images[aws.ToString(im.ImageId)] = im
		}
		for _, o := range ids {
			rd.imagesAsked[o] = true
		}
	}
	im, ok := rd.images[id]
	if !ok {
		return ec2types.Image{}, false, &smithy.GenericAPIError{Code: "InvalidAMIID.NotFound", Message: fmt.Sprintf("The image id '[%s]' does not exist (not visible yet)", id)}
	}
	return im, true, nil
}
