package integration

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// TestMotoRolloutScaleInAndCleanup runs the issue-8 journeys through the real SDK clients:
// two version bumps of a four-member fleet (each a surge-first rollout that converges, the
// second also deregistering the first image and its snapshots beyond image.keep = 2), then a
// scale-in. moto has no time or health (everything is ready at once), so this checks request
// shapes, errors and end states; timing and capacity are checked on the simulator
// (scenarios/).
func TestMotoRolloutScaleInAndCleanup(t *testing.T) {
	m := newMoto(t)
	m.seed(t, simulator.SeedWorld())
	wall := motoClock()
	dir := blogWithZones(t, "ap-northeast-1a=2", "ap-northeast-1d=2")
	at := func(version string) *specs.Stack {
		s, _, diags := specs.Load(dir, specs.Options{Vars: []string{"app_version=" + version}})
		if diags.HasErrors() {
			t.Fatalf("load: %v", diags)
		}
		return s
	}
	testkit.Converge(t, "moto", m.api(), wall, at("2023-05-14"))
	src := liveByVersion(t, m.api())[""]
	if len(src) != 1 {
		t.Fatalf("sources: %v", src)
	}

	for _, v := range []string{"2024-01-01", "2024-02-01"} {
		nextBakeSecond()
		plans := testkit.Converge(t, "moto", m.api(), wall, at(v))
		if n := countKind(plans[0], plan.LaunchInstance); n != 3 {
			t.Errorf("bump to %s: %d launches, want 3 replacements:\n%s", v, n, testkit.Steps(plans[0]))
		}
		live := liveByVersion(t, m.api())
		if len(live[v]) != 3 || len(live) != 2 || live[""][0] != src[0] {
			t.Errorf("after the bump to %s: live instances by version %v (source %s)", v, live, src[0])
		}
	}
	// keep = 2: the images of 2024-02-01 and 2024-01-01 stay, 2023-05-14's went.
	names := bakedImageNames(t, m.api())
	if strings.Join(names, " ") != "web-2024-01-01 web-2024-02-01" {
		t.Errorf("baked images left: %v", names)
	}

	scaled := blogWithZones(t, "ap-northeast-1a=2", "ap-northeast-1d=1")
	s, _, diags := specs.Load(scaled, specs.Options{Vars: []string{"app_version=2024-02-01"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plans := testkit.Converge(t, "moto", m.api(), wall, s)
	if got := strings.Join(kindsOf(plans[0]), " "); got != "deregister_target terminate_instance" {
		t.Errorf("scale-in plan: %s", got)
	}
	if n := len(liveByVersion(t, m.api())["2024-02-01"]); n != 2 {
		t.Errorf("%d members after the scale-in, want 2", n)
	}
}

func countKind(p *plan.Plan, k plan.Kind) int {
	n := 0
	for _, s := range p.Steps {
		if s.Kind == k {
			n++
		}
	}
	return n
}

func kindsOf(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, string(s.Kind))
	}
	return out
}

// liveByVersion maps albctl:image-version ("" for the source) to the running instances.
func liveByVersion(t *testing.T, api cloud.API) map[string][]string {
	t.Helper()
	out, err := api.EC2.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			v := cloud.TagMap(in.Tags)[cloud.TagImageVersion]
			m[v] = append(m[v], aws.ToString(in.InstanceId))
		}
	}
	return m
}

// bakedImageNames lists the available images albctl baked, by name.
func bakedImageNames(t *testing.T, api cloud.API) []string {
	t.Helper()
	out, err := api.EC2.DescribeImages(context.Background(), &ec2.DescribeImagesInput{
		Owners:  []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{cloud.TagFleet}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, im := range out.Images {
		if im.State == ec2types.ImageStateAvailable {
			names = append(names, aws.ToString(im.Name))
		}
	}
	slices.Sort(names)
	return names
}
