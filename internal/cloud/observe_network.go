package cloud

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The network between the load balancers' nodes and the targets: security groups, network
// ACLs, load balancer attributes and listeners (docs/design.md, "Reachability").

// loadBalancer takes in a load balancer and queues its attributes and listeners, side by
// side with the target groups' health.
func (o *observer) loadBalancer(lb elbtypes.LoadBalancer) {
	l := new(LoadBalancer)
	*l = LoadBalancerFrom(lb)
	if _, seen := o.lbs[l.ARN]; seen {
		return
	}
	o.lbs[l.ARN] = l
	done := o.opened(kindOther)
	single(o, kindOther, func(ctx context.Context) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
		return o.api.ELBV2.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(l.ARN)})
	}, func(out *elbv2.DescribeLoadBalancerAttributesOutput, err error) error {
		if err != nil {
			return fmt.Errorf("load balancer %s: attributes: %w", l.Name, err)
		}
		done()
		l.Attributes = LoadBalancerAttributesFrom(out.Attributes)
		return nil
	})
	paginate(o, kindOther, pager[*elbv2.DescribeListenersOutput]{
		fetch: func(ctx context.Context, token *string) (*elbv2.DescribeListenersOutput, error) {
			return o.api.ELBV2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(l.ARN), Marker: token})
		},
		next: func(out *elbv2.DescribeListenersOutput) *string { return out.NextMarker },
		page: func(out *elbv2.DescribeListenersOutput) {
			for _, ls := range out.Listeners {
				l.Listeners = append(l.Listeners, ListenerFrom(ls))
			}
		},
		fail: func(err error) error { return fmt.Errorf("load balancer %s: listeners: %w", l.Name, err) },
	})
}

// readGroups reads the security groups of the load balancers and instances found so far
// that were not asked for yet; the groups their rules name are read in turn (readGroupIDs).
func (o *observer) readGroups() {
	var ids []string
	for _, lb := range o.lbs {
		ids = append(ids, lb.SecurityGroups...)
	}
	for _, in := range o.instances {
		ids = append(ids, in.v.SecurityGroupIDs...)
	}
	o.readGroupIDs(ids)
}

// readGroupIDs asks, by filter (an unknown ID fails no call), for the groups not asked for
// yet. What the answers name is asked for as they arrive: the groups read are the closure of
// the first ones under "a rule names", whatever the order of answers.
func (o *observer) readGroupIDs(ids []string) {
	var ask []string
	for _, id := range ids {
		if id != "" && !o.groupsAsked[id] {
			o.groupsAsked[id] = true
			ask = append(ask, id)
		}
	}
	slices.Sort(ask)
	for _, chunk := range chunks(ask) {
		paginate(o, kindOther, pager[*ec2.DescribeSecurityGroupsOutput]{
			fetch: func(ctx context.Context, token *string) (*ec2.DescribeSecurityGroupsOutput, error) {
				return o.api.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
					Filters:    []ec2types.Filter{{Name: aws.String("group-id"), Values: chunk}},
					MaxResults: aws.Int32(1000),
					NextToken:  token,
				})
			},
			next: func(out *ec2.DescribeSecurityGroupsOutput) *string { return out.NextToken },
			page: func(out *ec2.DescribeSecurityGroupsOutput) {
				var named []string
				for _, g := range out.SecurityGroups {
					sg := SecurityGroupFrom(g)
					o.groups[sg.ID] = sg
					for _, r := range slices.Concat(sg.Ingress, sg.Egress) {
						named = append(named, r.Groups...)
					}
				}
				o.readGroupIDs(named)
			},
			fail: func(err error) error { return fmt.Errorf("describe security groups %v: %w", chunk, err) },
		})
	}
}

// readACLs reads the network ACLs of VPCs whose subnets are being read: a subnet's ACL
// decides what crosses its edge, and a zone added or a member launched lands in one of them.
func (o *observer) readACLs(vpcs []string) {
	for _, chunk := range chunks(vpcs) {
		paginate(o, kindOther, pager[*ec2.DescribeNetworkAclsOutput]{
			fetch: func(ctx context.Context, token *string) (*ec2.DescribeNetworkAclsOutput, error) {
				return o.api.EC2.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{
					Filters:    []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}},
					MaxResults: aws.Int32(1000),
					NextToken:  token,
				})
			},
			next: func(out *ec2.DescribeNetworkAclsOutput) *string { return out.NextToken },
			page: func(out *ec2.DescribeNetworkAclsOutput) {
				for _, a := range out.NetworkAcls {
					acl := NetworkACLFrom(a)
					o.acls[acl.ID] = acl
				}
			},
			fail: func(err error) error { return fmt.Errorf("describe network acls of %v: %w", chunk, err) },
		})
	}
}

// network puts the groups and ACLs read into w, sorted, and sorts the load balancers'
// listeners.
func (o *observer) network(w *World) {
	for _, id := range slices.Sorted(maps.Keys(o.groups)) {
		w.SecurityGroups = append(w.SecurityGroups, o.groups[id])
	}
	for _, id := range slices.Sorted(maps.Keys(o.acls)) {
		w.NetworkACLs = append(w.NetworkACLs, o.acls[id])
	}
	for i := range w.LoadBalancers {
		ls := w.LoadBalancers[i].Listeners
		slices.SortFunc(ls, func(a, b Listener) int {
			if a.Port != b.Port {
				return int(a.Port) - int(b.Port)
			}
			return strings.Compare(a.ARN, b.ARN)
		})
	}
	w.NetworkRead = true
}
