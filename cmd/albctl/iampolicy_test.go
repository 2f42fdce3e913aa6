package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
)

// iamPrefix maps each field of cloud.API — one SDK-shaped interface per AWS service — to the
// service's prefix in IAM actions. A new service in cloud.API fails the test until it is here.
var iamPrefix = map[string]string{
	"EC2":   "ec2",
	"ELBV2": "elasticloadbalancing",
	"IAM":   "iam",
	"CW":    "cloudwatch",
}

// policyExtras are actions a policy needs that are not methods of the interfaces: RunInstances
// and CreateImage tag on create (ec2:CreateTags), and launching with an instance profile
// passes its role (iam:PassRole).
var policyExtras = map[string][]string{
	"apply": {"ec2:CreateTags", "iam:PassRole"},
}

// apiOperations returns every operation albctl's code can call, as IAM actions, from the
// method sets of the interfaces in cloud.API. readOnly keeps Describe*, Get* and List*.
func apiOperations(t *testing.T, readOnly bool) []string {
	t.Helper()
	var ops []string
	api := reflect.TypeOf(cloud.API{})
	for i := range api.NumField() {
		f := api.Field(i)
		prefix, ok := iamPrefix[f.Name]
		if !ok {
			t.Fatalf("cloud.API.%s: add its IAM service prefix to iamPrefix", f.Name)
		}
		if f.Type.Kind() != reflect.Interface {
			t.Fatalf("cloud.API.%s is not an interface", f.Name)
		}
		for j := range f.Type.NumMethod() {
			name := f.Type.Method(j).Name
			if readOnly && !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "Get") && !strings.HasPrefix(name, "List") {
				continue
			}
			ops = append(ops, prefix+":"+name)
		}
	}
	slices.Sort(ops)
	return ops
}

// initOperations are the calls of albctl init's read-only clients (init.go), as IAM actions.
func initOperations() []string {
	var ops []string
	for _, c := range []struct {
		prefix string
		iface  reflect.Type
	}{
		{"ec2", reflect.TypeOf((*initEC2)(nil)).Elem()},
		{"elasticloadbalancing", reflect.TypeOf((*initELBV2)(nil)).Elem()},
	} {
		for j := range c.iface.NumMethod() {
			ops = append(ops, c.prefix+":"+c.iface.Method(j).Name)
		}
	}
	return ops
}

type policyDoc struct {
	Version   string
	Statement []struct {
		Effect string
		Action any // a string or a list
	}
}

func policyActions(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "iam-policy-"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var p policyDoc
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("docs/iam-policy-%s.json: %v", name, err)
	}
	if p.Version != "2012-10-17" {
		t.Errorf("docs/iam-policy-%s.json: Version %q, want 2012-10-17", name, p.Version)
	}
	var actions []string
	for _, s := range p.Statement {
		if s.Effect != "Allow" {
			continue
		}
		switch a := s.Action.(type) {
		case string:
			actions = append(actions, a)
		case []any:
			for _, x := range a {
				actions = append(actions, x.(string))
			}
		}
	}
	slices.Sort(actions)
	return slices.Compact(actions)
}

// The documented IAM policies are exactly what the code can call: plan only the read-only
// operations, apply every operation. Adding a method to a cloud interface without adding it
// to the policy fails here; so does a policy that grants more than the code uses.
func TestIAMPoliciesCoverEveryOperation(t *testing.T) {
	for _, c := range []struct {
		policy   string
		readOnly bool
	}{
		{"plan", true},
		{"apply", false},
	} {
		want := append(apiOperations(t, c.readOnly), policyExtras[c.policy]...)
		want = append(want, initOperations()...) // init is read-only: in both policies
		want = slices.Compact(slices.Sorted(slices.Values(want)))
		slices.Sort(want)
		got := policyActions(t, c.policy)
		for _, op := range want {
			if !slices.Contains(got, op) {
				t.Errorf("docs/iam-policy-%s.json lacks %s, which albctl %s can call", c.policy, op, c.policy)
			}
		}
		for _, a := range got {
			if strings.Contains(a, "*") {
				t.Errorf("docs/iam-policy-%s.json grants a wildcard action %s: least privilege names each operation", c.policy, a)
			}
			if !slices.Contains(want, a) {
				t.Errorf("docs/iam-policy-%s.json grants %s, which albctl %s never calls", c.policy, a, c.policy)
			}
		}
	}
}
