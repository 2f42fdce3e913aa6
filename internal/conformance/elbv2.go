package conformance

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/simulator"
)

// Well-formed ARNs that no endpoint holds.
const (
	unknownTargetGroup  = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/no-such-tg/0123456789abcdef"
	unknownLoadBalancer = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/no-such-alb/0123456789abcdef"
)

// extraSubnet1a is a second subnet in ap-northeast-1a that the oneZoneTwice world adds.
const extraSubnet1a = "subnet-0a1b2c3d4e5f61a02"

// without1c is the seed world with the load balancer enabled in 1a and 1d only.
func without1c() *simulator.World {
	w := simulator.SeedWorld()
	lb := &w.LoadBalancers[0]
	lb.Subnets = slices.DeleteFunc(lb.Subnets, func(s simulator.LBSubnet) bool { return s.AZ == "ap-northeast-1c" })
	return w
}

// oneZoneTwice is the seed world with a second subnet in ap-northeast-1a.
func oneZoneTwice() *simulator.World {
	w := simulator.SeedWorld()
	w.Subnets = append(w.Subnets, simulator.Subnet{ID: extraSubnet1a, VPC: simulator.SeedVPC, AZ: "ap-northeast-1a",
		CIDR: "10.0.4.0/24", Tags: map[string]string{"Name": "web-public-1a-2"}})
	return w
}

// loadBalancerCases: DescribeLoadBalancers.
func loadBalancerCases() []Case {
	return []Case{
		{Op: "DescribeLoadBalancers", Name: "by name: active, in its three zones", Rule: "describe-load-balancers",
			Run: func(t testing.TB, e *Env) {
				out, err := e.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"web-alb"}})
				must(t, err, "DescribeLoadBalancers")
				if len(out.LoadBalancers) != 1 {
					t.Fatalf("%d load balancers named web-alb", len(out.LoadBalancers))
				}
				lb := out.LoadBalancers[0]
				if aws.ToString(lb.LoadBalancerArn) != e.id(t, simulator.SeedALB) || lb.State == nil || lb.State.Code != elbtypes.LoadBalancerStateEnumActive {
					t.Errorf("load balancer %s in state %+v, want %s active", aws.ToString(lb.LoadBalancerArn), lb.State, e.id(t, simulator.SeedALB))
				}
				if got, want := zonesOf(lb), []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}; !slices.Equal(got, want) {
					t.Errorf("zones %v, want %v", got, want)
				}
			}},
		{Op: "DescribeLoadBalancers", Name: "an unknown ARN is LoadBalancerNotFound", Rule: "lb-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{unknownLoadBalancer}})
				wantCode(t, err, "LoadBalancerNotFound")
			}},
		{Op: "DescribeLoadBalancers", Name: "an unknown name is LoadBalancerNotFound", Rule: "lb-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"no-such-alb"}})
				wantCode(t, err, "LoadBalancerNotFound")
			}},
	}
}

func zonesOf(lb elbtypes.LoadBalancer) []string {
	var zs []string
	for _, z := range lb.AvailabilityZones {
		zs = append(zs, aws.ToString(z.ZoneName))
	}
	slices.Sort(zs)
	return zs
}

// targetGroup describes the seed target group.
func targetGroup(t testing.TB, e *Env) elbtypes.TargetGroup {
	t.Helper()
	out, err := e.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{e.id(t, simulator.SeedTargetGroup)}})
	must(t, err, "DescribeTargetGroups")
	if len(out.TargetGroups) != 1 {
		t.Fatalf("DescribeTargetGroups answered %d groups", len(out.TargetGroups))
	}
	return out.TargetGroups[0]
}

