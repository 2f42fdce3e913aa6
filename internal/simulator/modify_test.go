package simulator

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestModifyTargetGroupRules(t *testing.T) {
	t.Parallel()
	i := aws.Int32
	tests := []struct {
		name string
		in   elbv2.ModifyTargetGroupInput
		code string
	}{
		{"interval too short", elbv2.ModifyTargetGroupInput{HealthCheckIntervalSeconds: i(4)}, "ValidationError"},
		{"interval too long", elbv2.ModifyTargetGroupInput{HealthCheckIntervalSeconds: i(301)}, "ValidationError"},
		{"timeout too short", elbv2.ModifyTargetGroupInput{HealthCheckTimeoutSeconds: i(1)}, "ValidationError"},
		{"timeout too long", elbv2.ModifyTargetGroupInput{HealthCheckTimeoutSeconds: i(121)}, "ValidationError"},
		{"timeout not below the interval", elbv2.ModifyTargetGroupInput{HealthCheckIntervalSeconds: i(10), HealthCheckTimeoutSeconds: i(10)}, "ValidationError"},
		{"healthy threshold 1", elbv2.ModifyTargetGroupInput{HealthyThresholdCount: i(1)}, "ValidationError"},
		{"unhealthy threshold 11", elbv2.ModifyTargetGroupInput{UnhealthyThresholdCount: i(11)}, "ValidationError"},
		{"path without slash", elbv2.ModifyTargetGroupInput{HealthCheckPath: aws.String("health")}, "ValidationError"},
		{"path too long", elbv2.ModifyTargetGroupInput{HealthCheckPath: aws.String("/" + strings.Repeat("a", 1024))}, "ValidationError"},
		{"matcher 500", elbv2.ModifyTargetGroupInput{Matcher: &elbtypes.Matcher{HttpCode: aws.String("500")}}, "ValidationError"},
		{"matcher range reversed", elbv2.ModifyTargetGroupInput{Matcher: &elbtypes.Matcher{HttpCode: aws.String("299-200")}}, "ValidationError"},
		{"disable checks", elbv2.ModifyTargetGroupInput{HealthCheckEnabled: aws.Bool(false)}, "InvalidConfigurationRequest"},
		{"tcp checks on http", elbv2.ModifyTargetGroupInput{HealthCheckProtocol: elbtypes.ProtocolEnumTcp}, "InvalidConfigurationRequest"},
		{"unknown target group", elbv2.ModifyTargetGroupInput{TargetGroupArn: aws.String(SeedTargetGroup + "0")}, "TargetGroupNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := seedSim(t)
			before, _ := s.World().Marshal()
			if tt.in.TargetGroupArn == nil {
				tt.in.TargetGroupArn = aws.String(SeedTargetGroup)
			}
			_, err := s.ELBV2().ModifyTargetGroup(ctx, &tt.in)
			wantCode(t, err, tt.code)
			if after, _ := s.World().Marshal(); !bytes.Equal(before, after) {
				t.Fatal("a refused change changed the world")
			}
		})
	}
	s := seedSim(t)
	_, err := s.ELBV2().ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{TargetGroupArn: aws.String(SeedTargetGroup), HealthCheckTimeoutSeconds: i(30)})
	wantMessage(t, err, "Health check timeout '30' must be smaller than the interval '30'")
	out, err := s.ELBV2().ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{
		TargetGroupArn: aws.String(SeedTargetGroup), HealthCheckPath: aws.String("/ready"), HealthCheckIntervalSeconds: i(10),
		HealthCheckTimeoutSeconds: i(5), HealthyThresholdCount: i(3), UnhealthyThresholdCount: i(3),
		Matcher: &elbtypes.Matcher{HttpCode: aws.String("200-299")},
	})
	if err != nil {
		t.Fatal(err)
	}
	g := out.TargetGroups[0]
	if aws.ToString(g.HealthCheckPath) != "/ready" || aws.ToInt32(g.HealthCheckIntervalSeconds) != 10 || aws.ToInt32(g.HealthCheckTimeoutSeconds) != 5 ||
		aws.ToInt32(g.HealthyThresholdCount) != 3 || aws.ToInt32(g.UnhealthyThresholdCount) != 3 || aws.ToString(g.Matcher.HttpCode) != "200-299" {
		t.Fatalf("%+v", g)
	}
	if got := healthOf(t, s, SeedInstance); got != "healthy" {
		t.Fatalf("the change reset health: %s", got)
	}
}

func TestMatcher(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		m    string
		code int32
		want bool
	}{
		{"200", 200, true}, {"200", 404, false}, {"200,302", 302, true}, {"200-299", 204, true}, {"200-299", 300, false}, {"", 200, true},
	} {
		if got := matcherAccepts(tt.m, tt.code); got != tt.want {
			t.Errorf("matcherAccepts(%q, %d) = %v", tt.m, tt.code, got)
		}
	}
}

func TestWorldFidelitySettingsAreValidated(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		edit func(*World)
		want string
	}{
		{"app health", func(w *World) { w.Instances[0].App = &App{Health: "sometimes"} }, "app health"},
		{"rule without glob", func(w *World) { w.ImageBehaviours = []ImageBehaviour{{App: &App{Health: "fails"}}} }, "without name_glob"},
		{"offered type", func(w *World) { w.InstanceTypeOfferings = map[string][]string{"ap-northeast-1a": {"t9.huge"}} }, "t9.huge"},
		{"capacity zone", func(w *World) { w.InsufficientCapacity = []CapacityShortage{{}} }, "without az"},
		{"cidr", func(w *World) { w.Subnets[0].CIDR = "10.0.0.0/8" }, "/16 and /28"},
		{"image snapshot", func(w *World) { w.Images[0].Snapshots = []string{"snap-0123456789abcdef0"} }, "snapshot"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := SeedWorld()
			tt.edit(w)
			b, _ := w.Marshal()
			if _, err := ParseWorld(b); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one about %q", err, tt.want)
			}
		})
	}
}
