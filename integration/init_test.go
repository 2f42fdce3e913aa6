package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/simulator"
)

// TestCLIInitAgainstMoto: on a moto account seeded with the blog world, albctl init (through
// the real binary, the AWS backend and moto's IDs) lists the candidate sources, writes a spec
// for "web" that loads, and plan on that spec shows the seed's change: a second instance in
// another zone of the load balancer, stickiness switched on, the zone left empty trimmed.
func TestCLIInitAgainstMoto(t *testing.T) {
	m := newMoto(t)
	seeded := m.seed(t, simulator.SeedWorld())
	bin := albctl(t)
	dir := t.TempDir()
	creds := cliEnv(dir, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION="+motoRegion)
	aws := []string{"--cloud", "aws", "--endpoint", m.endpoint}
	instance := seeded.IDs[simulator.SeedInstance]
	tgARN := seeded.IDs[simulator.SeedTargetGroup]
	albARN := seeded.IDs[simulator.SeedALB]
	if instance == "" || tgARN == "" || albARN == "" {
		t.Fatalf("the seed did not map the instance, target group and load balancer: %v", seeded.IDs)
	}
	specDir := filepath.Join(dir, "spec")
	if err := os.Mkdir(specDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(specDir, "alb.hcl")

	// Without SOURCE, and no terminal: an error that lists the candidates.
	list := runCLI(t, bin, creds, append([]string{"init", "-o", out}, aws...)...)
	if list.code != 1 || !regexp.MustCompile(`(?m)^  1\.  `+instance+`  "web"  ap-northeast-1a  t3\.small  running  web-tg -> web-alb$`).MatchString(list.stderr) {
		t.Fatalf("init without SOURCE: exit %d, want 1 listing %s\nstderr:\n%s", list.code, instance, list.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("init without SOURCE wrote a spec")
	}

	run := runCLI(t, bin, creds, append([]string{"init", "-o", out}, append(aws, "web")...)...)
	run.must(t, 0, "Wrote "+out)
	run.must(t, 0, "AWS account 123456789012, region ap-northeast-1, endpoint "+m.endpoint)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	spec := string(data)
	for _, want := range []string{
		"\n  target = \"aws\"\n", "\n  region = \"ap-northeast-1\"\n",
		"\n  source       = \"web\"\n", "# The Name tag of " + instance + ",",
		"#   " + tgARN + "\n", "#   " + albARN + "\n",
		"stickiness is off on web-tg now",
		`zone "ap-northeast-1a" {`,
	} {
		if !strings.Contains(spec, want) {
			t.Errorf("the spec lacks %q:\n%s", want, spec)
		}
	}
	loadStack(t, specDir)
	// mirror.Seed copies the security group rules, so moto's web-sg admits HTTP from the 1a
	// and 1d subnets only, as in the world: init proposes 1d, whose node reaches a member,
	// and says why 1c is not (issue 16: the copy is the account).
	second := "ap-northeast-1d"
	if !strings.Contains(spec, `zone "`+second+`" {`) || !strings.Contains(spec, "admits no TCP 80 from 10.0.2.0/24") {
		t.Errorf("want the second zone %s, chosen by the security group's rules:\n%s", second, spec)
	}

	plan := runCLI(t, bin, creds, append([]string{"plan", "-detailed-exitcode"}, append(aws, specDir)...)...)
	plan.must(t, 2, "Plan: 6 steps")
	for _, step := range []string{
		"+ create_image.web  image web-1",
		"+ launch_instance.web." + second + ".1",
		"~ enable_stickiness.web  target group web-tg",
		"+ register_target.web." + second + ".1",
		"- trim_zones.web  load balancer web-alb",
		"removes ap-northeast-1c once every kept zone has a healthy target",
	} {
		if !strings.Contains(plan.stdout, step) {
			t.Errorf("the plan of the spec init wrote lacks %q:\n%s", step, plan.stdout)
		}
	}

	// Never overwrites.
	again := runCLI(t, bin, creds, append([]string{"init", "-o", out}, append(aws, "web")...)...)
	if again.code != 1 || !strings.Contains(again.stderr, out+" already exists: init never overwrites a file") {
		t.Errorf("a second init: exit %d, want 1 refusing to overwrite\nstderr:\n%s", again.code, again.stderr)
	}
	if now, _ := os.ReadFile(out); string(now) != spec {
		t.Error("a refused init changed the file")
	}
}

// TestMotoSourceNamesAreExact: a Name tag with EC2's wildcard characters is looked up
// exactly on the AWS path (escaped filter value, exact comparison): init takes the instance
// with that very name and not a decoy the pattern reading would match too, writes it as
// source, and plan on moto finds the same one instance (docs/spec.md, docs/init.md).
func TestMotoSourceNamesAreExact(t *testing.T) {
	m := newMoto(t)
	w := simulator.SeedWorld()
	name := `web*?`
	w.Instances[0].Tags["Name"] = name
	decoy := w.Instances[0]
	decoy.ID, decoy.Reservation, decoy.IAMAssociation, decoy.IAMProfileARN = "i-0a1b2c3d4e5f60098", "r-0a1b2c3d4e5f60098", "", ""
	decoy.Tags = map[string]string{"Name": name + "zz"}
	w.Instances = append(w.Instances, decoy)
	seeded := m.seed(t, w)
	bin := albctl(t)
	dir := t.TempDir()
	creds := cliEnv(dir, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION="+motoRegion)
	aws := []string{"--cloud", "aws", "--endpoint", m.endpoint}
	specDir := filepath.Join(dir, "spec")
	if err := os.Mkdir(specDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(specDir, "alb.hcl")
	run := runCLI(t, bin, creds, append([]string{"init", "-o", out}, append(aws, name)...)...)
	run.must(t, 0, "Wrote "+out)
	stack := loadStack(t, specDir)
	if got := stack.Fleets[0].Source; got != name {
		t.Fatalf("source = %q, want the Name tag %q itself (the only live instance with it)", got, name)
	}
	plan := runCLI(t, bin, creds, append([]string{"plan"}, append(aws, specDir)...)...)
	plan.must(t, 0, seeded.IDs[simulator.SeedInstance])
}