// targetGroupCases: DescribeTargetGroups and ModifyTargetGroup.
func targetGroupCases() []Case {
	modify := func(edit func(*elbv2.ModifyTargetGroupInput), want string) func(testing.TB, *Env) {
		return func(t testing.TB, e *Env) {
			in := &elbv2.ModifyTargetGroupInput{TargetGroupArn: aws.String(e.id(t, simulator.SeedTargetGroup))}
			edit(in)
			_, err := e.ELBV2.ModifyTargetGroup(ctx, in)
			wantCode(t, err, want)
		}
	}
	return []Case{
		{Op: "DescribeTargetGroups", Name: "by load balancer: its group, with its health check", Rule: "describe-target-groups",
			Run: func(t testing.TB, e *Env) {
				out, err := e.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(e.id(t, simulator.SeedALB))})
				must(t, err, "DescribeTargetGroups")
				if len(out.TargetGroups) != 1 {
					t.Fatalf("%d target groups, want web-tg", len(out.TargetGroups))
				}
				tg := out.TargetGroups[0]
				if aws.ToString(tg.TargetGroupName) != "web-tg" || aws.ToString(tg.HealthCheckPath) != "/health" || aws.ToInt32(tg.Port) != 80 {
					t.Fatalf("target group %s port %d path %s, want web-tg port 80 path /health",
						aws.ToString(tg.TargetGroupName), aws.ToInt32(tg.Port), aws.ToString(tg.HealthCheckPath))
				}
			}},
		{Op: "DescribeTargetGroups", Name: "an unknown ARN is TargetGroupNotFound", Rule: "tg-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{unknownTargetGroup}})
				wantCode(t, err, "TargetGroupNotFound")
			}},
		{Op: "ModifyTargetGroup", Name: "changes the health check", Rule: "modify-target-group",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{TargetGroupArn: aws.String(e.id(t, simulator.SeedTargetGroup)),
					HealthCheckPath: aws.String("/ready"), HealthCheckIntervalSeconds: aws.Int32(10), HealthyThresholdCount: aws.Int32(3)})
				must(t, err, "ModifyTargetGroup")
				tg := targetGroup(t, e)
				if aws.ToString(tg.HealthCheckPath) != "/ready" || aws.ToInt32(tg.HealthCheckIntervalSeconds) != 10 || aws.ToInt32(tg.HealthyThresholdCount) != 3 {
					t.Fatalf("health check %s every %d s, healthy after %d; want /ready, 10, 3",
						aws.ToString(tg.HealthCheckPath), aws.ToInt32(tg.HealthCheckIntervalSeconds), aws.ToInt32(tg.HealthyThresholdCount))
				}
			}},
		{Op: "ModifyTargetGroup", Name: "an unknown ARN is TargetGroupNotFound", Rule: "tg-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{TargetGroupArn: aws.String(unknownTargetGroup), HealthCheckPath: aws.String("/")})
				wantCode(t, err, "TargetGroupNotFound")
			}},
		{Op: "ModifyTargetGroup", Name: "a healthy threshold of 11 is ValidationError", Rule: "modify-target-group-ranges",
			Run: modify(func(in *elbv2.ModifyTargetGroupInput) { in.HealthyThresholdCount = aws.Int32(11) }, "ValidationError")},
		{Op: "ModifyTargetGroup", Name: "an interval of 301 s is ValidationError", Rule: "modify-target-group-ranges",
			Run: modify(func(in *elbv2.ModifyTargetGroupInput) { in.HealthCheckIntervalSeconds = aws.Int32(301) }, "ValidationError")},
	}
}

// attributes describes the seed target group's attributes.
func attributes(t testing.TB, e *Env) map[string]string {
	t.Helper()
	out, err := e.ELBV2.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(e.id(t, simulator.SeedTargetGroup))})
	must(t, err, "DescribeTargetGroupAttributes")
	m := map[string]string{}
	for _, a := range out.Attributes {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	return m
}

// withoutAttributes is the seed world with the target group's attributes left to the endpoint.
func withoutAttributes() *simulator.World {
	w := simulator.SeedWorld()
	for i := range w.TargetGroups {
		w.TargetGroups[i].Attributes = nil
	}
	return w
}

// The defaults of a new ALB instance target group (docs/aws-semantics.md, "Defaults"): first
// the keys every endpoint so far lists, then the ones moto leaves out.
var (
	commonDefaults = map[string]string{
		"deregistration_delay.timeout_seconds": "300",
		"load_balancing.algorithm.type":        "round_robin",
		"load_balancing.cross_zone.enabled":    "use_load_balancer_configuration",
		"slow_start.duration_seconds":          "0",
		"stickiness.enabled":                   "false",
		"stickiness.type":                      "lb_cookie",
	}
	moreDefaults = map[string]string{
		"stickiness.lb_cookie.duration_seconds":                                          "86400",
		"stickiness.app_cookie.cookie_name":                                              "",
		"stickiness.app_cookie.duration_seconds":                                         "86400",
		"load_balancing.algorithm.anomaly_mitigation":                                    "off",
		"target_group_health.dns_failover.minimum_healthy_targets.count":                 "1",
		"target_group_health.dns_failover.minimum_healthy_targets.percentage":            "off",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      "1",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
	}
)

