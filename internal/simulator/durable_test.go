package simulator

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestRoundTripCheckReports: WithRoundTripCheck reports a world a file could not hold, with
// the operation that left it, once per state: a Describe or a clock advance that changes
// nothing but the clock is not reported again, a call that changes the world is.
func TestRoundTripCheckReports(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.Images[0].Snapshots = []string{"snap-0000000000000dead"} // an available image, its snapshot gone
	var got []string
	s := New(w, WithRoundTripCheck(func(op string, err error) {
		if !strings.Contains(err.Error(), `snapshot "snap-0000000000000dead" does not exist`) || !strings.Contains(err.Error(), "after "+op+" at ") {
			t.Errorf("%s: %v", op, err)
		}
		got = append(got, op)
	}))
	if _, err := s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{}); err != nil {
		t.Fatal(err)
	}
	s.Clock().Advance(time.Second)
	_, err := s.EC2().CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{SeedInstance}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "New CreateTags" {
		t.Fatalf("reported after %v, want New CreateTags", got)
	}

	// The seed world and what calls make of it are never reported.
	s = New(SeedWorld(), WithRoundTripCheck(func(op string, err error) { t.Errorf("%s: %v", op, err) }))
	launch(t, s, SeedSubnet1d)
	s.Clock().Advance(time.Hour)
}

func TestFirstDifference(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b, want string }{
		{"{\n  \"counter\": 1,\n}\n", "{\n  \"counter\": 2,\n}\n", `line 2 is "\"counter\": 1,", then "\"counter\": 2,"`},
		{"{\n}\n", "{\n}\n\n", "3 lines, then 4"},
	}
	for _, tt := range tests {
		if got := firstDifference([]byte(tt.a), []byte(tt.b)); got != tt.want {
			t.Errorf("firstDifference = %s, want %s", got, tt.want)
		}
	}
}
