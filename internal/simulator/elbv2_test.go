package simulator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// worldWithMore adds n target groups and n load balancers (no listeners) to the seed world.
func worldWithMore(n int) *World {
	w := SeedWorld()
	for i := range n {
		w.TargetGroups = append(w.TargetGroups, TargetGroup{
			ARN:  fmt.Sprintf("arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/extra-%d/00000000000000%02d", i, i),
			Name: fmt.Sprintf("extra-%d", i), VPC: SeedVPC, Protocol: "HTTP", Port: 8080,
			HealthCheck: SeedWorld().TargetGroups[0].HealthCheck,
		})
		w.LoadBalancers = append(w.LoadBalancers, LoadBalancer{
			ARN:  fmt.Sprintf("arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/extra-%d/00000000000000%02d", i, i),
			Name: fmt.Sprintf("extra-%d", i), Scheme: "internal", State: "active", VPC: SeedVPC, CreatedAt: w.Now,
			Subnets: []LBSubnet{{AZ: "ap-northeast-1a", Subnet: SeedSubnet1a, EnabledAt: w.Now}, {AZ: "ap-northeast-1c", Subnet: SeedSubnet1c, EnabledAt: w.Now}},
		})
	}
	w.normalize()
	return w
}

func TestDescribeLoadBalancers(t *testing.T) {
	t.Parallel()
	s := New(worldWithMore(4), checkRoundTrips(t))
	e := s.ELBV2()
	out, err := e.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"web-alb"}})
	if err != nil {
		t.Fatal(err)
	}
	lb := out.LoadBalancers[0]
	if aws.ToString(lb.LoadBalancerArn) != SeedALB || lb.State.Code != "active" || lb.Scheme != "internet-facing" || len(lb.AvailabilityZones) != 3 {
		t.Fatalf("%+v", lb)
	}
	_, err = e.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"web-alb", "nope"}})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = e.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{SeedALB + "x"}})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = e.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"web-alb"}, LoadBalancerArns: []string{SeedALB}})
	wantCode(t, err, "ValidationError")
	for _, size := range []int32{0, 401} {
		_, err = e.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(size)})
		wantCode(t, err, "ValidationError")
	}
	var names []string
	p := elbv2.NewDescribeLoadBalancersPaginator(e, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, lb := range page.LoadBalancers {
			names = append(names, aws.ToString(lb.LoadBalancerName))
		}
	}
	if pages != 3 || len(names) != 5 {
		t.Fatalf("%d pages, %v", pages, names)
	}
	_, err = e.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Marker: aws.String("bogus")})
	wantCode(t, err, "ValidationError")
}

func TestDescribeTargetGroups(t *testing.T) {
	t.Parallel()
	s := New(worldWithMore(3), checkRoundTrips(t))
	e := s.ELBV2()
	out, err := e.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"web-tg"}})
	if err != nil {
		t.Fatal(err)
	}
	tg := out.TargetGroups[0]
	if !slices.Equal(tg.LoadBalancerArns, []string{SeedALB}) || aws.ToString(tg.HealthCheckPath) != "/health" ||
		aws.ToInt32(tg.HealthCheckIntervalSeconds) != 30 || aws.ToInt32(tg.HealthCheckTimeoutSeconds) != 6 ||
		aws.ToInt32(tg.HealthyThresholdCount) != 5 || aws.ToInt32(tg.UnhealthyThresholdCount) != 2 || aws.ToString(tg.Matcher.HttpCode) != "200" {
		t.Fatalf("%+v", tg)
	}
	byLB, err := e.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(SeedALB)})
	if err != nil || len(byLB.TargetGroups) != 1 {
		t.Fatalf("by load balancer: %v %v", byLB, err)
	}
	_, err = e.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(SeedALB + "x")})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = e.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"nope"}})
	wantCode(t, err, "TargetGroupNotFound")
	_, err = e.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{SeedTargetGroup + "x"}})
	wantCode(t, err, "TargetGroupNotFound")
	n := 0
	p := elbv2.NewDescribeTargetGroupsPaginator(e, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.TargetGroups)
	}
	if n != 4 {
		t.Fatalf("paged %d target groups, want 4", n)
	}
}

func attrs(t *testing.T, s *Sim) map[string]string {
	t.Helper()
	out, err := s.ELBV2().DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(SeedTargetGroup)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	var keys []string
	for _, a := range out.Attributes {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
		keys = append(keys, aws.ToString(a.Key))
	}
	if !slices.IsSorted(keys) {
		t.Errorf("attributes not sorted: %v", keys)
	}
	return m
}