// wantAttributes fails unless got holds every key of want with its value.
func wantAttributes(t testing.TB, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("attribute %s is not listed (want %q)", k, v)
		} else if g != v {
			t.Errorf("attribute %s = %q, want %q", k, g, v)
		}
	}
}

// attributeCases: DescribeTargetGroupAttributes and ModifyTargetGroupAttributes.
func attributeCases() []Case {
	refused := func(want string, kv ...string) func(testing.TB, *Env) {
		return func(t testing.TB, e *Env) {
			var attrs []elbtypes.TargetGroupAttribute
			for i := 0; i+1 < len(kv); i += 2 {
				attrs = append(attrs, elbtypes.TargetGroupAttribute{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
			}
			before := attributes(t, e)
			_, err := e.ELBV2.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{
				TargetGroupArn: aws.String(e.id(t, simulator.SeedTargetGroup)), Attributes: attrs})
			wantCode(t, err, want)
			wantAttributes(t, attributes(t, e), before)
		}
	}
	return []Case{
		{Op: "DescribeTargetGroupAttributes", Name: "the defaults of a new group", Rule: "attribute-defaults", World: withoutAttributes,
			Run: func(t testing.TB, e *Env) { wantAttributes(t, attributes(t, e), commonDefaults) }},
		{Op: "DescribeTargetGroupAttributes", Name: "every key AWS lists for an ALB instance group", Rule: "attribute-keys", World: withoutAttributes,
			Run: func(t testing.TB, e *Env) { wantAttributes(t, attributes(t, e), moreDefaults) }},
		{Op: "DescribeTargetGroupAttributes", Name: "an unknown ARN is TargetGroupNotFound", Rule: "tg-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(unknownTargetGroup)})
				wantCode(t, err, "TargetGroupNotFound")
			}},
		{Op: "ModifyTargetGroupAttributes", Name: "sets stickiness and the deregistration delay", Rule: "modify-attributes",
			Run: func(t testing.TB, e *Env) {
				want := map[string]string{"stickiness.enabled": "true", "stickiness.lb_cookie.duration_seconds": "3600", "deregistration_delay.timeout_seconds": "30"}
				var attrs []elbtypes.TargetGroupAttribute
				for _, k := range []string{"stickiness.enabled", "stickiness.lb_cookie.duration_seconds", "deregistration_delay.timeout_seconds"} {
					attrs = append(attrs, elbtypes.TargetGroupAttribute{Key: aws.String(k), Value: aws.String(want[k])})
				}
				_, err := e.ELBV2.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{
					TargetGroupArn: aws.String(e.id(t, simulator.SeedTargetGroup)), Attributes: attrs})
				must(t, err, "ModifyTargetGroupAttributes")
				wantAttributes(t, attributes(t, e), want)
			}},
		{Op: "ModifyTargetGroupAttributes", Name: "an unknown key is InvalidConfigurationRequest", Rule: "attribute-unknown-key",
			Run: refused("InvalidConfigurationRequest", "no.such.attribute", "1")},
		{Op: "ModifyTargetGroupAttributes", Name: "a deregistration delay of 3601 s is InvalidConfigurationRequest", Rule: "attribute-ranges",
			Run: refused("InvalidConfigurationRequest", "deregistration_delay.timeout_seconds", "3601")},
		{Op: "ModifyTargetGroupAttributes", Name: "a cookie duration of 604801 s is InvalidConfigurationRequest", Rule: "attribute-ranges",
			Run: refused("InvalidConfigurationRequest", "stickiness.lb_cookie.duration_seconds", "604801")},
		{Op: "ModifyTargetGroupAttributes", Name: "source_ip stickiness (NLB only) is InvalidConfigurationRequest", Rule: "attribute-stickiness-type",
			Run: refused("InvalidConfigurationRequest", "stickiness.enabled", "true", "stickiness.type", "source_ip")},
		{Op: "ModifyTargetGroupAttributes", Name: "an unknown ARN is TargetGroupNotFound", Rule: "tg-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(unknownTargetGroup),
					Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("stickiness.enabled"), Value: aws.String("false")}}})
				wantCode(t, err, "TargetGroupNotFound")
			}},
	}
}

// health is the state and reason of each registered (or asked-for) target, by instance ID.
func health(t testing.TB, e *Env, ids ...string) map[string]string {
	t.Helper()
	in := &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.id(t, simulator.SeedTargetGroup))}
	for _, id := range ids {
		in.Targets = append(in.Targets, elbtypes.TargetDescription{Id: aws.String(id)})
	}
	out, err := e.ELBV2.DescribeTargetHealth(ctx, in)
	must(t, err, "DescribeTargetHealth")
	m := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		s := string(d.TargetHealth.State)
		if d.TargetHealth.Reason != "" {
			s += "/" + string(d.TargetHealth.Reason)
		}
		m[aws.ToString(d.Target.Id)] = s
	}
	return m
}

