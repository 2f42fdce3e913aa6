package specs

import (
	"strings"
	"testing"
)

// lb puts a load_balancer block with the given zones value (line 3) before the minimal tail.
func lb(zones string) string {
	return "load_balancer \"web\" {\n  name  = \"web-alb\"\n  zones = " + zones + "\n}\n" + minimalTail
}

func TestLoadBalancerZones(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zones       string
		fromTargets bool
		want        string
	}{
		{`"targets"`, true, ""},
		{`["ap-northeast-1d", "ap-northeast-1a"]`, false, "ap-northeast-1a ap-northeast-1d"},
		{`["subnet-0123456789abcdef0", "subnet-01234567"]`, false, "subnet-01234567 subnet-0123456789abcdef0"},
		{`toset(["ap-northeast-1c", "subnet-89abcdef"])`, false, "ap-northeast-1c subnet-89abcdef"},
		{`[for z in ["a", "c"] : "ap-northeast-1${z}"]`, false, "ap-northeast-1a ap-northeast-1c"},
	}
	for _, tc := range tests {
		t.Run(tc.zones, func(t *testing.T) {
			got := mustLoad(t, lb(tc.zones), Options{}).LoadBalancers[0]
			if got.ZonesFromTargets != tc.fromTargets || strings.Join(got.Zones, " ") != tc.want {
				t.Errorf("LoadBalancer = %+v", got)
			}
			if got.ZonesRange.Start.Line != 3 {
				t.Errorf("ZonesRange = %v", got.ZonesRange)
			}
		})
	}
}

func TestLoadBalancerRefersToVariables(t *testing.T) {
	t.Parallel()
	src := "variable \"env\" { default = \"prod\" }\n" + strings.Replace(lb(`"targets"`), `"web-alb"`, `"web-${var.env}"`, 1)
	if got := mustLoad(t, src, Options{}).LoadBalancers[0].Name; got != "web-prod" {
		t.Errorf("name = %q", got)
	}
}

func TestLoadBalancerErrors(t *testing.T) {
	t.Parallel()
	runBadCases(t, []badCase{
		{"zones other string", lb(`"all"`), Options{}, []string{"bad.hcl:3:11:", "Invalid zones", `"all"`}},
		{"zones number", lb(`2`), Options{}, []string{"bad.hcl:3:11:", "Invalid zones"}},
		{"one zone", lb(`["ap-northeast-1a"]`), Options{}, []string{"bad.hcl:3:11:", "Too few zones"}},
		{"duplicate zone", lb(`["ap-northeast-1a", "ap-northeast-1a"]`), Options{}, []string{"bad.hcl:3:31:", "Duplicate zone"}},
		{"bad entry", lb(`["ap-northeast-1a", "tokyo"]`), Options{}, []string{"bad.hcl:3:31:", "Invalid zones", `"tokyo"`}},
		{"bad subnet", lb(`["ap-northeast-1a", "subnet-xyz"]`), Options{}, []string{"bad.hcl:3:31:", "Invalid zones"}},
		{"non-string entry", lb(`["ap-northeast-1a", 1]`), Options{}, []string{"bad.hcl:3:31:", "Invalid zones"}},
		{
			"az outside region",
			"cloud {\n  region = \"ap-northeast-1\"\n}\n" + lb(`["ap-northeast-1a", "us-east-1a"]`), Options{},
			[]string{"bad.hcl:6:31:", "Availability Zone \"us-east-1a\" is not in region ap-northeast-1"},
		},
		{"missing zones", "load_balancer \"web\" {\n  name = \"web-alb\"\n}\n" + minimalTail, Options{}, []string{"bad.hcl:1:21:", "Missing required argument", `"zones"`}},
		{"internal- name", strings.Replace(lb(`"targets"`), `"web-alb"`, `"internal-web"`, 1), Options{}, []string{"bad.hcl:2:11:", "Invalid load balancer name"}},
		{"long name", strings.Replace(lb(`"targets"`), `"web-alb"`, `"${join("", [for i in range(33) : "a"])}"`, 1), Options{}, []string{"bad.hcl:2:11:", "Invalid load balancer name"}},
		{"duplicate label", lb(`"targets"`) + "load_balancer \"web\" {\n  name  = \"x\"\n  zones = \"targets\"\n}\n", Options{}, []string{"Duplicate load_balancer block"}},
	})
}
