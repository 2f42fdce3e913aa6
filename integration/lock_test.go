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
	w, err := simulator.LoadWorld(repoPath("examples/blog/world.json"))
	if err != nil {
		t.Fatal(err)
	}
	m.seed(t, w)
	s3c := s3.NewFromConfig(m.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket:                    aws.String("albctl-locks"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(motoRegion)},
	}); err != nil {
		t.Fatalf("create the lock bucket: %v", err)
	}

	dir := t.TempDir()
	spec := filepath.Join(dir, "blog")
	os.Mkdir(spec, 0o755)
	src, err := os.ReadFile(repoPath("examples/blog/alb.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	locked := strings.Replace(string(src), "cloud {", "cloud {\n  lock = \"s3://albctl-locks/blog/apply.lock\"", 1)
	os.WriteFile(filepath.Join(spec, "alb.hcl"), []byte(locked), 0o644)

	bin := albctl(t)
	env := cliEnv(dir, "AWS_REGION="+motoRegion)
	args := []string{"apply", "-auto-approve", "--cloud", "aws", "--endpoint", m.endpoint, spec}

	// The first apply; the test waits until its lock object exists (not for a time).
	first := exec.Command(bin, args...)
	first.Env = env
	var out1, err1 bytes.Buffer
	first.Stdout, first.Stderr = &out1, &err1
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	var firstErr error
	firstDone := false
	for !firstDone {
		if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("albctl-locks"), Key: aws.String("blog/apply.lock")}); err == nil {
			break
		}
		select {
		case firstErr = <-exited:
			firstDone = true
		default:
		}
	}
	if firstDone {
		t.Fatalf("the first apply ended (%v) before its lock was seen; it should hold one while it runs\n%s\n%s", firstErr, out1.String(), err1.String())
	}

	second := runCLI(t, bin, env, args...)
	if second.code != 1 || !strings.Contains(second.stderr, "is held by") || !strings.Contains(second.stderr, "s3://albctl-locks/blog/apply.lock") || !strings.Contains(second.stderr, "albctl force-unlock ") {
		t.Errorf("second apply: exit %d\n%s%s", second.code, second.stdout, second.stderr)
	}
	if err := <-exited; err != nil {
		t.Fatalf("first apply: %v\n%s\n%s", err, out1.String(), err1.String())
	}
	if !strings.Contains(out1.String(), "The world now matches the spec.") {
		t.Errorf("first apply did not converge:\n%s", out1.String())
	}
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("albctl-locks"), Key: aws.String("blog/apply.lock")}); err == nil {
		t.Errorf("the lock object is left after the apply")
	}

	// Nothing twice: one member, one image.
	inst, err := m.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag-key"), Values: []string{cloud.TagFleet}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	members := 0
	for _, r := range inst.Reservations {
		members += len(r.Instances)
	}
	imgs, err := m.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"web-2023-05-14"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if members != 1 || len(imgs.Images) != 1 {
		t.Errorf("%d members and %d images, want 1 and 1", members, len(imgs.Images))
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

func (r run) mustErr(t *testing.T, want string) {
	t.Helper()
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("exit %d, want 1; stderr should contain %q\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}