func TestDescribeTargetGroupAttributesDefaults(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	got := attrs(t, s)
	want := map[string]string{
		"stickiness.enabled": "false", "stickiness.type": "lb_cookie", "stickiness.lb_cookie.duration_seconds": "86400",
		"stickiness.app_cookie.cookie_name": "", "stickiness.app_cookie.duration_seconds": "86400",
		"deregistration_delay.timeout_seconds": "300", "slow_start.duration_seconds": "0",
		"load_balancing.algorithm.type": "round_robin", "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	_, err := s.ELBV2().DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(SeedTargetGroup + "x")})
	wantCode(t, err, "TargetGroupNotFound")
}

func TestModifyTargetGroupAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		attrs [][2]string
		want  string // error code, "" for success
		msg   string
	}{
		{"lb_cookie stickiness", [][2]string{{"stickiness.enabled", "true"}, {"stickiness.type", "lb_cookie"}, {"stickiness.lb_cookie.duration_seconds", "86400"}}, "", ""},
		{"app_cookie stickiness", [][2]string{{"stickiness.enabled", "true"}, {"stickiness.type", "app_cookie"}, {"stickiness.app_cookie.cookie_name", "SESSION"}}, "", ""},
		{"unknown key", [][2]string{{"stickiness.colour", "red"}}, "InvalidConfigurationRequest", "The provided target group attribute is not supported"},
		{"enabled not boolean", [][2]string{{"stickiness.enabled", "yes"}}, "InvalidConfigurationRequest", ""},
		{"source_ip refused", [][2]string{{"stickiness.type", "source_ip"}}, "InvalidConfigurationRequest", ""},
		{"unknown type", [][2]string{{"stickiness.type", "magic"}}, "InvalidConfigurationRequest", ""},
		{"lb duration 0", [][2]string{{"stickiness.lb_cookie.duration_seconds", "0"}}, "InvalidConfigurationRequest", ""},
		{"lb duration too long", [][2]string{{"stickiness.lb_cookie.duration_seconds", "604801"}}, "InvalidConfigurationRequest", ""},
		{"lb duration max", [][2]string{{"stickiness.lb_cookie.duration_seconds", "604800"}}, "", ""},
		{"app duration too long", [][2]string{{"stickiness.app_cookie.duration_seconds", "604801"}}, "InvalidConfigurationRequest", ""},
		{"duration not a number", [][2]string{{"stickiness.lb_cookie.duration_seconds", "1d"}}, "InvalidConfigurationRequest", ""},
		{"app_cookie without name", [][2]string{{"stickiness.enabled", "true"}, {"stickiness.type", "app_cookie"}}, "InvalidConfigurationRequest",
			"You must set an application cookie name to enable stickiness of type 'app_cookie'"},
		{"reserved AWSALB", [][2]string{{"stickiness.app_cookie.cookie_name", "AWSALB"}}, "InvalidConfigurationRequest", ""},
		{"reserved AWSALBAPP", [][2]string{{"stickiness.app_cookie.cookie_name", "AWSALBAPP-1"}}, "InvalidConfigurationRequest", ""},
		{"reserved AWSALBTG", [][2]string{{"stickiness.app_cookie.cookie_name", "AWSALBTG"}}, "InvalidConfigurationRequest", ""},
		{"deregistration 3600", [][2]string{{"deregistration_delay.timeout_seconds", "3600"}}, "", ""},
		{"deregistration 3601", [][2]string{{"deregistration_delay.timeout_seconds", "3601"}}, "InvalidConfigurationRequest", ""},
		{"deregistration -1", [][2]string{{"deregistration_delay.timeout_seconds", "-1"}}, "InvalidConfigurationRequest", ""},
		{"slow start 0", [][2]string{{"slow_start.duration_seconds", "0"}}, "", ""},
		{"slow start 29", [][2]string{{"slow_start.duration_seconds", "29"}}, "InvalidConfigurationRequest", ""},
		{"slow start 30", [][2]string{{"slow_start.duration_seconds", "30"}}, "", ""},
		{"slow start 901", [][2]string{{"slow_start.duration_seconds", "901"}}, "InvalidConfigurationRequest", ""},
		{"stickiness without cross-zone", [][2]string{{"stickiness.enabled", "true"}, {"load_balancing.cross_zone.enabled", "false"}}, "InvalidConfigurationRequest", ""},
		{"cross-zone off alone", [][2]string{{"load_balancing.cross_zone.enabled", "false"}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := seedSim(t)
			before := attrs(t, s)
			var in []elbtypes.TargetGroupAttribute
			for _, a := range tt.attrs {
				in = append(in, elbtypes.TargetGroupAttribute{Key: aws.String(a[0]), Value: aws.String(a[1])})
			}
			out, err := s.ELBV2().ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(SeedTargetGroup), Attributes: in})
			wantCode(t, err, tt.want)
			if tt.msg != "" {
				wantMessage(t, err, tt.msg)
			}
			after := attrs(t, s)
			if tt.want != "" {
				if fmt.Sprint(before) != fmt.Sprint(after) {
					t.Fatal("a refused change changed attributes")
				}
				return
			}
			if len(out.Attributes) != len(defaultAttributes) {
				t.Fatalf("returned %d attributes, want all %d", len(out.Attributes), len(defaultAttributes))
			}
			for _, a := range tt.attrs {
				if after[a[0]] != a[1] {
					t.Errorf("%s = %q after setting %q", a[0], after[a[0]], a[1])
				}
			}
		})
	}
	s := seedSim(t)
	_, err := s.ELBV2().ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(SeedTargetGroup + "x"),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("stickiness.enabled"), Value: aws.String("true")}}})
	wantCode(t, err, "TargetGroupNotFound")
}

