package simulator

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
)

// scenarioSteps is the number of steps of scenario.
const scenarioSteps = 5

// scenario runs steps [from, to) of the blog plan done by hand (bake an image, enable
// stickiness, launch in 1d, register, trim 1c) and returns every ID it was handed.
func scenario(t *testing.T, s *Sim, from, to int) []string {
	t.Helper()
	var ids []string
	steps := []func(){
		func() {
			out, err := s.EC2().CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(SeedInstance), Name: aws.String("web-2023-05-14")})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, aws.ToString(out.ImageId))
			s.Clock().Advance(6 * time.Minute)
		},
		func() {
			_, err := s.ELBV2().ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(SeedTargetGroup),
				Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("stickiness.enabled"), Value: aws.String("true")}}})
			if err != nil {
				t.Fatal(err)
			}
		},
		func() {
			im, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []ec2types.Filter{filter("name", "web-2023-05-14")}})
			if err != nil || len(im.Images) != 1 {
				t.Fatalf("%v %v", im, err)
			}
			out, err := s.EC2().RunInstances(ctx, &ec2.RunInstancesInput{
				ImageId: im.Images[0].ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(SeedSubnet1d),
				InstanceType: "t3.small", SecurityGroupIds: []string{SeedWebSG}, ClientToken: aws.String("launch-1d"),
				IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("web-app")},
			})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, aws.ToString(out.ReservationId), aws.ToString(out.Instances[0].InstanceId))
			s.Clock().Advance(time.Minute)
		},
		func() {
			d, err := s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("subnet-id", SeedSubnet1d)}})
			if err != nil {
				t.Fatal(err)
			}
			id := d.Reservations[0].Instances[0].InstanceId
			if _, err := s.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup),
				Targets: []elbtypes.TargetDescription{{Id: id}}}); err != nil {
				t.Fatal(err)
			}
			s.Clock().Advance(3 * time.Minute)
		},
		func() {
			if _, err := s.ELBV2().SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(SeedALB), Subnets: []string{SeedSubnet1a, SeedSubnet1d}}); err != nil {
				t.Fatal(err)
			}
		},
	}
	for _, f := range steps[from:to] {
		f()
	}
	return ids
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	a, b := seedSim(t), seedSim(t)
	idsA, idsB := scenario(t, a, 0, scenarioSteps), scenario(t, b, 0, scenarioSteps)
	if fmt.Sprint(idsA) != fmt.Sprint(idsB) {
		t.Fatalf("IDs differ: %v vs %v", idsA, idsB)
	}
	wa, _ := a.World().Marshal()
	wb, _ := b.World().Marshal()
	if !bytes.Equal(wa, wb) {
		t.Fatal("worlds differ")
	}
	// Another seed gives other IDs.
	w := SeedWorld()
	w.Seed = 2
	if ids := scenario(t, New(w, checkRoundTrips(t)), 0, scenarioSteps); ids[0] == idsA[0] {
		t.Fatal("the seed does not change IDs")
	}
}

// TestDeterminismAcrossSaveAndLoad checks that the seed and counter in the world file let
// a reloaded world go on exactly as one never saved.
func TestDeterminismAcrossSaveAndLoad(t *testing.T) {
	t.Parallel()
	for cut := range scenarioSteps + 1 {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			whole := seedSim(t)
			want := scenario(t, whole, 0, scenarioSteps)
			wantWorld, _ := whole.World().Marshal()

			part := seedSim(t)
			got := scenario(t, part, 0, cut)
			path := filepath.Join(t.TempDir(), "w.json")
			if err := part.World().Save(path); err != nil {
				t.Fatal(err)
			}
			w, err := LoadWorld(path)
			if err != nil {
				t.Fatal(err)
			}
			reloaded := New(w, checkRoundTrips(t))
			got = append(got, scenario(t, reloaded, cut, scenarioSteps)...)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("IDs after reload (-want +got):\n%s", diff)
			}
			gotWorld, _ := reloaded.World().Marshal()
			if diff := cmp.Diff(string(wantWorld), string(gotWorld)); diff != "" {
				t.Fatalf("world after reload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
				s.ELBV2().DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(SeedTargetGroup)})
				s.Clock().Advance(time.Second)
				_ = s.World()
			}
		}()
	}
	wg.Wait()
	if got := s.Calls()["DescribeInstances"]; got != 160 {
		t.Fatalf("%d calls", got)
	}
}
