package planfile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
)

// The stale-plan message names each changed resource once, says whether it appeared, went
// away or which attributes changed, and stops after a few lines.
func TestStaleMessage(t *testing.T) {
	base := func() *cloud.World {
		return &cloud.World{
			Instances:    []cloud.Instance{{ID: "i-1", State: "running", InstanceType: "t3.micro"}, {ID: "i-2", State: "running"}},
			TargetGroups: []cloud.TargetGroup{{Name: "web-tg"}},
		}
	}
	tests := []struct {
		name string
		edit func(w *cloud.World)
		want []string
	}{
		{"nothing", func(*cloud.World) {}, nil},
		{"attribute", func(w *cloud.World) { w.Instances[0].InstanceType = "t3.large" }, []string{`instance i-1: instance_type "t3.micro" -> "t3.large"`}},
		{"two attributes", func(w *cloud.World) { w.Instances[0].InstanceType, w.Instances[0].State = "t3.large", "stopped" },
			[]string{`instance i-1: instance_type "t3.micro" -> "t3.large", state "running" -> "stopped"`}},
		{"appeared", func(w *cloud.World) { w.Instances = append(w.Instances, cloud.Instance{ID: "i-3", State: "pending"}) }, []string{"instance i-3: appeared (pending)"}},
		{"gone", func(w *cloud.World) { w.Instances = w.Instances[:1] }, []string{"instance i-2: is gone"}},
		{"many", func(w *cloud.World) {
			for i := range 7 {
				w.Instances = append(w.Instances, cloud.Instance{ID: fmt.Sprintf("i-n%d", i), State: "running"})
			}
		}, []string{"instance i-n0: appeared (running)", "instance i-n1: appeared (running)", "instance i-n2: appeared (running)",
			"instance i-n3: appeared (running)", "instance i-n4: appeared (running)", "and 2 more (apply -json x.plan lists every change)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			after := base()
			tc.edit(after)
			changes := WorldChanges(base(), after)
			if len(tc.want) == 0 {
				if len(changes) != 0 {
					t.Errorf("changes %v", changes)
				}
				return
			}
			msg := staleMessage("x.plan", changes)
			want := "stale plan x.plan: the world changed since the plan was made:\n  - " + strings.Join(tc.want, "\n  - ") + "\nMake a new plan: albctl never re-plans silently."
			if msg != want {
				t.Errorf("got:\n%s\nwant:\n%s", msg, want)
			}
		})
	}
}
