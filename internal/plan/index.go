package plan

import (
	"github.com/albctl/albctl/internal/cloud"
)

// index holds lookups over the world built once per Build, so that planning stays linear in
// the number of instances and targets.
type index struct {
	world *cloud.World
	// targets[tg ARN][instance ID] is the first registration of the instance in the group.
	targets map[string]map[string]*cloud.Target
	// members[fleet, tg name] are the live instances albctl launched for that fleet.
	members map[[2]string][]*cloud.Instance
	// tgByARN names target groups by ARN.
	tgByARN map[string]*cloud.TargetGroup
	// imageUsers[image ID] are the live instances running it.
	imageUsers map[string][]*cloud.Instance
}

func newIndex(w *cloud.World) *index {
	x := &index{
		world:      w,
		targets:    map[string]map[string]*cloud.Target{},
		members:    map[[2]string][]*cloud.Instance{},
		tgByARN:    map[string]*cloud.TargetGroup{},
		imageUsers: map[string][]*cloud.Instance{},
	}
	for i := range w.TargetGroups {
		tg := &w.TargetGroups[i]
		x.tgByARN[tg.ARN] = tg
		m := make(map[string]*cloud.Target, len(tg.Targets))
		for j := range tg.Targets {
			if _, dup := m[tg.Targets[j].ID]; !dup {
				m[tg.Targets[j].ID] = &tg.Targets[j]
			}
		}
		x.targets[tg.ARN] = m
	}
	for i := range w.Instances {
		in := &w.Instances[i]
		if !liveState(in.State) {
			continue
		}
		x.imageUsers[in.ImageID] = append(x.imageUsers[in.ImageID], in)
		if f := in.Tags[cloud.TagFleet]; f != "" {
			k := [2]string{f, in.Tags[cloud.TagStack]}
			x.members[k] = append(x.members[k], in)
		}
	}
	return x
}

// target returns tg's registration of instance id, if any.
func (x *index) target(tg *cloud.TargetGroup, id string) (*cloud.Target, bool) {
	t, ok := x.targets[tg.ARN][id]
	return t, ok
}

// serving reports whether id is a registration of tg that takes traffic or is about to
// (anything but draining).
func (x *index) registered(tg *cloud.TargetGroup, id string) (*cloud.Target, bool) {
	t, ok := x.target(tg, id)
	if !ok || t.State == "draining" {
		return nil, false
	}
	return t, true
}

func liveState(s string) bool {
	switch s {
	case "pending", "running", "stopping", "stopped":
		return true
	}
	return false
}
