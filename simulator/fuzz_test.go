package simulator

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// FuzzParseWorld: a world file is user input. Parsing never panics; a world that parses
// re-marshals to a canonical form that parses to the same bytes, and the simulator can serve
// Describe calls on it.
func FuzzParseWorld(f *testing.F) {
	seed, err := SeedWorld().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"account_id": "123456789012", "region": "ap-northeast-1", "now": "2023-05-14T09:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ParseWorld(data)
		if err != nil {
			return
		}
		first, err := w.Marshal()
		if err != nil {
			t.Fatalf("a parsed world does not marshal: %v", err)
		}
		again, err := ParseWorld(first)
		if err != nil {
			t.Fatalf("a marshalled world does not parse: %v\n%s", err, first)
		}
		second, err := again.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("marshal is not canonical:\n%s\n---\n%s", first, second)
		}
		sim := New(w)
		ctx := context.Background()
		_, _ = sim.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
		_, _ = sim.ELBV2().DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
		_, _ = sim.ELBV2().DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	})
}
