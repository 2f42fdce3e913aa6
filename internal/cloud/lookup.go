package cloud

import (
	"regexp"
	"slices"
	"strings"
)

var instanceIDPattern = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)

// IsInstanceID reports whether s is an EC2 instance ID rather than a Name tag.
func IsInstanceID(s string) bool { return instanceIDPattern.MatchString(s) }

// Instance returns the instance with that ID.
func (w *World) Instance(id string) (*Instance, bool) {
	// Instances are sorted by ID (Observe sorts them): search, and fall back to a scan for a
	// hand-made world that is not.
	if i, ok := slices.BinarySearchFunc(w.Instances, id, func(in Instance, id string) int { return strings.Compare(in.ID, id) }); ok {
		return &w.Instances[i], true
	}
	for i := range w.Instances {
		if w.Instances[i].ID == id {
			return &w.Instances[i], true
		}
	}
	return nil, false
}

// Sources returns the live instances a fleet's source names: the instance with that ID, or
// the instances that albctl did not launch whose Name tag is that value exactly — or, with
// source_pattern, matches that pattern by EC2's wildcard rules (docs/spec.md). More than one
// is an ambiguity the planner reports.
func (w *World) Sources(source string, pattern bool) []*Instance {
	if !pattern && IsInstanceID(source) { // once, not once per instance
		if in, ok := w.Instance(source); ok && live(in.State) {
			return []*Instance{in}
		}
		return nil
	}
	match := func(name string) bool { return name == source }
	if pattern {
		match = CompileWildcard(source).Match
	}
	var out []*Instance
	for i := range w.Instances {
		in := &w.Instances[i]
		if !live(in.State) || in.Tags[TagFleet] != "" {
			continue
		}
		if name, ok := in.Tags["Name"]; ok && match(name) {
			out = append(out, in)
		}
	}
	return out
}

func (w *World) sourceFound(f *FleetQuery) (*Instance, bool) {
	s := w.Sources(f.Source, f.SourcePattern)
	if len(s) == 0 {
		return nil, false
	}
	return s[0], true
}

// Members returns the live instances albctl launched for a fleet serving target group tgName.
func (w *World) Members(fleet, tgName string) []*Instance {
	var out []*Instance
	for i := range w.Instances {
		in := &w.Instances[i]
		if live(in.State) && in.Tags[TagFleet] == fleet && in.Tags[TagStack] == tgName {
			out = append(out, in)
		}
	}
	return out
}

// ImageByName returns the image with that name that is not gone.
func (w *World) ImageByName(name string) (*Image, bool) {
	for i := range w.Images {
		im := &w.Images[i]
		if im.Name == name && im.State != "deregistered" && im.State != "failed" && im.State != "invalid" && im.State != "error" {
			return im, true
		}
	}
	return nil, false
}

// TargetGroup returns the target group with that name.
func (w *World) TargetGroup(name string) (*TargetGroup, bool) {
	for i := range w.TargetGroups {
		if w.TargetGroups[i].Name == name {
			return &w.TargetGroups[i], true
		}
	}
	return nil, false
}

// LoadBalancer returns the load balancer with that name.
func (w *World) LoadBalancer(name string) (*LoadBalancer, bool) {
	for i := range w.LoadBalancers {
		if w.LoadBalancers[i].Name == name {
			return &w.LoadBalancers[i], true
		}
	}
	return nil, false
}

// SubnetsIn returns the subnets of vpc in az, sorted by ID.
func (w *World) SubnetsIn(vpc, az string) []Subnet {
	var out []Subnet
	for _, s := range w.Subnets {
		if s.VpcID == vpc && s.AZ == az {
			out = append(out, s)
		}
	}
	return out
}

// Subnet returns the subnet with that ID.
func (w *World) Subnet(id string) (*Subnet, bool) {
	for i := range w.Subnets {
		if w.Subnets[i].ID == id {
			return &w.Subnets[i], true
		}
	}
	return nil, false
}

// Target returns tg's registration of instance id, if any.
func (tg *TargetGroup) Target(id string) (*Target, bool) {
	for i := range tg.Targets {
		if tg.Targets[i].ID == id {
			return &tg.Targets[i], true
		}
	}
	return nil, false
}

func live(state string) bool {
	switch state {
	case "pending", "running", "stopping", "stopped":
		return true
	}
	return false
}
