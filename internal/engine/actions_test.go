package engine

import (
	"testing"

	"github.com/albctl/albctl/internal/plan"
)

// EC2 refuses a tag specification without tags ("Tag specification must have at least one
// tag"), and a validation's launch has none: the request must then carry no specification.
func TestRunInputTagSpecifications(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		tags map[string]string
		want int
	}{
		{nil, 0},
		{map[string]string{}, 0},
		{map[string]string{"Name": "web-1d-1"}, 1},
	} {
		in := runInput(&plan.LaunchParams{Tags: c.tags, IAMProfile: "web-app"}, "ami-0a1b2c3d4e5f60100")
		if len(in.TagSpecifications) != c.want {
			t.Errorf("tags %v: %d tag specifications, want %d", c.tags, len(in.TagSpecifications), c.want)
		}
	}
}
