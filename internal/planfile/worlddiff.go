package planfile

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
)

// Change is one attribute that differs between two observed worlds; Before or After is nil
// when the attribute (or the whole resource) is absent on that side.
type Change struct {
	Path   string  `json:"path"`
	Before *string `json:"before"`
	After  *string `json:"after"`
}

// WorldChanges lists what differs between two observed worlds, attribute by attribute, naming
// the resource by its ID or name (e.g. `target_groups[web-tg].attributes.stickiness.enabled`).
// A null and an absent attribute are the same thing.
func WorldChanges(before, after *cloud.World) []Change {
	a, b := flatten(before), flatten(after)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []Change
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		va, inA := a[k]
		vb, inB := b[k]
		if inA && inB && va == vb {
			continue
		}
		c := Change{Path: k}
		if inA {
			c.Before = &va
		}
		if inB {
			c.After = &vb
		}
		out = append(out, c)
	}
	return out
}

// resource splits a change path into its resource ("instances[i-1]") and the attribute
// within it ("state").
func resource(path string) (res, attr string) {
	if i := strings.Index(path, "]"); i >= 0 {
		res, attr = path[:i+1], strings.TrimPrefix(path[i+1:], ".")
		return res, attr
	}
	return path, ""
}

// nouns name the world's collections in the stale-plan message.
func nouns() map[string]string {
	return map[string]string{
		"instances": "instance", "images": "image", "subnets": "subnet",
		"target_groups": "target group", "load_balancers": "load balancer", "snapshots": "snapshot",
	}
}

func describeResource(res string) string {
	coll, key, ok := strings.Cut(strings.TrimSuffix(res, "]"), "[")
	if !ok {
		return res
	}
	if n, ok := nouns()[coll]; ok {
		coll = n
	}
	return coll + " " + key
}

// maxStaleLines bounds the stale-plan message: a few lines say what changed; -json says all.
const maxStaleLines = 5

// staleMessage says in a few lines what changed, one line per resource.
func staleMessage(planPath string, changes []Change) string {
	type group struct {
		name    string
		changes []Change
	}
	var groups []*group
	byName := map[string]*group{}
	for _, c := range changes {
		res, _ := resource(c.Path)
		g, ok := byName[res]
		if !ok {
			g = &group{name: res}
			byName[res] = g
			groups = append(groups, g)
		}
		g.changes = append(g.changes, c)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "stale plan %s: the world changed since the plan was made:", planPath)
	for i, g := range groups {
		if i == maxStaleLines {
			fmt.Fprintf(&b, "\n  - and %d more (apply -json %s lists every change)", len(groups)-i, planPath)
			break
		}
		b.WriteString("\n  - " + describeResource(g.name) + ": " + summarize(g.changes))
	}
	b.WriteString("\nMake a new plan: albctl never re-plans silently.")
	return b.String()
}

// summarize says what happened to one resource: appeared, gone, or its changed attributes
// (a nested element such as a target counts as one: "targets[i-1:80] added").
func summarize(cs []Change) string {
	for _, c := range cs {
		if _, attr := resource(c.Path); attr == "id" || attr == "name" {
			if c.Before == nil {
				return "appeared" + stateOf(cs, true)
			}
			if c.After == nil {
				return "is gone"
			}
		}
	}
	type sub struct {
		name          string
		added, remove bool
		n             int
		c             Change
	}
	var subs []*sub
	idx := map[string]*sub{}
	for _, c := range cs {
		_, attr := resource(c.Path)
		key := attr
		if i := strings.Index(attr, "]"); i >= 0 {
			key = attr[:i+1]
		}
		s, ok := idx[key]
		if !ok {
			s = &sub{name: key, added: true, remove: true, c: c}
			idx[key] = s
			subs = append(subs, s)
		}
		s.n++
		s.added = s.added && c.Before == nil
		s.remove = s.remove && c.After == nil
	}
	var parts []string
	for i, s := range subs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", len(subs)-3))
			break
		}
		switch {
		case s.n == 1 && s.name == mustAttr(s.c):
			parts = append(parts, fmt.Sprintf("%s %s -> %s", s.name, show(s.c.Before), show(s.c.After)))
		case s.added:
			parts = append(parts, s.name+" added")
		case s.remove:
			parts = append(parts, s.name+" removed")
		default:
			parts = append(parts, s.name+" changed")
		}
	}
	return strings.Join(parts, ", ")
}

func mustAttr(c Change) string {
	_, attr := resource(c.Path)
	return attr
}

// stateOf adds the state of an appeared resource, when it has one: "appeared (running)".
func stateOf(cs []Change, after bool) string {
	for _, c := range cs {
		if _, attr := resource(c.Path); attr == "state" && c.After != nil && after {
			return " (" + strings.Trim(*c.After, `"`) + ")"
		}
	}
	return ""
}

func show(v *string) string {
	if v == nil {
		return "(absent)"
	}
	return *v
}

func flatten(w *cloud.World) map[string]string {
	data, _ := json.Marshal(w)
	var v any
	_ = json.Unmarshal(data, &v)
	out := map[string]string{}
	flattenInto(out, "", v)
	return out
}

// flattenInto records every leaf of v by path. Nulls and empty lists or maps are left out:
// they mean the same as an absent attribute.
func flattenInto(out map[string]string, path string, v any) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			flattenInto(out, p, e)
		}
	case []any:
		for i, e := range x {
			flattenInto(out, path+"["+elementKey(e, i)+"]", e)
		}
	default:
		b, _ := json.Marshal(x)
		out[path] = string(b)
	}
}

// elementKey names a list element by what identifies it, so that a change to one instance
// is not reported as a shift of every later index.
func elementKey(e any, i int) string {
	m, ok := e.(map[string]any)
	if !ok {
		if s, ok := e.(string); ok {
			return s
		}
		return fmt.Sprint(i)
	}
	for _, k := range []string{"id", "name", "az"} {
		if s, ok := m[k].(string); ok && s != "" {
			if port, ok := m["port"].(float64); ok && k == "id" {
				return fmt.Sprintf("%s:%d", s, int(port))
			}
			return s
		}
	}
	return fmt.Sprint(i)
}
