package backend

import (
	"context"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// fakeDNS models a resolver for the endpoint tests: no test asks a real one.
func fakeDNS(names map[string]string) func(context.Context, string) ([]net.IP, error) {
	return func(_ context.Context, host string) ([]net.IP, error) {
		if a, ok := names[host]; ok {
			return []net.IP{net.ParseIP(a)}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
}

func TestEndpointRules(t *testing.T) {
	testkit.ClearAWSEnv(t)
	n := netOf(testkit.CountNet(nil))
	ctx := context.Background()
	stack := func(ep string) *specs.Stack { return &specs.Stack{Cloud: specs.Cloud{Target: "aws", Endpoint: ep}} }

	// The flag naming the same endpoint is the user's consent (https only).
	if _, _, err := n.loadConfig(ctx, Target{Endpoint: "https://aws-proxy.corp.example"}, stack("https://aws-proxy.corp.example"), false); err != nil {
		t.Errorf("flag naming the spec's endpoint: %v", err)
	}
	// Plain HTTP off this machine is refused, whoever names it.
	if _, _, err := n.loadConfig(ctx, Target{Endpoint: "http://aws-proxy.corp.example"}, nil, false); err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Errorf("http flag endpoint: %v", err)
	}
	t.Setenv("AWS_ENDPOINT_URL_EC2", "http://10.0.0.5:4566")
	if _, _, err := n.loadConfig(ctx, Target{}, nil, false); err == nil || !strings.Contains(err.Error(), "plain HTTP endpoint http://10.0.0.5:4566") {
		t.Errorf("http env endpoint: %v", err)
	}
	os.Unsetenv("AWS_ENDPOINT_URL_EC2")
	// Shared-config [services] endpoints count too.
	cfgFile := os.Getenv("AWS_CONFIG_FILE")
	os.WriteFile(cfgFile, []byte("[default]\nservices = local\n\n[services local]\nec2 =\n  endpoint_url = http://192.0.2.10:5000\n"), 0o600)
	if _, _, err := n.loadConfig(ctx, Target{}, nil, false); err == nil || !strings.Contains(err.Error(), "192.0.2.10") {
		t.Errorf("shared config endpoint: %v", err)
	}
	os.WriteFile(cfgFile, nil, 0o600)

	// A spec endpoint on this machine gets placeholder credentials, never the user's, and no
	// metadata service.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
	cfg, _, err := n.loadConfig(ctx, Target{}, stack("http://localhost:5000"), false)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "testing" {
		t.Errorf("spec endpoint got credentials %q (%v), want placeholders", creds.AccessKeyID, err)
	}
	// A loopback --endpoint without credentials: placeholders, not IMDS.
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	cfg, _, err = n.loadConfig(ctx, Target{Endpoint: "http://127.0.0.1:1"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if creds, err := cfg.Credentials.Retrieve(ctx); err != nil || creds.AccessKeyID != "testing" {
		t.Errorf("loopback endpoint got %q (%v), want placeholders", creds.AccessKeyID, err)
	}

	// Every request is checked before it is sent.
	p := newEndpointPolicy(n, []string{"https://aws-proxy.corp.example"}, false)
	for raw, ok := range map[string]bool{
		"https://ec2.ap-northeast-1.amazonaws.com/": true,
		"https://aws-proxy.corp.example/":           true,
		"http://127.0.0.1:5000/":                    true,
		"http://moto.localhost:5000/":               true,
		"http://ec2.ap-northeast-1.amazonaws.com/":  false,
		"https://collector.example.com/":            false,
		"http://aws-proxy.corp.example/":            false,
	} {
		u, _ := url.Parse(raw)
		if err := p.check(ctx, u); (err == nil) != ok {
			t.Errorf("%s: %v, want allowed=%v", raw, err, ok)
		}
	}
}

// Credentials inside an endpoint URL are never printed or saved.
func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://alice:s3cr3t@127.0.0.1:1/?X-Amz-Security-Token=tok": "http://REDACTED@127.0.0.1:1/?REDACTED",
		"https://ec2.us-east-1.amazonaws.com":                       "https://ec2.us-east-1.amazonaws.com",
		"http://bob@[::1%25zone":                                    "REDACTED@[::1%25zone",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsLocalEndpoint(t *testing.T) {
	t.Parallel() // no package-level state: the resolver is this test's own
	n := Net{LookupIP: fakeDNS(map[string]string{"localhost": "127.0.0.1", "moto.localhost": "127.0.0.1", "evil.localhost": "203.0.113.5", "localhost.example.com": "203.0.113.6"})}
	for _, tc := range []struct {
		endpoint string
		local    bool
	}{
		{"http://localhost:5000", true},
		{"http://LOCALHOST:5000/", true},
		{"http://moto.localhost:5000", true},
		{"http://evil.localhost:5000", false}, // resolved, not trusted by name
		{"http://127.0.0.1:5000", true},
		{"http://127.1.2.3", true},
		{"https://[::1]:4566", true},
		{"http://[::ffff:127.0.0.1]:5000", true},
		{"", false},
		{"localhost:5000", false}, // no scheme: not a URL the SDK can use
		{"ftp://localhost", false},
		{"https://ec2.ap-northeast-1.amazonaws.com", false},
		{"http://localhost.example.com", false},
		{"http://192.168.1.10:5000", false},
		{"http://0.0.0.0:5000", false},
	} {
		if got := n.IsLocal(context.Background(), tc.endpoint); got != tc.local {
			t.Errorf("isLocalEndpoint(%q) = %v, want %v", tc.endpoint, got, tc.local)
		}
	}
}

func TestCheckSeedTarget(t *testing.T) {
	t.Parallel() // no package-level state: the resolver is this test's own
	ctx := context.Background()
	n := Net{LookupIP: testkit.LocalhostOnly}
	if err := n.CheckSeedTarget(ctx, "", nil, false); err == nil {
		t.Error("no endpoint (AWS itself) was accepted without --i-know-this-is-real-aws")
	}
	if err := n.CheckSeedTarget(ctx, "https://elasticloadbalancing.us-east-1.amazonaws.com", nil, false); err == nil {
		t.Error("a remote endpoint was accepted without --i-know-this-is-real-aws")
	}
	if err := n.CheckSeedTarget(ctx, "", nil, true); err != nil {
		t.Errorf("--i-know-this-is-real-aws: %v", err)
	}
	if err := n.CheckSeedTarget(ctx, "http://127.0.0.1:5000", nil, false); err != nil {
		t.Errorf("local endpoint: %v", err)
	}
	if err := n.CheckSeedTarget(ctx, "http://127.0.0.1:5000", []string{"https://iam.amazonaws.com"}, false); err == nil {
		t.Error("a remote configured endpoint was accepted")
	}
}

// Where a command acts is what the operator's flags, environment, shared config
// and spec resolve to, worked out without a DNS query or a connection; the same settings
// given again compare equal, and any difference is named.
func TestResolve(t *testing.T) {
	ctx := context.Background()
	spec := func(region, profile, endpoint string) *specs.Stack {
		return &specs.Stack{Cloud: specs.Cloud{Target: "aws", Region: region, Profile: profile, Endpoint: endpoint}}
	}
	tests := []struct {
		name  string
		env   map[string]string
		cfg   string
		flags Target
		stack *specs.Stack
		want  Where
	}{
		{"flags", nil, "[profile ops]\n", Target{Cloud: "aws", Region: "eu-west-1", Profile: "ops", Endpoint: "https://u:p@proxy.example:8443"}, nil,
			Where{Kind: "aws", Region: "eu-west-1", Profile: "ops", Endpoint: "https://REDACTED@proxy.example:8443"}},
		{"environment", map[string]string{"AWS_REGION": "us-east-2", "AWS_PROFILE": "ci", "AWS_ENDPOINT_URL": "http://localhost:4566"}, "[profile ci]\n", Target{Cloud: "aws"}, nil,
			Where{Kind: "aws", Region: "us-east-2", Profile: "ci", Endpoint: "http://localhost:4566"}},
		{"shared config", nil, "[profile moto]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:5000\n", Target{Cloud: "aws", Profile: "moto"}, nil,
			Where{Kind: "aws", Region: "ap-south-1", Profile: "moto", Endpoint: "http://127.0.0.1:5000"}},
		{"spec", nil, "[profile blog]\n", Target{}, spec("ap-northeast-1", "blog", "http://localhost:5000"),
			Where{Kind: "aws", Region: "ap-northeast-1", Profile: "blog", Endpoint: "http://localhost:5000"}},
		{"flags over spec", nil, "", Target{Region: "us-west-2", Endpoint: "https://proxy.example"}, spec("ap-northeast-1", "", "http://localhost:5000"),
			Where{Kind: "aws", Region: "us-west-2", Profile: "default", Endpoint: "https://proxy.example"}},
		{"simulator", nil, "", Target{World: "w.json"}, nil, Where{Kind: "sim", World: "W"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ClearAWSEnv(t)
			os.Unsetenv("AWS_REGION")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(tc.cfg), 0o600)
			t.Chdir(t.TempDir())
			if tc.want.World == "W" {
				os.WriteFile("w.json", nil, 0o600)
				tc.want.World, _ = WorldIdentity("w.json")
			}
			count := testkit.CountNet(nil)
			got, err := Resolve(ctx, tc.flags, tc.stack)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
			if d := diffWhere(tc.want, got); len(d) > 0 {
				t.Errorf("the same settings differ: %v", d)
			}
			if lookups, dials, _ := count.Snapshot(); len(lookups)+len(dials) > 0 {
				t.Errorf("looked up %v, dialled %v", lookups, dials)
			}
			other := got
			other.Endpoint, other.Region = "https://elsewhere.example", "sa-east-1"
			if d := diffWhere(other, got); len(d) != 2 {
				t.Errorf("diff of two fields: %v", d)
			}
		})
	}
}

// diffWhere names the fields in which two targets differ.
func diffWhere(a, b Where) []string {
	var out []string
	for _, f := range []struct{ name, x, y string }{{"kind", a.Kind, b.Kind}, {"world", a.World, b.World}, {"region", a.Region, b.Region}, {"profile", a.Profile, b.Profile}, {"endpoint", a.Endpoint, b.Endpoint}} {
		if f.x != f.y {
			out = append(out, f.name)
		}
	}
	return out
}