func register(e *Env, t testing.TB, ids ...string) error {
	in := &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(e.id(t, simulator.SeedTargetGroup))}
	for _, id := range ids {
		in.Targets = append(in.Targets, elbtypes.TargetDescription{Id: aws.String(id)})
	}
	_, err := e.ELBV2.RegisterTargets(ctx, in)
	return err
}

func deregister(e *Env, t testing.TB, ids ...string) error {
	in := &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(e.id(t, simulator.SeedTargetGroup))}
	for _, id := range ids {
		in.Targets = append(in.Targets, elbtypes.TargetDescription{Id: aws.String(id)})
	}
	_, err := e.ELBV2.DeregisterTargets(ctx, in)
	return err
}

// running launches an instance in 1a and lets it boot.
func running(t testing.TB, e *Env) string {
	t.Helper()
	id := launch(t, e, simulator.SeedSubnet1a, 1)[0]
	e.advance(bootWait)
	return id
}

// targetCases: RegisterTargets, DeregisterTargets and DescribeTargetHealth.
func targetCases() []Case {
	return []Case{
		{Op: "RegisterTargets", Name: "an unknown group is TargetGroupNotFound", Rule: "tg-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(unknownTargetGroup),
					Targets: []elbtypes.TargetDescription{{Id: aws.String(e.id(t, simulator.SeedInstance))}}})
				wantCode(t, err, "TargetGroupNotFound")
			}},
		{Op: "RegisterTargets", Name: "an unknown instance is InvalidTarget and nothing is registered", Rule: "register-invalid-target",
			Run: func(t testing.TB, e *Env) {
				id := running(t, e)
				wantCode(t, register(e, t, id, unknownInstance), "InvalidTarget")
				if h := health(t, e); h[id] != "" {
					t.Fatalf("a refused RegisterTargets registered %s: %v", id, h)
				}
			}},
		{Op: "RegisterTargets", Name: "a pending instance is InvalidTarget", Rule: "register-pending",
			Run: func(t testing.TB, e *Env) {
				id := launch(t, e, simulator.SeedSubnet1a, 1)[0]
				wantCode(t, register(e, t, id), "InvalidTarget")
			}},
		{Op: "RegisterTargets", Name: "a running instance is registered once, however often asked", Rule: "register",
			Run: func(t testing.TB, e *Env) {
				id := running(t, e)
				must(t, register(e, t, id), "RegisterTargets")
				must(t, register(e, t, id), "RegisterTargets again")
				out, err := e.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.id(t, simulator.SeedTargetGroup))})
				must(t, err, "DescribeTargetHealth")
				n := 0
				for _, d := range out.TargetHealthDescriptions {
					if aws.ToString(d.Target.Id) == id {
						n++
						if p := aws.ToInt32(d.Target.Port); p != 80 {
							t.Errorf("port %d, want the group's 80", p)
						}
					}
				}
				if n != 1 {
					t.Fatalf("%s listed %d times, want once", id, n)
				}
			}},
		{Op: "DescribeTargetHealth", Name: "a new target is initial, RegistrationInProgress", Rule: "target-initial",
			Run: func(t testing.TB, e *Env) {
				id := running(t, e)
				must(t, register(e, t, id), "RegisterTargets")
				if got := health(t, e)[id]; got != "initial/Elb.RegistrationInProgress" {
					t.Fatalf("new target %s, want initial/Elb.RegistrationInProgress", got)
				}
			}},
		{Op: "DescribeTargetHealth", Name: "a new target is healthy once its first check has passed", Rule: "target-healthy",
			Run: func(t testing.TB, e *Env) {
				id := running(t, e)
				must(t, register(e, t, id), "RegisterTargets")
				e.advance(healthy)
				want := map[string]string{id: "healthy", e.id(t, simulator.SeedInstance): "healthy"}
				if got := health(t, e); !maps.Equal(got, want) {
					t.Fatalf("targets %v, want %v", got, want)
				}
			}},
		{Op: "DescribeTargetHealth", Name: "an unregistered instance asked for is unused, NotRegistered", Rule: "target-not-registered",
			Run: func(t testing.TB, e *Env) {
				id := running(t, e)
				if got := health(t, e, id)[id]; got != "unused/Target.NotRegistered" {
					t.Fatalf("unregistered target %s, want unused/Target.NotRegistered", got)
				}
			}},
		{Op: "DescribeTargetHealth", Name: "a target in a zone the load balancer is not enabled in is unused, NotInUse", Rule: "target-not-in-use", World: without1c,
			Run: func(t testing.TB, e *Env) {
				id := launch(t, e, simulator.SeedSubnet1c, 1)[0]
				e.advance(bootWait)
				must(t, register(e, t, id), "RegisterTargets")
				e.advance(healthy)
				if got := health(t, e)[id]; got != "unused/Target.NotInUse" {
					t.Fatalf("target in 1c %q, want unused/Target.NotInUse", got)
				}
			}},
		{Op: "DescribeTargetHealth", Name: "an unknown group is TargetGroupNotFound", Rule: "tg-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(unknownTargetGroup)})
				wantCode(t, err, "TargetGroupNotFound")
			}},
		{Op: "DeregisterTargets", Name: "an instance that is not registered succeeds and changes nothing", Rule: "deregister-unregistered",
			Run: func(t testing.TB, e *Env) {
				id := running(t, e)
				must(t, deregister(e, t, id), "DeregisterTargets")
				if got, want := health(t, e), map[string]string{e.id(t, simulator.SeedInstance): "healthy"}; !maps.Equal(got, want) {
					t.Fatalf("targets %v, want %v", got, want)
				}
			}},
		{Op: "DeregisterTargets", Name: "a deregistered target drains", Rule: "target-draining",
			Run: func(t testing.TB, e *Env) {
				web := e.id(t, simulator.SeedInstance)
				must(t, deregister(e, t, web), "DeregisterTargets")
				if got := health(t, e)[web]; got != "draining/Target.DeregistrationInProgress" {
					t.Fatalf("deregistered target %q, want draining/Target.DeregistrationInProgress", got)
				}
			}},
		{Op: "DeregisterTargets", Name: "a drained target is gone after the deregistration delay", Rule: "deregistration-delay",
			Run: func(t testing.TB, e *Env) {
				must(t, deregister(e, t, e.id(t, simulator.SeedInstance)), "DeregisterTargets")
				e.advance(300*time.Second + time.Second)
				if got := health(t, e); len(got) != 0 {
					t.Fatalf("targets %v after the 300 s delay, want none", got)
				}
			}},
		{Op: "DeregisterTargets", Name: "an unknown group is TargetGroupNotFound", Rule: "tg-not-found",
			Run: func(t testing.TB, e *Env) {
				_, err := e.ELBV2.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(unknownTargetGroup),
					Targets: []elbtypes.TargetDescription{{Id: aws.String(e.id(t, simulator.SeedInstance))}}})
				wantCode(t, err, "TargetGroupNotFound")
			}},
	}
}

