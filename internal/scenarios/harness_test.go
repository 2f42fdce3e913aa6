package scenarios

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// spec is the blog stack with a fleet of `a` members in 1a (the source included) and `d` in
// 1d, on image version `version`, with extra lines in the fleet block.
func spec(t *testing.T, version string, a, d int, extra string) *specs.Stack {
	t.Helper()
	return specWith(t, version, a, d, extra, "")
}

// specWith is spec with extra lines in the image block too.
func specWith(t *testing.T, version string, a, d int, extra, imageExtra string) *specs.Stack {
	t.Helper()
	src := fmt.Sprintf(`cloud { region = "ap-northeast-1" }
target_group "web" {
  name = "web-tg"
  health_check { path = "/health" }
  stickiness { type = "lb_cookie" }
}
load_balancer "web" {
  name  = "web-alb"
  zones = "targets"
}
fleet "web" {
  source       = "web"
  target_group = target_group.web
  sessions     = "local"
  image {
    name      = "web-%[1]s"
    version   = "%[1]s"
    no_reboot = true
%[5]s
  }
  zone "ap-northeast-1a" { count = %[2]d }
  zone "ap-northeast-1d" { count = %[3]d }
%[4]s
}
`, version, a, d, extra, imageExtra)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alb.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, diags := specs.Load(dir, specs.Options{})
	if diags.HasErrors() {
		t.Fatalf("spec: %v", diags)
	}
	return s
}

func observe(t *testing.T, sim *simulator.Sim, s *specs.Stack) *cloud.World {
	t.Helper()
	w, err := cloud.Observe(context.Background(), testkit.API(sim), plan.QueryOf(s))
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	w.Region = sim.World().Region
	return w
}

func planFor(t *testing.T, sim *simulator.Sim, s *specs.Stack) *plan.Plan {
	t.Helper()
	p, err := plan.Build(s, observe(t, sim, s))
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func apply(sim *simulator.Sim, p *plan.Plan, opts engine.Options) (*engine.Result, error) {
	opts.Clock = sim.Clock()
	return engine.Apply(context.Background(), p, testkit.API(sim), opts)
}

func kinds(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, string(s.Kind))
	}
	return out
}

func count(p *plan.Plan, k plan.Kind) int {
	n := 0
	for _, s := range p.Steps {
		if s.Kind == k {
			n++
		}
	}
	return n
}

// census counts the live instances (pending or running) and the available or pending images
// of the fleet.
func census(t *testing.T, sim *simulator.Sim) (instances map[string]string, images int) {
	t.Helper()
	ctx := context.Background()
	out, err := sim.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	instances = map[string]string{}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			instances[aws.ToString(in.InstanceId)] = cloud.TagMap(in.Tags)[cloud.TagImageVersion]
		}
	}
	imgs, err := sim.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs.Images {
		if im.State == ec2types.ImageStateAvailable || im.State == ec2types.ImageStatePending {
			images++
		}
	}
	return instances, images
}

// healthyTargets counts the healthy targets of web-tg.
func healthyTargets(t *testing.T, sim *simulator.Sim) int {
	t.Helper()
	ctx := context.Background()
	tgs, err := sim.ELBV2().DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"web-tg"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := sim.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tgs.TargetGroups[0].TargetGroupArn})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range h.TargetHealthDescriptions {
		if d.TargetHealth != nil && d.TargetHealth.State == "healthy" {
			n++
		}
	}
	return n
}

func sourceID(t *testing.T, sim *simulator.Sim) string {
	t.Helper()
	for _, in := range sim.World().Instances {
		if in.Tags["Name"] == "web" && !strings.HasPrefix(in.State, "term") {
			return in.ID
		}
	}
	t.Fatal("no source")
	return ""
}
