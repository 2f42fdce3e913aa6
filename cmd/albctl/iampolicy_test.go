package main

import (
	"bufio"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/lock"
	"github.com/albctl/albctl/internal/mirror"
)

// The IAM policies (docs/iam-policy-*.json) and where they come from: docs/security.md,
// "IAM permissions".

// grant says which policy an interface's operations belong to.
type grant int

const (
	// grantRead: every method is a Describe/Get/List call; both policies grant them all.
	grantRead grant = iota
	// grantEngine: read-only methods go to both policies, the others to apply only.
	grantEngine
	// grantApply: only apply (and force-unlock, which needs the apply role) calls them.
	grantApply
	// grantNone: AWS authorizes the call without any policy (sts:GetCallerIdentity).
	grantNone
	// grantNotAWS: never handed a client for a real account by plan, apply, init or rehearse.
	grantNotAWS
)

// consumers lists every interface in the repository that an AWS SDK client is handed to, and
// what the policies grant for it. TestSDKInterfacesAreInTheIAMTable fails when an interface
// shaped like an SDK client is declared anywhere without being listed here, so a new client
// (or a new method on an old one) cannot reach AWS without a policy saying so.
var consumers = []struct {
	iface reflect.Type
	grant grant
	why   string
}{
	{typeOf[cloud.EC2](), grantEngine, "plan observes, apply acts (internal/engine)"},
	{typeOf[cloud.ELBV2](), grantEngine, "plan observes, apply acts (internal/engine)"},
	{typeOf[cloud.IAM](), grantEngine, "plan checks the instance profiles exist"},
	{typeOf[cloud.CloudWatch](), grantRead, "a rollout's gates read alarms and metrics (apply); plan -rehearse --cloud aws copies the alarms they watch"},
	{typeOf[cloud.RegionEC2](), grantRead, "plan/apply -rehearse --cloud aws and sim snapshot copy the region (mirror.Snapshot); albctl init reads it (internal/discover)"},
	{typeOf[cloud.RegionELBV2](), grantRead, "as RegionEC2"},
	{typeOf[cloud.RegionIAM](), grantRead, "as RegionEC2"},
	{typeOf[mirror.SnapshotSTS](), grantNone, "GetCallerIdentity needs no permission"},
	{typeOf[lock.S3API](), grantApply, "the apply lock (cloud { lock = \"s3://...\" }) and force-unlock"},
	{typeOf[mirror.SeedEC2](), grantNotAWS, "sim seed writes to an emulator; AWS itself only with --i-know-this-is-real-aws, under the user's own permissions"},
	{typeOf[mirror.SeedELBV2](), grantNotAWS, "as SeedEC2"},
	{typeOf[mirror.SeedIAM](), grantNotAWS, "as SeedEC2"},
}

// simulatorOwn are SDK-shaped interfaces declared only to check that the simulator serves the
// SDK's signatures, or for the conformance suite's endpoints; nothing hands them a client for
// a real account.
var simulatorOwn = []string{
	"internal/simulator.ec2Ops2", "internal/simulator.elbOps2", "internal/simulator.iamOps2",
	// The conformance suite's view of a cloud (internal/conformance): handed the simulator, moto
	// and sim serve by the tests, never a client for a real account.
	"internal/conformance.EC2", "internal/conformance.securityGroupReader", "internal/conformance.networkACLReader",
	"internal/conformance.lbAttributeReader", "internal/conformance.listenerReader",
}

func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

// iamPrefix maps an SDK service package to its prefix in IAM actions. A client of another
// service fails the test until it is here.
var iamPrefix = map[string]string{
	"github.com/aws/aws-sdk-go-v2/service/ec2":                    "ec2",
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2": "elasticloadbalancing",
	"github.com/aws/aws-sdk-go-v2/service/iam":                    "iam",
	"github.com/aws/aws-sdk-go-v2/service/sts":                    "sts",
	"github.com/aws/aws-sdk-go-v2/service/s3":                     "s3",
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch":             "cloudwatch",
}