func TestRegisterTargetsRules(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.VPCs = append(w.VPCs, VPC{ID: "vpc-0000000000000beef", CIDR: "10.1.0.0/16"})
	w.Subnets = append(w.Subnets, Subnet{ID: "subnet-0000000000000beef", VPC: "vpc-0000000000000beef", AZ: "ap-northeast-1a", CIDR: "10.1.1.0/24"})
	s := New(w, checkRoundTrips(t))
	elsewhere, err := s.EC2().RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(SeedImage), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String("subnet-0000000000000beef")})
	if err != nil {
		t.Fatal(err)
	}
	pending := launch(t, s, SeedSubnet1d)
	reg := func(tg string, ids ...string) error {
		var targets []elbtypes.TargetDescription
		for _, id := range ids {
			targets = append(targets, elbtypes.TargetDescription{Id: aws.String(id)})
		}
		_, err := s.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: targets})
		return err
	}
	wantCode(t, reg(SeedTargetGroup+"x", SeedInstance), "TargetGroupNotFound")
	wantCode(t, reg(SeedTargetGroup, "i-0123456789abcdef0"), "InvalidTarget")
	err = reg(SeedTargetGroup, pending)
	wantCode(t, err, "InvalidTarget")
	wantMessage(t, err, "The following targets are not in a running state and cannot be registered: '"+pending+"'")
	advance(s, time.Minute)
	wantCode(t, reg(SeedTargetGroup, aws.ToString(elsewhere.Instances[0].InstanceId)), "InvalidTarget")
	// All or nothing: a bad target leaves the good one unregistered.
	wantCode(t, reg(SeedTargetGroup, pending, "i-0123456789abcdef0"), "InvalidTarget")
	if got := healthOf(t, s, pending); got != "unused/Target.NotRegistered" {
		t.Fatalf("partly registered: %s", got)
	}
	if err := reg(SeedTargetGroup, pending); err != nil {
		t.Fatal(err)
	}
	// Port defaults to the target group's; registering again is a no-op.
	first := s.World().TargetGroups[0].Targets
	advance(s, time.Minute)
	if err := reg(SeedTargetGroup, pending); err != nil {
		t.Fatal(err)
	}
	again := s.World().TargetGroups[0].Targets
	if fmt.Sprint(first) != fmt.Sprint(again) || len(again) != 2 || again[0].Port != 80 || again[1].Port != 80 {
		t.Fatalf("re-registration changed targets:\n%v\n%v", first, again)
	}
	// The same instance on another port is another target.
	_, err = s.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(pending), Port: aws.Int32(8080)}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.World().TargetGroups[0].Targets); n != 3 {
		t.Fatalf("%d targets, want 3", n)
	}
}

func TestTooManyTargets(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.Subnets[0].CIDR = "10.0.0.0/20" // room for 1000 instances
	s := New(w, checkRoundTrips(t))
	in := runInput(SeedSubnet1a)
	in.MinCount, in.MaxCount = aws.Int32(1000), aws.Int32(1000)
	out, err := s.EC2().RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	advance(s, time.Minute)
	var targets []elbtypes.TargetDescription
	for _, i := range out.Instances {
		targets = append(targets, elbtypes.TargetDescription{Id: i.InstanceId})
	}
	_, err = s.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targets})
	wantCode(t, err, "TooManyTargets") // 1 + 1000
	_, err = s.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targets[:999]})
	if err != nil {
		t.Fatalf("1000 targets: %v", err)
	}
}

