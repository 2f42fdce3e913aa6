package engine

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/cloud"
)

// tagImage remembers a rollback in the account, since albctl keeps no state file: the
// rolled-out image gets the tag albctl:rolled-back naming the gate, when, and its figures,
// and a later plan warns that this version was rolled back (docs/plans.md, "Gates,
// checkpoints and rollback").
func (a *gate) tagImage(ctx context.Context, r *runner) (string, error) {
	id := a.p.ImageID
	if a.p.ImageStep != "" {
		out, err := r.output(a.p.ImageStep)
		if err != nil {
			return "", nil // no image made: nothing to tag
		}
		id = out
	}
	b := a.breach
	value := cloud.RolledBackValue(b.at, b.gate, b.figures)
	_, err := r.api.EC2.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{id},
		Tags:      []ec2types.Tag{{Key: aws.String(cloud.TagRolledBack), Value: aws.String(value)}},
	})
	if err != nil {
		return "CreateTags", fmt.Errorf("tag image %s rolled back: %w", id, err)
	}
	return "", nil
}