// setSubnets calls SetSubnets on the seed ALB with world subnets (or unknown ones as they are).
func setSubnets(t testing.TB, e *Env, lb string, subnets ...string) error {
	var ids []string
	for _, s := range subnets {
		if strings.HasPrefix(s, "subnet-0a1b2c3d4e5f6") {
			s = e.id(t, s)
		}
		ids = append(ids, s)
	}
	_, err := e.ELBV2.SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(lb), Subnets: ids})
	return err
}

// subnetCases: SetSubnets.
func subnetCases() []Case {
	refused := func(want string, subnets ...string) func(testing.TB, *Env) {
		return func(t testing.TB, e *Env) {
			wantCode(t, setSubnets(t, e, e.id(t, simulator.SeedALB), subnets...), want)
			lbs, err := e.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{e.id(t, simulator.SeedALB)}})
			must(t, err, "DescribeLoadBalancers")
			if got := zonesOf(lbs.LoadBalancers[0]); len(got) != 3 {
				t.Fatalf("a refused SetSubnets left the zones %v, want the three", got)
			}
		}
	}
	return []Case{
		{Op: "SetSubnets", Name: "one zone is ValidationError", Rule: "set-subnets-two-zones",
			Run: refused("ValidationError", simulator.SeedSubnet1a)},
		{Op: "SetSubnets", Name: "two subnets in one zone is InvalidConfigurationRequest", Rule: "set-subnets-one-per-zone", World: oneZoneTwice,
			Run: refused("InvalidConfigurationRequest", simulator.SeedSubnet1a, extraSubnet1a, simulator.SeedSubnet1d)},
		{Op: "SetSubnets", Name: "an unknown subnet is SubnetNotFound", Rule: "set-subnets-not-found",
			Run: refused("SubnetNotFound", simulator.SeedSubnet1a, unknownSubnet)},
		{Op: "SetSubnets", Name: "an unknown load balancer is LoadBalancerNotFound", Rule: "lb-not-found",
			Run: func(t testing.TB, e *Env) {
				wantCode(t, setSubnets(t, e, unknownLoadBalancer, simulator.SeedSubnet1a, simulator.SeedSubnet1d), "LoadBalancerNotFound")
			}},
		{Op: "SetSubnets", Name: "the subnets listed replace the set", Rule: "set-subnets",
			Run: func(t testing.TB, e *Env) {
				must(t, setSubnets(t, e, e.id(t, simulator.SeedALB), simulator.SeedSubnet1a, simulator.SeedSubnet1d), "SetSubnets")
				lbs, err := e.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{e.id(t, simulator.SeedALB)}})
				must(t, err, "DescribeLoadBalancers")
				if got, want := zonesOf(lbs.LoadBalancers[0]), []string{"ap-northeast-1a", "ap-northeast-1d"}; !slices.Equal(got, want) {
					t.Fatalf("zones %v, want %v", got, want)
				}
			}},
	}
}