func TestDeregisterTargets(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	dereg := func(id string) {
		t.Helper()
		_, err := s.ELBV2().DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup),
			Targets: []elbtypes.TargetDescription{{Id: aws.String(id), Port: aws.Int32(80)}}})
		if err != nil {
			t.Fatalf("deregister %s: %v", id, err)
		}
	}
	dereg("i-0123456789abcdef0") // never registered: AWS says OK
	dereg(SeedInstance)
	if got := healthOf(t, s, SeedInstance); got != "draining/Target.DeregistrationInProgress" {
		t.Fatalf("after deregistration: %s", got)
	}
	all, _ := s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(SeedTargetGroup)})
	if len(all.TargetHealthDescriptions) != 1 {
		t.Fatal("a draining target is not listed")
	}
	dereg(SeedInstance) // again while draining: no change
	advance(s, 300*time.Second-time.Second)
	if got := healthOf(t, s, SeedInstance); got != "draining/Target.DeregistrationInProgress" {
		t.Fatalf("1s before the delay ends: %s", got)
	}
	advance(s, time.Second)
	if got := healthOf(t, s, SeedInstance); got != "unused/Target.NotRegistered" {
		t.Fatalf("after the delay: %s", got)
	}
	all, _ = s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(SeedTargetGroup)})
	if len(all.TargetHealthDescriptions) != 0 {
		t.Fatal("a drained target is still listed")
	}
	_, err := s.ELBV2().DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup + "x"),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(SeedInstance)}}})
	wantCode(t, err, "TargetGroupNotFound")
}

func TestDeregistrationDelayAttribute(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	_, err := s.ELBV2().ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(SeedTargetGroup),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("0")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.ELBV2().DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(SeedInstance)}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := healthOf(t, s, SeedInstance); got != "unused/Target.NotRegistered" {
		t.Fatalf("zero delay: %s", got)
	}
}

func TestSetSubnets(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.VPCs = append(w.VPCs, VPC{ID: "vpc-0000000000000beef", CIDR: "10.1.0.0/16"})
	w.Subnets = append(w.Subnets,
		Subnet{ID: "subnet-0000000000000beef", VPC: "vpc-0000000000000beef", AZ: "ap-northeast-1c", CIDR: "10.1.1.0/24"},
		Subnet{ID: "subnet-00000000000001a02", VPC: SeedVPC, AZ: "ap-northeast-1a", CIDR: "10.0.4.0/24"},
	)
	tests := []struct {
		name    string
		lb      string
		subnets []string
		want    string
		msg     string
	}{
		{"trim to two", SeedALB, []string{SeedSubnet1a, SeedSubnet1d}, "", ""},
		{"unknown lb", SeedALB + "x", []string{SeedSubnet1a, SeedSubnet1d}, "LoadBalancerNotFound", ""},
		{"unknown subnet", SeedALB, []string{SeedSubnet1a, "subnet-0000000000000dead"}, "SubnetNotFound", ""},
		{"two in one zone", SeedALB, []string{SeedSubnet1a, "subnet-00000000000001a02", SeedSubnet1d}, "InvalidConfigurationRequest",
			"A load balancer cannot be attached to multiple subnets in the same Availability Zone"},
		{"one zone", SeedALB, []string{SeedSubnet1a}, "ValidationError", "At least two subnets in two different Availability Zones must be specified"},
		{"none", SeedALB, nil, "ValidationError", ""},
		{"other vpc", SeedALB, []string{SeedSubnet1a, "subnet-0000000000000beef"}, "InvalidConfigurationRequest", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(w.clone(), checkRoundTrips(t))
			out, err := s.ELBV2().SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(tt.lb), Subnets: tt.subnets})
			wantCode(t, err, tt.want)
			if tt.msg != "" {
				wantMessage(t, err, tt.msg)
			}
			if err != nil {
				if n := len(s.World().LoadBalancers[0].Subnets); n != 3 {
					t.Fatalf("a refused SetSubnets changed the zones to %d", n)
				}
				return
			}
			var zones []string
			for _, z := range out.AvailabilityZones {
				zones = append(zones, aws.ToString(z.ZoneName)+"="+aws.ToString(z.SubnetId))
			}
			if got := strings.Join(zones, ","); got != "ap-northeast-1a="+SeedSubnet1a+",ap-northeast-1d="+SeedSubnet1d {
				t.Fatalf("zones %s", got)
			}
			d, _ := s.ELBV2().DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{SeedALB}})
			if len(d.LoadBalancers[0].AvailabilityZones) != 2 {
				t.Fatal("SetSubnets did not replace the set")
			}
		})
	}
}

func TestDescribeListeners(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	out, err := s.ELBV2().DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(SeedALB)})
	if err != nil {
		t.Fatal(err)
	}
	l := out.Listeners[0]
	if aws.ToInt32(l.Port) != 80 || l.Protocol != "HTTP" || aws.ToString(l.DefaultActions[0].TargetGroupArn) != SeedTargetGroup {
		t.Fatalf("%+v", l)
	}
	_, err = s.ELBV2().DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(SeedALB + "x")})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = s.ELBV2().DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{SeedListener + "x"}})
	wantCode(t, err, "ListenerNotFound")
}
