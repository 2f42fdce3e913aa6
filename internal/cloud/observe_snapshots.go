package cloud

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// readSnapshots reads the snapshots of the images albctl baked for the stack's fleets (the
// spec's own and the older ones), by a snapshot-id filter so that one snapshot gone (or of
// another account) fails no call. Plan needs their tags: an image's snapshots are deleted
// with it only when they carry albctl's tags, and a baked image whose snapshots lack them
// gets them (docs/security.md, "Snapshots"). A stack with no baked image costs no call.
func (o *observer) readSnapshots() {
	var ids []string
	for _, im := range o.images {
		if o.baked(&im.v) {
			ids = append(ids, im.v.SnapshotIDs...)
		}
	}
	slices.Sort(ids)
	for _, chunk := range chunks(slices.Compact(ids)) {
		paginate(o, kindOther, pager[*ec2.DescribeSnapshotsOutput]{
			fetch: func(ctx context.Context, token *string) (*ec2.DescribeSnapshotsOutput, error) {
				return o.api.EC2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{
					Filters:    []ec2types.Filter{{Name: aws.String("snapshot-id"), Values: chunk}},
					MaxResults: aws.Int32(1000), NextToken: token,
				})
			},
			next: func(out *ec2.DescribeSnapshotsOutput) *string { return out.NextToken },
			page: func(out *ec2.DescribeSnapshotsOutput) {
				for _, sn := range out.Snapshots {
					o.snapshots[aws.ToString(sn.SnapshotId)] = SnapshotFrom(sn)
				}
			},
			fail: func(err error) error { return fmt.Errorf("describe snapshots %v: %w", chunk, err) },
		})
	}
}

// baked reports whether albctl baked im for a fleet of the stack (by its tags).
func (o *observer) baked(im *Image) bool {
	for _, f := range o.q.Fleets {
		if f.TargetGroup != "" && im.Tags[TagFleet] == f.Label && im.Tags[TagStack] == f.TargetGroup {
			return true
		}
	}
	return false
}

// SnapshotTagged reports whether a snapshot carries the tags albctl gives the snapshots of
// the images it bakes for stack: the tag DeleteSnapshot is conditioned on.
func (w *World) SnapshotTagged(id, stack string) bool {
	i := slices.IndexFunc(w.Snapshots, func(sn Snapshot) bool { return sn.ID == id })
	return i >= 0 && w.Snapshots[i].Tags[TagStack] == stack
}

// SnapshotSeen reports whether the world read a snapshot (one gone, or of another account,
// is not).
func (w *World) SnapshotSeen(id string) bool {
	return slices.ContainsFunc(w.Snapshots, func(sn Snapshot) bool { return sn.ID == id })
}
