package cloud

import (
	"strings"
	"testing"
)

// TestSources: source is an ID or an exact Name tag, whatever characters the tag holds;
// source_pattern matches by EC2's wildcards. Members albctl launched and instances that are
// gone never count.
func TestSources(t *testing.T) {
	t.Parallel()
	inst := func(id, state, name string, member bool) Instance {
		in := Instance{ID: id, State: state, Tags: map[string]string{"Name": name}}
		if member {
			in.Tags[TagFleet] = "web"
		}
		return in
	}
	w := &World{Instances: []Instance{
		inst("i-00000001", "running", "web-1", false),
		inst("i-00000002", "stopped", "web-*", false),
		inst("i-00000003", "running", "web-2", true),        // a member
		inst("i-00000004", "terminated", "web-3", false),    // gone
		inst("i-00000005", "running", `w"${x}`, false),      // quotes and a template sequence
		inst("i-00000006", "running", "api-blue-1a", false), //
		{ID: "i-00000007", State: "running"},                // no Name tag at all
	}}
	tests := []struct {
		source  string
		pattern bool
		want    string
	}{
		{"web-1", false, "i-00000001"},
		{"web-*", false, "i-00000002"}, // exact: the instance named "web-*" only
		{"web-?", false, ""},
		{"web-2", false, ""}, // a member
		{"web-3", false, ""}, // terminated
		{`w"${x}`, false, "i-00000005"},
		{"i-00000003", false, "i-00000003"}, // by ID, even a member: plan reports that
		{"i-00000004", false, ""},
		{"web-*", true, "i-00000001,i-00000002"},
		{"web-?", true, "i-00000001,i-00000002"},
		{`web-\*`, true, "i-00000002"},
		{"api-*-1?", true, "i-00000006"},
		{"i-00000001", true, ""}, // a pattern is never an ID
		{"*", true, strings.Join([]string{"i-00000001", "i-00000002", "i-00000005", "i-00000006"}, ",")},
		{"", false, ""}, // an instance without a Name tag is not named ""
	}
	for _, tt := range tests {
		var got []string
		for _, in := range w.Sources(tt.source, tt.pattern) {
			got = append(got, in.ID)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("Sources(%q, pattern %v) = %v, want %s", tt.source, tt.pattern, got, tt.want)
		}
	}
}
