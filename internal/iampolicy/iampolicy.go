// Package iampolicy generates the least-privilege IAM policies albctl needs for a spec: one
// for the read-only commands (plan, plan -rehearse, sim snapshot, init) and one for apply
// (and force-unlock). docs/iam-policy-*.json are what it generates for the documented input,
// and docs/security.md ("IAM permissions") explains each statement.
//
// Generate is pure: the same input gives the same bytes.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
)

// Use is a role of use: which commands the policy is for.
type Use string

const (
	Plan  Use = "plan"  // plan, plan -rehearse, sim snapshot, init: reads only
	Apply Use = "apply" // apply and force-unlock: the reads, the writes and the lock
)

// Uses are the roles of use, in the order the docs list them.
var Uses = []Use{Plan, Apply}

// Input is what a policy depends on.
type Input struct {
	Use Use
	// Roles are the ARNs of the IAM roles apply may pass to EC2 (the roles of the spec's
	// instance profiles), or placeholders for them (RolePlaceholders). None: no PassRole.
	Roles []string
	// Lock is the spec's cloud.lock, s3://bucket/key ("": no lock, no S3 statement).
	Lock string
}

// Policy is an IAM policy document.
type Policy struct {
	Version   string
	Statement []Statement
}

// Statement is one statement. Action and Resource are a string when they hold one value, as
// people write them.
type Statement struct {
	Sid       string
	Effect    string
	Action    any
	Resource  any
	Condition map[string]map[string]any `json:",omitempty"`
}

// readActions are the read-only calls plan, rehearse, snapshot and init make (and apply, which
// plans first). Keep in step with the clients' interfaces: TestIAMPoliciesCoverEveryOperation
// (cmd/albctl) derives them from every interface an SDK client is handed to.
var readActions = []string{
	"cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData",
	"ec2:DescribeImages", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstances",
	"ec2:DescribeNetworkAcls", "ec2:DescribeSecurityGroups", "ec2:DescribeSnapshots",
	"ec2:DescribeSubnets", "ec2:DescribeVpcs",
	"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeLoadBalancerAttributes",
	"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroupAttributes",
	"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
	"iam:GetInstanceProfile", "iam:ListInstanceProfiles",
}

// imageTagKeys are the tags albctl gives an image it bakes and, after, its snapshots
// (internal/plan ImageParams.Tags): the only keys the snapshot statement lets it write.
var imageTagKeys = []string{"Name", cloud.TagFleet, cloud.TagImageVersion, cloud.TagStack}

// Generate returns the policy for in.
func Generate(in Input) (*Policy, error) {
	p := &Policy{Version: "2012-10-17"}
	switch in.Use {
	case Plan:
		p.Statement = []Statement{allow("AlbctlPlanRehearseSnapshotInitReadOnly", readActions, "*", nil)}
		return p, nil
	case Apply:
	default:
		return nil, fmt.Errorf("no policy for %q: want one of %s", in.Use, useList())
	}
	p.Statement = applyStatements()
	if len(in.Roles) > 0 { // a spec that launches nothing with a profile passes no role
		p.Statement = append(p.Statement, allow("AlbctlPassOnlyTheInstanceProfileRoleToEC2", []string{"iam:PassRole"}, sortedUnique(in.Roles),
			map[string]map[string]any{"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}))
	}
	if in.Lock != "" {
		obj, err := lockObject(in.Lock)
		if err != nil {
			return nil, err
		}
		p.Statement = append(p.Statement, allow("AlbctlApplyLockObject",
			[]string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}, obj, nil))
	}
	return p, nil
}

// applyStatements are apply's statements but PassRole's and the lock's; docs/security.md
// says why each condition holds.
func applyStatements() []Statement {
	ownedBy := func(key string) map[string]map[string]any {
		return map[string]map[string]any{"Null": {"aws:ResourceTag/" + key: "false"}}
	}
	return []Statement{
		allow("AlbctlObserve", readActions, "*", nil),
		allow("AlbctlBakeAndLaunch", []string{"ec2:AssociateIamInstanceProfile", "ec2:CreateImage", "ec2:RunInstances"}, "*", nil),
		allow("AlbctlTagWhatItCreates", []string{"ec2:CreateTags"}, "*",
			map[string]map[string]any{"StringEquals": {"ec2:CreateAction": []string{"RunInstances", "CreateImage"}}}),
		allow("AlbctlTagTheSnapshotsOfItsImages", []string{"ec2:CreateTags"}, "arn:aws:ec2:*::snapshot/*",
			map[string]map[string]any{"ForAllValues:StringEquals": {"aws:TagKeys": imageTagKeys}}),
		allow("AlbctlMarkItsImagesRolledBack", []string{"ec2:CreateTags"}, "arn:aws:ec2:*::image/*",
			map[string]map[string]any{
				"Null":                      {"aws:ResourceTag/" + cloud.TagStack: "false"},
				"ForAllValues:StringEquals": {"aws:TagKeys": []string{cloud.TagRolledBack}},
			}),
		allow("AlbctlTerminateOnlyItsOwnMembers", []string{"ec2:TerminateInstances"}, "*", ownedBy(cloud.TagFleet)),
		allow("AlbctlDeregisterOnlyItsOwnImages", []string{"ec2:DeregisterImage"}, "*", ownedBy(cloud.TagStack)),
		allow("AlbctlDeleteOnlyItsOwnSnapshots", []string{"ec2:DeleteSnapshot"}, "*", ownedBy(cloud.TagStack)),
		allow("AlbctlTargetsStickinessZones", []string{
			"elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:ModifyTargetGroup",
			"elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:RegisterTargets",
			"elasticloadbalancing:SetSubnets",
		}, "*", nil),
	}
}

func allow(sid string, actions []string, resource any, cond map[string]map[string]any) Statement {
	s := Statement{Sid: sid, Effect: "Allow", Action: one(sortedUnique(actions)), Resource: resource, Condition: cond}
	if r, ok := resource.([]string); ok {
		s.Resource = one(r)
	}
	return s
}

// one is a list of one value as that value.
func one(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

func sortedUnique(v []string) []string {
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}

func useList() string {
	var s []string
	for _, u := range Uses {
		s = append(s, string(u))
	}
	return strings.Join(s, ", ")
}

// lockObject is the ARN of the lock object of s3://bucket/key.
func lockObject(lock string) (string, error) {
	u, err := url.Parse(lock)
	if err != nil || u.Scheme != "s3" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return "", fmt.Errorf("lock %q: want s3://bucket/key", lock)
	}
	return "arn:aws:s3:::" + u.Host + "/" + strings.TrimPrefix(u.Path, "/"), nil
}

// JSON is the policy as docs/iam-policy-*.json hold it: indented by two spaces, a newline at
// the end.
func (p *Policy) JSON() []byte {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		panic(err) // strings, lists and maps of them always marshal
	}
	return append(b, '\n')
}