// policyExtras are actions a policy needs that are not methods of the interfaces: RunInstances
// and CreateImage tag on create (ec2:CreateTags), and launching with an instance profile
// passes its role (iam:PassRole).
var policyExtras = map[string][]string{
	"apply": {"ec2:CreateTags", "iam:PassRole"},
}

func isReadOnly(op string) bool {
	return strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List")
}

// operations returns, as IAM actions, what each policy must grant.
func operations(t *testing.T) map[string][]string {
	t.Helper()
	want := map[string][]string{}
	for _, c := range consumers {
		if c.iface.Kind() != reflect.Interface || c.iface.NumMethod() == 0 {
			t.Fatalf("%s is not an interface with methods", c.iface)
		}
		for j := range c.iface.NumMethod() {
			m := c.iface.Method(j)
			if m.Type.NumIn() < 2 || m.Type.In(1).Kind() != reflect.Pointer {
				t.Fatalf("%s.%s is not shaped like an SDK client method", c.iface, m.Name)
			}
			prefix, ok := iamPrefix[m.Type.In(1).Elem().PkgPath()]
			if !ok {
				t.Fatalf("%s.%s: add the IAM prefix of %s to iamPrefix", c.iface, m.Name, m.Type.In(1).Elem().PkgPath())
			}
			op := prefix + ":" + m.Name
			switch {
			case c.grant == grantRead && !isReadOnly(m.Name):
				t.Errorf("%s is listed read-only but has %s", c.iface, m.Name)
			case c.grant == grantRead, c.grant == grantEngine && isReadOnly(m.Name):
				want["plan"] = append(want["plan"], op)
				want["apply"] = append(want["apply"], op)
			case c.grant == grantEngine, c.grant == grantApply:
				want["apply"] = append(want["apply"], op)
			}
		}
	}
	for p, extra := range policyExtras {
		want[p] = append(want[p], extra...)
	}
	for p := range want {
		slices.Sort(want[p])
		want[p] = slices.Compact(want[p])
	}
	return want
}

type policyStatement struct {
	Sid       string
	Effect    string
	Action    any // a string or a list
	Resource  any
	Condition map[string]map[string]any
}

// documentedInput is the spec docs/iam-policy-*.json are generated from.
var documentedInput = filepath.Join("..", "..", "examples", "iam")

// generated is what 'albctl iam-policy -for NAME' prints for the documented input.
func generated(t *testing.T, name string) []byte {
	t.Helper()
	out, code := runCLI(t, "iam-policy", "-for", name, documentedInput)
	if code != 0 {
		t.Fatalf("albctl iam-policy -for %s %s: exit %d", name, documentedInput, code)
	}
	return []byte(out)
}

