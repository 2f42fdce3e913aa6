package mirror

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// groupRules gives every seeded security group the world's rules, so that a plan against the
// endpoint sees what the simulator routes by (docs/design.md, "Zones and reachability"):
// inbound rules as recorded, or one rule admitting everything when the world does not record
// them (what the simulator does then); outbound rules, when recorded, in place of the
// endpoint's default allow-all rule. A rule the group has already is not an error, so a second
// Seed changes nothing.
func (s *seeder) groupRules(ctx context.Context) error {
	everything := []simulator.IngressRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}
	for _, g := range s.w.SecurityGroups {
		id, err := s.id(g.ID, "security group rules")
		if err != nil {
			return err
		}
		in := everything
		if g.Ingress != nil {
			in = *g.Ingress
		}
		if perms, err := s.permissions(in); err != nil {
			return err
		} else if len(perms) > 0 {
			_, err := s.api.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perms})
			if err != nil && cloud.ErrorCode(err) != "InvalidPermission.Duplicate" {
				return fmt.Errorf("authorize ingress of security group %s: %w", g.Name, err)
			}
		}
		if g.Egress == nil {
			continue
		}
		if err := s.egress(ctx, id, g.Name, *g.Egress); err != nil {
			return err
		}
	}
	return nil
}

// egress replaces a group's default allow-all outbound rule by the world's rules.
func (s *seeder) egress(ctx context.Context, id, name string, rules []simulator.IngressRule) error {
	perms, err := s.permissions(rules)
	if err != nil {
		return err
	}
	if len(perms) > 0 {
		_, err := s.api.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: perms})
		if err != nil && cloud.ErrorCode(err) != "InvalidPermission.Duplicate" {
			return fmt.Errorf("authorize egress of security group %s: %w", name, err)
		}
	}
	all, _ := s.permissions([]simulator.IngressRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}})
	if containsAllTraffic(rules) {
		return nil
	}
	_, err = s.api.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: all})
	if err != nil && cloud.ErrorCode(err) != "InvalidPermission.NotFound" {
		return fmt.Errorf("revoke the default egress of security group %s: %w", name, err)
	}
	return nil
}

func containsAllTraffic(rules []simulator.IngressRule) bool {
	for _, r := range rules {
		if r.Protocol == "-1" && len(r.SourceGroups) == 0 && len(r.CIDRs) == 1 && r.CIDRs[0] == "0.0.0.0/0" {
			return true
		}
	}
	return false
}

// permissions are rules in the SDK's shape, with the groups they name as the endpoint's IDs.
func (s *seeder) permissions(rules []simulator.IngressRule) ([]ec2types.IpPermission, error) {
	var out []ec2types.IpPermission
	for _, r := range rules {
		p := ec2types.IpPermission{IpProtocol: aws.String(r.Protocol)}
		if r.Protocol != "-1" {
			p.FromPort, p.ToPort = aws.Int32(r.FromPort), aws.Int32(r.ToPort)
		}
		for _, c := range r.CIDRs {
			p.IpRanges = append(p.IpRanges, ec2types.IpRange{CidrIp: aws.String(c)})
		}
		for _, g := range r.SourceGroups {
			id, err := s.id(g, "a rule naming security group "+g)
			if err != nil {
				return nil, err
			}
			p.UserIdGroupPairs = append(p.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: aws.String(id)})
		}
		out = append(out, p)
	}
	return out, nil
}
