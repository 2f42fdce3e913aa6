package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/albctl/albctl/cloud"
)

// worldChanges lists, one line each, what differs between two observed worlds, naming the
// resource by its ID or name (e.g. `target_groups[web-tg].attributes.stickiness.enabled:
// "false" -> "true"`).
func worldChanges(before, after *cloud.World) []string {
	a, b := flatten(before), flatten(after)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		va, inA := a[k]
		vb, inB := b[k]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("%s: (absent) -> %s", k, vb))
		case !inB:
			out = append(out, fmt.Sprintf("%s: %s -> (absent)", k, va))
		case va != vb:
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, va, vb))
		}
	}
	return out
}

func flatten(w *cloud.World) map[string]string {
	data, _ := json.Marshal(w)
	var v any
	_ = json.Unmarshal(data, &v)
	out := map[string]string{}
	flattenInto(out, "", v)
	return out
}

func flattenInto(out map[string]string, path string, v any) {
	switch x := v.(type) {
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
