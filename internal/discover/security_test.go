package discover

import (
	"testing"

	"github.com/albctl/albctl/internal/cloud"
)

func TestAdmits(t *testing.T) {
	const node = "10.0.2.0/24"
	lbGroups := []string{"sg-alb"}
	tests := []struct {
		name string
		rule cloud.SGRule
		port int32
		want bool
	}{
		{"tcp 80 from the node's subnet", cloud.SGRule{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{node}}, 80, true},
		{"tcp 80 from the VPC's block", cloud.SGRule{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.0.0/16"}}, 80, true},
		{"a range holding the port", cloud.SGRule{Protocol: "tcp", FromPort: 1, ToPort: 1024, CIDRs: []string{"0.0.0.0/0"}}, 80, true},
		{"all traffic", cloud.SGRule{Protocol: "-1", CIDRs: []string{"10.0.0.0/8"}}, 8080, true},
		{"protocol number 6", cloud.SGRule{Protocol: "6", FromPort: 80, ToPort: 80, CIDRs: []string{node}}, 80, true},
		{"the load balancer's group", cloud.SGRule{Protocol: "tcp", FromPort: 80, ToPort: 80, Groups: []string{"sg-alb"}}, 80, true},
		{"another port", cloud.SGRule{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{node}}, 80, false},
		{"udp", cloud.SGRule{Protocol: "udp", FromPort: 80, ToPort: 80, CIDRs: []string{node}}, 80, false},
		{"half of the subnet", cloud.SGRule{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.2.0/25"}}, 80, false},
		{"another subnet", cloud.SGRule{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24"}}, 80, false},
		{"IPv6 everywhere", cloud.SGRule{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"::/0"}}, 80, false},
		{"another group", cloud.SGRule{Protocol: "tcp", FromPort: 80, ToPort: 80, Groups: []string{"sg-other"}}, 80, false},
		{"a prefix list only", cloud.SGRule{Protocol: "tcp", FromPort: 80, ToPort: 80, PrefixLists: []string{"pl-1"}}, 80, false},
	}
	for _, tt := range tests {
		g := cloud.SecurityGroup{ID: "sg-web", Ingress: []cloud.SGRule{tt.rule}}
		if got := admits(g, tt.port, node, lbGroups); got != tt.want {
			t.Errorf("%s: admits = %v, want %v", tt.name, got, tt.want)
		}
	}
}