// readPolicy decodes the policy the generator makes for the documented input: the
// statements these tests check are those of the command, and TestIAMPolicyDocsAreGenerated
// holds the docs to them.
func readPolicy(t *testing.T, name string) []policyStatement {
	t.Helper()
	var p struct {
		Version   string
		Statement []policyStatement
	}
	dec := json.NewDecoder(strings.NewReader(string(generated(t, name))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("iam-policy -for %s: %v", name, err)
	}
	if p.Version != "2012-10-17" {
		t.Errorf("iam-policy -for %s: Version %q, want 2012-10-17", name, p.Version)
	}
	return p.Statement
}

// docs/iam-policy-*.json are what albctl iam-policy prints for the documented input
// (examples/iam), byte for byte, so the docs and the generator cannot drift. -update
// rewrites them.
func TestIAMPolicyDocsAreGenerated(t *testing.T) {
	for _, name := range []string{"plan", "apply"} {
		path := filepath.Join("..", "..", "docs", "iam-policy-"+name+".json")
		got := generated(t, name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("docs/iam-policy-%s.json is not what albctl iam-policy -for %s examples/iam prints; run go test ./cmd/albctl -run TestIAMPolicyDocsAreGenerated -update\n%s", name, name, got)
		}
	}
}

func strs(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func policyActions(t *testing.T, name string) []string {
	t.Helper()
	var actions []string
	for _, s := range readPolicy(t, name) {
		if s.Effect == "Allow" {
			actions = append(actions, strs(s.Action)...)
		}
	}
	slices.Sort(actions)
	return slices.Compact(actions)
}

// The policies albctl iam-policy generates (and so docs/iam-policy-*.json) are exactly what
// the code can call: plan the read-only operations of every client plan, rehearse, snapshot
// and init use; apply those, the writes and the lock. A method added to any listed interface
// without the generator (internal/iampolicy) granting it fails here; so does an operation
// taken out of the generator, or one it grants that the code never calls.
func TestIAMPoliciesCoverEveryOperation(t *testing.T) {
	want := operations(t)
	for _, policy := range []string{"plan", "apply"} {
		got := policyActions(t, policy)
		for _, op := range want[policy] {
			if !slices.Contains(got, op) {
				t.Errorf("the generated %s policy (docs/iam-policy-%s.json) lacks %s, which albctl can call", policy, policy, op)
			}
		}
		for _, a := range got {
			if strings.Contains(a, "*") {
				t.Errorf("docs/iam-policy-%s.json grants a wildcard action %s: least privilege names each operation", policy, a)
			}
			if !slices.Contains(want[policy], a) {
				t.Errorf("docs/iam-policy-%s.json grants %s, which albctl never calls under that policy", policy, a)
			}
		}
	}
}

// The statements that limit what apply may touch keep their limits: albctl deletes only
// what it tagged (members, images, and the snapshots of its images), tags only what it
// creates, the snapshots of its images (with its own tag keys only) and its images rolled
// back, passes a role only to EC2 and only the instance profile's role, and touches only the
// lock object. Resources other than "*" are the placeholders or ARN patterns docs/security.md
// explains.
func TestIAMApplyPolicyConditions(t *testing.T) {
	security, err := os.ReadFile(filepath.Join("..", "..", "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	type limit struct{ op, key, resource string } // condition operator, key; resource
	want := map[string]map[string]limit{          // action -> Sid -> its limit
		"ec2:TerminateInstances": {"AlbctlTerminateOnlyItsOwnMembers": {"Null", "aws:ResourceTag/albctl:fleet", "*"}},
		"ec2:DeregisterImage":    {"AlbctlDeregisterOnlyItsOwnImages": {"Null", "aws:ResourceTag/albctl:stack", "*"}},
		"ec2:DeleteSnapshot":     {"AlbctlDeleteOnlyItsOwnSnapshots": {"Null", "aws:ResourceTag/albctl:stack", "*"}},
		"ec2:CreateTags": {
			"AlbctlTagWhatItCreates":           {"StringEquals", "ec2:CreateAction", "*"},
			"AlbctlTagTheSnapshotsOfItsImages": {"ForAllValues:StringEquals", "aws:TagKeys", "arn:aws:ec2:*::snapshot/*"},
			"AlbctlMarkItsImagesRolledBack":    {"Null", "aws:ResourceTag/albctl:stack", "arn:aws:ec2:*::image/*"},
		},
		"iam:PassRole":    {"AlbctlPassOnlyTheInstanceProfileRoleToEC2": {"StringEquals", "iam:PassedToService", "arn:aws:iam::123456789012:role/ROLE_OF_INSTANCE_PROFILE"}},
		"s3:GetObject":    {"AlbctlApplyLockObject": {"", "", "arn:aws:s3:::LOCK_BUCKET/LOCK_KEY"}},
		"s3:PutObject":    {"AlbctlApplyLockObject": {"", "", "arn:aws:s3:::LOCK_BUCKET/LOCK_KEY"}},
		"s3:DeleteObject": {"AlbctlApplyLockObject": {"", "", "arn:aws:s3:::LOCK_BUCKET/LOCK_KEY"}},
	}
	seen := map[string]bool{}
	for _, s := range readPolicy(t, "apply") {
		res := strs(s.Resource)
		for _, a := range strs(s.Action) {
			lims, limited := want[a]
			if !limited {
				if !slices.Equal(res, []string{"*"}) || len(s.Condition) > 0 {
					t.Errorf("apply policy statement %s: %s on %v with %v: only the actions of want are limited", s.Sid, a, res, s.Condition)
				}
				continue
			}
			l, ok := lims[s.Sid]
			if !ok {
				t.Errorf("apply policy grants %s in statement %s, which is not one of its limited statements", a, s.Sid)
				continue
			}
			seen[a+" "+s.Sid] = true
			if l.op != "" {
				if _, ok := s.Condition[l.op][l.key]; !ok {
					t.Errorf("apply policy statement %s grants %s without the condition %s %s", s.Sid, a, l.op, l.key)
				}
			}
			if !slices.Equal(res, []string{l.resource}) {
				t.Errorf("apply policy statement %s grants %s on %v, want only %s", s.Sid, a, res, l.resource)
			}
			if l.resource != "*" && !strings.Contains(string(security), l.resource) {
				t.Errorf("docs/security.md does not explain the resource %s", l.resource)
			}
			if !strings.Contains(string(security), "`"+s.Sid+"`") {
				t.Errorf("docs/security.md does not explain the statement %s", s.Sid)
			}
		}
	}
	for a, lims := range want {
		for sid := range lims {
			if !seen[a+" "+sid] {
				t.Errorf("apply policy: no statement %s granting %s", sid, a)
			}
		}
	}
}

// The snapshot statement lets albctl write exactly the tags it gives the images it bakes
// (read from the create_image step of a plan of examples/blog), which apply gives their
// snapshots, and the rolled-back statement only that tag: a key added to either fails here
// until the policy allows it.
func TestIAMTagStatementsAllowExactlyAlbctlsKeys(t *testing.T) {
	out, code := runCLI(t, "plan", "-json", filepath.Join("..", "..", "examples", "blog"))
	if code != 0 && code != 2 {
		t.Fatalf("plan -json examples/blog: exit %d", code)
	}
	var doc struct {
		Steps []struct {
			Kind  string
			Image *struct{ Tags map[string]string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var imageKeys []string
	for _, s := range doc.Steps {
		if s.Kind == "create_image" && s.Image != nil {
			for k := range s.Image.Tags {
				imageKeys = append(imageKeys, k)
			}
		}
	}
	if len(imageKeys) == 0 {
		t.Fatal("the plan of examples/blog bakes no image: the test checks nothing")
	}
	slices.Sort(imageKeys)
	keys := map[string][]string{
		"AlbctlTagTheSnapshotsOfItsImages": imageKeys,
		"AlbctlMarkItsImagesRolledBack":    {cloud.TagRolledBack},
	}
	for _, s := range readPolicy(t, "apply") {
		want, ok := keys[s.Sid]
		if !ok {
			continue
		}
		delete(keys, s.Sid)
		if got := strs(s.Condition["ForAllValues:StringEquals"]["aws:TagKeys"]); !slices.Equal(got, want) {
			t.Errorf("%s allows the tag keys %v, want %v", s.Sid, got, want)
		}
	}
	for sid := range keys {
		t.Errorf("apply policy has no statement %s", sid)
	}
}

// Every interface in the repository with a method shaped like an AWS SDK client's (its input
// a *pkg.XInput of a service package) is in consumers or is one of the simulator's own
// checks: a client handed to an unlisted interface would call AWS with no policy granting it.
func TestSDKInterfacesAreInTheIAMTable(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range consumers {
		pkg := strings.TrimPrefix(c.iface.PkgPath(), "github.com/albctl/albctl/")
		if pkg == "main" {
			pkg = "cmd/albctl"
		}
		listed[pkg+"."+c.iface.Name()] = true
	}
	for _, s := range simulatorOwn {
		listed[s] = true
	}
	found := map[string]bool{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, name := range sdkInterfaces(t, path) {
			found[filepath.ToSlash(rel)+"."+name] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range found {
		if !listed[name] {
			t.Errorf("%s is shaped like an AWS SDK client: list it in consumers (iampolicy_test.go) with the policy that grants its operations", name)
		}
	}
	for name := range listed {
		if !found[name] {
			t.Errorf("consumers/simulatorOwn lists %s, which the scan did not find: is the scan broken?", name)
		}
	}
}

// sdkInterfaces returns the names of the interface types declared in file whose methods take
// a *X.YInput, X an import of an AWS SDK service package.
func sdkInterfaces(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	services := map[string]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !strings.HasPrefix(p, "github.com/aws/aws-sdk-go-v2/service/") {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		services[name] = true
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Assign.IsValid() {
			return true
		}
		it, ok := ts.Type.(*ast.InterfaceType)
		if !ok {
			return true
		}
		for _, m := range it.Methods.List {
			ft, ok := m.Type.(*ast.FuncType)
			if !ok {
				continue
			}
			for _, p := range ft.Params.List {
				star, ok := p.Type.(*ast.StarExpr)
				if !ok {
					continue
				}
				if sel, ok := star.X.(*ast.SelectorExpr); ok && strings.HasSuffix(sel.Sel.Name, "Input") {
					if id, ok := sel.X.(*ast.Ident); ok && services[id.Name] {
						names = append(names, ts.Name.Name)
						return true
					}
				}
			}
		}
		return true
	})
	return names
}

// parliamentFinding is one line of `parliament --json`.
type parliamentFinding struct {
	Issue    string
	Severity string
}

// The policies pass parliament (a policy linter, installed into .venv by scripts/moto.sh)
// with nothing above LOW, except the findings docs/security.md justifies in its table.
// Without parliament the test skips, but fails under CI=true, where scripts/test.sh installs it.
func TestIAMPoliciesPassParliament(t *testing.T) {
	bin, err := filepath.Abs(filepath.Join("..", "..", ".venv", "bin", "parliament"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("parliament is not installed in .venv (CI=true: scripts/test.sh must install it): %v", err)
		}
		t.Skipf("parliament is not installed in .venv (scripts/test.sh installs it): %v", err)
	}
	justified := justifiedFindings(t)
	for _, policy := range []string{"plan", "apply"} {
		data := generated(t, policy)
		// --string, not --file: parliament refuses --file when stdin is not a terminal.
		// The community auditors include the privilege-escalation check issue 18 quoted.
		cmd := exec.Command(bin, "--string", string(data), "--json", "--include-community-auditors")
		out, err := cmd.Output()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("parliament: %v", err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			var f parliamentFinding
			if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
				t.Fatalf("parliament output %q: %v", sc.Text(), err)
			}
			if _, ok := justified[policy+" "+f.Issue]; ok {
				justified[policy+" "+f.Issue] = true
				continue
			}
			if f.Severity == "LOW" || f.Severity == "INFO" {
				continue
			}
			t.Errorf("parliament rates the generated %s policy (docs/iam-policy-%s.json) %s: %s; fix the policy or justify it in docs/security.md", policy, policy, f.Severity, sc.Text())
		}
		if ee, ok := err.(*exec.ExitError); ok && len(out) == 0 {
			t.Fatalf("parliament failed without findings: %v: %s", err, ee.Stderr)
		}
	}
	for k, seen := range justified {
		if !seen {
			t.Errorf("docs/security.md justifies the parliament finding %q, which parliament no longer reports: remove the row", k)
		}
	}
}

// justifiedFindings reads docs/security.md's table of accepted parliament findings: rows
// "| policy | ISSUE | why |" after the line "<!-- parliament-justified -->". The values say
// whether parliament reported the finding; a row it no longer reports is stale.
func justifiedFindings(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "<!-- parliament-justified -->")
	if !ok {
		t.Fatal("docs/security.md has no <!-- parliament-justified --> table")
	}
	out := map[string]bool{}
	for _, line := range strings.Split(strings.TrimLeft(table, "\n"), "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 3 || strings.HasPrefix(strings.TrimSpace(cells[0]), "-") || strings.TrimSpace(cells[0]) == "Policy" {
			continue
		}
		if strings.TrimSpace(cells[2]) == "" {
			t.Errorf("docs/security.md justifies %s without a reason", line)
		}
		out[strings.TrimSpace(cells[0])+" "+strings.TrimSpace(cells[1])] = false // not seen yet
	}
	if len(out) == 0 {
		t.Fatal("docs/security.md: the <!-- parliament-justified --> table has no rows, or is not right after the marker")
	}
	return out
}
