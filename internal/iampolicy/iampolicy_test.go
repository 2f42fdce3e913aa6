package iampolicy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/specs"
)

// The placeholder roles name each profile of the spec, with the account of a profile ARN
// when the spec gives one (docs/security.md, "Generating the policy").
func TestRolePlaceholders(t *testing.T) {
	cases := []struct {
		name     string
		profiles []string
		want     []string
	}{
		{"inherit", []string{specs.InheritProfile}, []string{"arn:aws:iam::999:role/ROLE_OF_INSTANCE_PROFILE"}},
		{"a name", []string{"web-profile"}, []string{"arn:aws:iam::999:role/ROLE_OF_web-profile"}},
		{"an ARN with a path", []string{"arn:aws:iam::111122223333:instance-profile/apps/api"}, []string{"arn:aws:iam::111122223333:role/ROLE_OF_api"}},
		{"another partition", []string{"arn:aws-cn:iam::111122223333:instance-profile/api"}, []string{"arn:aws-cn:iam::111122223333:role/ROLE_OF_api"}},
		{"repeats once, sorted", []string{"web", specs.InheritProfile, "web"}, []string{"arn:aws:iam::999:role/ROLE_OF_INSTANCE_PROFILE", "arn:aws:iam::999:role/ROLE_OF_web"}},
		{"no fleet", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &specs.Stack{}
			for _, p := range tc.profiles {
				s.Fleets = append(s.Fleets, specs.Fleet{IAMInstanceProfile: p})
			}
			if got := RolePlaceholders(s, "999"); !slices.Equal(got, tc.want) {
				t.Errorf("RolePlaceholders = %v, want %v", got, tc.want)
			}
		})
	}
}

func actionsOf(p *Policy) []string {
	var out []string
	for _, s := range p.Statement {
		switch a := s.Action.(type) {
		case string:
			out = append(out, a)
		case []string:
			out = append(out, a...)
		}
	}
	return out
}

// What the input decides: the use, the roles (none: no PassRole) and the lock (none: no S3;
// malformed: an error).
func TestGenerate(t *testing.T) {
	cases := []struct {
		name    string
		in      Input
		has     []string // actions granted
		hasNot  []string
		wantErr string
	}{
		{"plan reads only", Input{Use: Plan, Roles: []string{"r"}, Lock: "s3://b/k"}, []string{"ec2:DescribeSnapshots"}, []string{"iam:PassRole", "s3:GetObject", "ec2:DeleteSnapshot"}, ""},
		{"apply with roles and a lock", Input{Use: Apply, Roles: []string{"r"}, Lock: "s3://b/k"}, []string{"iam:PassRole", "s3:PutObject", "ec2:DeleteSnapshot", "ec2:CreateTags"}, nil, ""},
		{"apply without roles passes none", Input{Use: Apply}, []string{"ec2:RunInstances"}, []string{"iam:PassRole", "s3:PutObject"}, ""},
		{"a malformed lock", Input{Use: Apply, Lock: "s3://bucket"}, nil, nil, `lock "s3://bucket"`},
		{"an unknown use", Input{Use: "deploy"}, nil, nil, `no policy for "deploy"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Generate(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Generate = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := actionsOf(p)
			for _, a := range tc.has {
				if !slices.Contains(got, a) {
					t.Errorf("lacks %s: %v", a, got)
				}
			}
			for _, a := range tc.hasNot {
				if slices.Contains(got, a) {
					t.Errorf("grants %s", a)
				}
			}
		})
	}
}

// The JSON reads back as the policy it came from, and the same input gives the same bytes.
func TestJSONRoundTrip(t *testing.T) {
	p, err := Generate(Input{Use: Apply, Roles: []string{"b", "a"}, Lock: "s3://b/k"})
	if err != nil {
		t.Fatal(err)
	}
	data := p.JSON()
	again, _ := Generate(Input{Use: Apply, Roles: []string{"a", "b"}, Lock: "s3://b/k"})
	if string(again.JSON()) != string(data) {
		t.Errorf("the order of the roles changes the policy")
	}
	var back struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Version != "2012-10-17" || len(back.Statement) != len(p.Statement) {
		t.Fatalf("read back %d statements (version %q), want %d", len(back.Statement), back.Version, len(p.Statement))
	}
	for i, s := range back.Statement {
		if s["Sid"] != p.Statement[i].Sid {
			t.Errorf("statement %d: Sid %v, want %s", i, s["Sid"], p.Statement[i].Sid)
		}
		if _, ok := s["Condition"]; ok != (p.Statement[i].Condition != nil) {
			t.Errorf("statement %s: Condition present = %v", p.Statement[i].Sid, ok)
		}
	}
}