// readPathCases: the reads of the network and the listeners that albctl's reachability check
// makes (see optional).
func readPathCases() []Case {
	return []Case{
		{Op: "DescribeSecurityGroups", Name: "by ID, and an unknown ID is InvalidGroup.NotFound", Rule: "describe-security-groups",
			Run: func(t testing.TB, e *Env) {
				c := optional[securityGroupReader](t, "DescribeSecurityGroups", e.EC2)
				out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{e.id(t, simulator.SeedWebSG)}})
				must(t, err, "DescribeSecurityGroups")
				if len(out.SecurityGroups) != 1 || aws.ToString(out.SecurityGroups[0].GroupName) != "web-sg" {
					t.Fatalf("security groups %+v, want web-sg", out.SecurityGroups)
				}
				_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{unknownGroup}})
				wantCode(t, err, "InvalidGroup.NotFound")
			}},
		{Op: "DescribeNetworkAcls", Name: "the VPC's default ACL", Rule: "describe-network-acls",
			Run: func(t testing.TB, e *Env) {
				c := optional[networkACLReader](t, "DescribeNetworkAcls", e.EC2)
				out, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{
					filter("vpc-id", e.id(t, simulator.SeedVPC)), filter("default", "true")}})
				must(t, err, "DescribeNetworkAcls")
				if len(out.NetworkAcls) != 1 || !aws.ToBool(out.NetworkAcls[0].IsDefault) {
					t.Fatalf("network ACLs %+v, want the one default", out.NetworkAcls)
				}
			}},
		{Op: "DescribeListeners", Name: "by load balancer, and an unknown one is LoadBalancerNotFound", Rule: "describe-listeners",
			Run: func(t testing.TB, e *Env) {
				c := optional[listenerReader](t, "DescribeListeners", e.ELBV2)
				out, err := c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(e.id(t, simulator.SeedALB))})
				must(t, err, "DescribeListeners")
				if len(out.Listeners) != 1 || aws.ToInt32(out.Listeners[0].Port) != 80 {
					t.Fatalf("listeners %+v, want one on port 80", out.Listeners)
				}
				_, err = c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(unknownLoadBalancer)})
				wantCode(t, err, "LoadBalancerNotFound")
			}},
		{Op: "DescribeLoadBalancerAttributes", Name: "an ALB's defaults, and an unknown ARN is LoadBalancerNotFound", Rule: "describe-lb-attributes",
			Run: func(t testing.TB, e *Env) {
				c := optional[lbAttributeReader](t, "DescribeLoadBalancerAttributes", e.ELBV2)
				out, err := c.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(e.id(t, simulator.SeedALB))})
				must(t, err, "DescribeLoadBalancerAttributes")
				got := map[string]string{}
				for _, a := range out.Attributes {
					got[aws.ToString(a.Key)] = aws.ToString(a.Value)
				}
				// Cross-zone load balancing is always on for an ALB (docs/aws-semantics.md, "DNS and nodes").
				wantAttributes(t, got, map[string]string{"idle_timeout.timeout_seconds": "60", "load_balancing.cross_zone.enabled": "true"})
				_, err = c.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(unknownLoadBalancer)})
				wantCode(t, err, "LoadBalancerNotFound")
			}},
	}
}
