package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// TestConcurrentAppliesAgainstMoto runs two applies of one stack at once against moto, with
// the lock on moto's S3 (conditional put, If-None-Match: *): the second is refused naming the
// first, the first converges, and nothing is made twice.
func TestConcurrentAppliesAgainstMoto(t *testing.T) {
	m := newMoto(t)
	ctx := context.Background()
	s3c, dir, spec := lockedBlog(t, m)
	bin := albctl(t)
	env := cliEnv(dir, "AWS_REGION="+motoRegion)
	args := []string{"apply", "-auto-approve", "--cloud", "aws", "--endpoint", m.endpoint, spec}

	first := startHoldingTheLock(t, s3c, bin, env, args)
	second := runCLI(t, bin, env, args...)
	if second.code != 1 || !strings.Contains(second.stderr, "is held by") || !strings.Contains(second.stderr, "s3://albctl-locks/blog/apply.lock") || !strings.Contains(second.stderr, "albctl force-unlock ") {
		t.Errorf("second apply: exit %d\n%s%s", second.code, second.stdout, second.stderr)
	}
	if err := <-first.exited; err != nil {
		t.Fatalf("first apply: %v\n%s\n%s", err, first.stdout.String(), first.stderr.String())
	}
	if !strings.Contains(first.stdout.String(), "The world now matches the spec.") {
		t.Errorf("first apply did not converge:\n%s", first.stdout.String())
	}
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("albctl-locks"), Key: aws.String("blog/apply.lock")}); err == nil {
		t.Errorf("the lock object is left after the apply")
	}

	// Nothing twice: one member, one image.
	if members, images := membersAndImages(t, m); members != 1 || images != 1 {
		t.Errorf("%d members and %d images, want 1 and 1", members, images)
	}

	// A stale lock (a killed apply) is removed with force-unlock and its ID.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("albctl-locks"), Key: aws.String("blog/apply.lock"),
		Body: strings.NewReader(`{"id":"feedface","operation":"apply","who":"ci@gone","where":"x","when":"2025-01-01T00:00:00Z","plan":"p","version":"v"}`)}); err != nil {
		t.Fatal(err)
	}
	runCLI(t, bin, env, args...).mustErr(t, "held by ci@gone")
	runCLI(t, bin, env, "force-unlock", "--cloud", "aws", "--endpoint", m.endpoint, "feedface", spec).must(t, 0, "Released the lock feedface")
	runCLI(t, bin, env, args...).must(t, 0, "No changes")
}

// lockedBlog seeds moto with the blog world and makes the lock bucket, and writes the blog
// spec with its lock on that bucket into dir/blog.
func lockedBlog(t *testing.T, m *moto) (s3c *s3.Client, dir, spec string) {
	t.Helper()
	w, err := simulator.LoadWorld(repoPath("examples/blog/world.json"))
	if err != nil {
		t.Fatal(err)
	}
	m.seed(t, w)
	s3c = s3.NewFromConfig(m.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(context.Background(), &s3.CreateBucketInput{
		Bucket:                    aws.String("albctl-locks"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(motoRegion)},
	}); err != nil {
		t.Fatalf("create the lock bucket: %v", err)
	}
	dir = t.TempDir()
	spec = filepath.Join(dir, "blog")
	if err := os.Mkdir(spec, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(repoPath("examples/blog/alb.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	locked := strings.Replace(string(src), "cloud {", "cloud {\n  lock = \"s3://albctl-locks/blog/apply.lock\"", 1)
	if err := os.WriteFile(filepath.Join(spec, "alb.hcl"), []byte(locked), 0o644); err != nil {
		t.Fatal(err)
	}
	return s3c, dir, spec
}

// running is an albctl started in the background.
type running struct {
	exited         chan error
	stdout, stderr bytes.Buffer
}

// startHoldingTheLock starts albctl with args and returns once its lock object exists (the
// test waits for the object, not for a time); it fails the test if albctl ends first.
func startHoldingTheLock(t *testing.T, s3c *s3.Client, bin string, env, args []string) *running {
	t.Helper()
	r := &running{exited: make(chan error, 1)}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &r.stdout, &r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- cmd.Wait() }()
	for {
		if _, err := s3c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("albctl-locks"), Key: aws.String("blog/apply.lock")}); err == nil {
			return r
		}
		select {
		case err := <-r.exited:
			t.Fatalf("the first apply ended (%v) before its lock was seen; it should hold one while it runs\n%s\n%s", err, r.stdout.String(), r.stderr.String())
		default:
		}
	}
}

// membersAndImages counts moto's fleet members (pending or running) and the blog's baked images.
func membersAndImages(t *testing.T, m *moto) (members, images int) {
	t.Helper()
	ctx := context.Background()
	inst, err := m.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag-key"), Values: []string{cloud.TagFleet}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range inst.Reservations {
		members += len(r.Instances)
	}
	imgs, err := m.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"web-2023-05-14"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return members, len(imgs.Images)
}

func (r run) mustErr(t *testing.T, want string) {
	t.Helper()
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("exit %d, want 1; stderr should contain %q\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}
