package plan

import (
	"maps"
	"slices"
	"strings"
)

var kindOrder = map[Kind]int{
	ValidateLaunch: 0, CreateImage: 1, ModifyHealthCheck: 2, LaunchInstance: 3, AssociateInstanceProfile: 4,
	EnableStickiness: 5, AddZones: 6, RegisterTarget: 7, Wait: 8, Gate: 8, DeregisterTarget: 9,
	TerminateInstance: 10, TrimZones: 11, TagSnapshots: 12, DeregisterImage: 13,
}

// ordered sorts the steps topologically, ties broken by kind then ID, so the order is both
// safe and stable.
func (b *builder) ordered() []Step {
	indeg := map[string]int{}
	next := map[string][]string{}
	for _, id := range slices.Sorted(maps.Keys(b.steps)) {
		s := b.steps[id]
		slices.Sort(s.DependsOn)
		s.DependsOn = slices.Compact(s.DependsOn)
		indeg[id] += 0
		for _, d := range s.DependsOn {
			indeg[id]++
			next[d] = append(next[d], id)
		}
	}
	less := func(x, y string) int {
		kx, ky := kindOrder[b.steps[x].Kind], kindOrder[b.steps[y].Kind]
		if kx != ky {
			return kx - ky
		}
		return strings.Compare(x, y)
	}
	var ready []string
	for id, n := range indeg {
		if n == 0 {
			ready = append(ready, id)
		}
	}
	out := make([]Step, 0, len(b.steps))
	for len(ready) > 0 {
		slices.SortFunc(ready, less)
		id := ready[0]
		ready = ready[1:]
		out = append(out, *b.steps[id])
		for _, n := range next[id] {
			indeg[n]--
			if indeg[n] == 0 {
				ready = append(ready, n)
			}
		}
	}
	if len(out) != len(b.steps) {
		panic("plan: dependency cycle") // a planner bug, never an input error
	}
	return out
}

// sortedSteps returns the steps by ID.
func sortedSteps(steps map[string]*Step) []*Step {
	out := make([]*Step, 0, len(steps))
	for _, id := range slices.Sorted(maps.Keys(steps)) {
		out = append(out, steps[id])
	}
	return out
}

// Kinds lists every step kind, in the order steps of equal standing run, ties by name; views
// use it to check that they know each kind.
func Kinds() []Kind {
	return slices.SortedFunc(maps.Keys(kindOrder), func(a, b Kind) int {
		if d := kindOrder[a] - kindOrder[b]; d != 0 {
			return d
		}
		return strings.Compare(string(a), string(b))
	})
}
