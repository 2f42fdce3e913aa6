package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/cloud"
)

// ErrRefused marks a step the engine will not carry out whatever the plan says: the last line
// of defence when a plan was edited or built wrong (see docs/security.md).
var ErrRefused = errors.New("refused")

// launchedByAlbctl checks, with one Describe call just before TerminateInstances, that the
// instance carries the tags albctl puts on what it launches. A source instance, or anything
// else in the account, never has them, so no plan — edited, stale or buggy — can terminate it.
func (r *runner) launchedByAlbctl(ctx context.Context, id string) error {
	out, err := r.api.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{id}}},
	})
	if err != nil {
		return fmt.Errorf("describe instance %s before terminating it: %w", id, err)
	}
	for _, res := range out.Reservations {
		for _, in := range res.Instances {
			if aws.ToString(in.InstanceId) != id {
				continue
			}
			tags := cloud.TagMap(in.Tags)
			for _, k := range []string{cloud.TagFleet, cloud.TagStack, cloud.TagSlot} {
				if tags[k] == "" {
					return fmt.Errorf("%w to terminate %s: it has no %s tag, so albctl did not launch it", ErrRefused, id, k)
				}
			}
			return nil
		}
	}
	return fmt.Errorf("%w to terminate %s: no such instance, so its albctl tags cannot be checked", ErrRefused, id)
}
