package backend

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// Every test here runs with a Net of its own (internal/testkit's resolver and counting dial
// hook): a resolver that knows only localhost (or the names a test gives it), and a dial hook
// that counts connections and refuses any to an address off this machine, so no test reaches
// the network, and that is checked, not hoped.

// netOf is the Net that resolves and dials through c.
func netOf(c *testkit.NetCount) Net { return Net{LookupIP: c.LookupIP, DialHook: c.DialHook} }

// DNS rebinding: a name that resolves to this machine when the request is checked and to
// another address when the connection is made gets no connection to the other address,
// whichever setting named it. The first round, with a resolver that always answers
// loopback, proves the requests do go through this dialer to the listener.
func TestDNSRebindingIsRefusedAtTheDial(t *testing.T) {
	srv, got := testkit.Listener(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	endpoint := "http://rebind.test:" + port
	const elsewhere = "192.0.2.66"
	cases := []struct {
		name  string
		setup func(t *testing.T) (Target, *specs.Stack)
	}{
		{"--endpoint", func(t *testing.T) (Target, *specs.Stack) { return Target{Endpoint: endpoint}, nil }},
		{"AWS_ENDPOINT_URL", func(t *testing.T) (Target, *specs.Stack) {
			t.Setenv("AWS_ENDPOINT_URL", endpoint)
			return Target{}, nil
		}},
		{"AWS_ENDPOINT_URL_EC2", func(t *testing.T) (Target, *specs.Stack) {
			t.Setenv("AWS_ENDPOINT_URL_EC2", endpoint)
			return Target{}, nil
		}},
		{"shared config endpoint_url", func(t *testing.T) (Target, *specs.Stack) {
			os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[default]\nendpoint_url = "+endpoint+"\n"), 0o600)
			return Target{}, nil
		}},
		{"shared config services", func(t *testing.T) (Target, *specs.Stack) {
			os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[default]\nservices = local\n\n[services local]\nec2 =\n  endpoint_url = "+endpoint+"\n"), 0o600)
			return Target{}, nil
		}},
		{"spec endpoint", func(t *testing.T) (Target, *specs.Stack) {
			return Target{}, &specs.Stack{Cloud: specs.Cloud{Target: "aws", Endpoint: endpoint}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ClearAWSEnv(t)
			ctx := context.Background()
			armedAt := 0 // lookups made before the resolver started to alternate; 0: not yet
			count := testkit.CountNet(func(host string, n int) ([]net.IP, error) {
				if host != "rebind.test" {
					return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
				}
				if armedAt > 0 && (n-armedAt)%2 == 0 {
					return []net.IP{net.ParseIP(elsewhere)}, nil
				}
				return []net.IP{net.IPv4(127, 0, 0, 1)}, nil
			})
			flags, stack := tc.setup(t)
			flags.MaxAttempts = 1
			call := func(arm bool) error {
				cfg, _, err := netOf(count).loadConfig(ctx, flags, stack, false)
				if err != nil {
					t.Fatal(err)
				}
				if creds, err := cfg.Credentials.Retrieve(ctx); err != nil || creds.AccessKeyID != "testing" {
					t.Fatalf("credentials %q (%v), want placeholders for an endpoint on this machine", creds.AccessKeyID, err)
				}
				if arm {
					lookups, _, _ := count.Snapshot()
					armedAt = len(lookups)
				}
				_, err = ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
				return err
			}
			before := got.Load()
			if err := call(false); err == nil || got.Load() == before {
				t.Fatalf("with a stable resolver the request did not reach the listener (%v)", err)
			}
			// Now the resolver alternates: loopback when the request is checked, elsewhere
			// when the connection is made.
			before = got.Load()
			lookupsBefore, _, _ := count.Snapshot()
			err := call(true)
			lookups, _, outbound := count.Snapshot()
			if len(outbound) > 0 {
				t.Fatalf("albctl dialled %v", outbound)
			}
			if got.Load() != before {
				t.Errorf("a request reached the listener though the name resolved elsewhere when dialled")
			}
			if err == nil || !strings.Contains(err.Error(), "refusing to connect to rebind.test: it resolves to "+elsewhere) {
				t.Errorf("error %v, want the dialer's refusal", err)
			}
			if len(lookups)-armedAt < 2 {
				t.Errorf("lookups %v: the check and the dial did not both resolve", lookups[len(lookupsBefore):])
			}
		})
	}
}

// With an endpoint on this machine named by a per-service variable or the shared config,
// nothing asks the instance metadata service for the real credentials: the SDK's client is
// off, and the dialer refuses its addresses whichever client asks.
func TestNoMetadataServiceWithALocalEndpoint(t *testing.T) {
	srv, _ := testkit.Listener(t)
	cases := []struct {
		name    string
		setup   func(t *testing.T)
		profile string
	}{
		{"AWS_ENDPOINT_URL_EC2", func(t *testing.T) { t.Setenv("AWS_ENDPOINT_URL_EC2", srv.URL) }, ""},
		{"shared config services", func(t *testing.T) {
			os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[default]\nservices = local\n\n[services local]\nec2 =\n  endpoint_url = "+srv.URL+"\n"), 0o600)
		}, ""},
		// A profile without credentials: no placeholders, so the SDK's chain runs to its end.
		{"profile without credentials", func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", srv.URL)
			os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile bare]\nregion = ap-northeast-1\n"), 0o600)
		}, "bare"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ClearAWSEnv(t)
			tc.setup(t)
			ctx := context.Background()
			count := testkit.CountNet(nil)
			cfg, _, err := netOf(count).loadConfig(ctx, Target{Profile: tc.profile, MaxAttempts: 1}, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			creds, credErr := cfg.Credentials.Retrieve(ctx)
			if tc.profile == "" && (credErr != nil || creds.AccessKeyID != "testing") {
				t.Errorf("credentials %q (%v), want placeholders", creds.AccessKeyID, credErr)
			}
			ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			// The metadata client itself, given albctl's HTTP client, cannot connect either.
			_, imdsErr := imds.New(imds.Options{HTTPClient: cfg.HTTPClient, Retryer: aws.NopRetryer{}}).GetMetadata(ctx, &imds.GetMetadataInput{Path: "iam/security-credentials/"})
			if imdsErr == nil {
				t.Error("the metadata service answered")
			}
			_, dials, outbound := count.Snapshot()
			if len(outbound) > 0 {
				t.Errorf("dialled %v", outbound)
			}
			for _, d := range dials {
				host, _, _ := net.SplitHostPort(d)
				if ip := net.ParseIP(host); ip != nil && isMetadataIP(ip) {
					t.Errorf("dialled the metadata service at %s", d)
				}
			}
		})
	}
	// Against AWS itself the metadata service stays available (an instance role is a normal
	// way to run albctl): the policy lets its requests through.
	p := newEndpointPolicy(Net{LookupIP: testkit.LocalhostOnly}, nil, true)
	for _, raw := range []string{"http://169.254.169.254/latest/api/token", "http://[fd00:ec2::254]/latest/api/token"} {
		u, _ := url.Parse(raw)
		if err := p.check(context.Background(), u); err != nil {
			t.Errorf("%s with AWS itself: %v", raw, err)
		}
		if err := newEndpointPolicy(Net{LookupIP: testkit.LocalhostOnly}, nil, false).check(context.Background(), u); err == nil {
			t.Errorf("%s with a local endpoint: allowed", raw)
		}
	}
}

// What the dialer lets through, address by address: AWS's hosts, https endpoints the
// operator named and the operator's proxies wherever they resolve; anything else only on
// loopback; the metadata services only when they are allowed. "Let through" means the dial
// hook saw the address (and, being a test, refused to connect).
func TestDialPolicy(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://corp-proxy.example:3128")
	names := map[string]string{
		"ec2.us-east-1.amazonaws.com": "192.0.2.1", "proxy.example": "192.0.2.2", "corp-proxy.example": "192.0.2.3",
		"other.example": "192.0.2.4", "moto.localhost": "127.0.0.1", "imds.example": "169.254.169.254",
	}
	count := testkit.CountNet(func(host string, _ int) ([]net.IP, error) {
		if a, ok := names[host]; ok {
			return []net.IP{net.ParseIP(a)}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	})
	d := &net.Dialer{}
	for _, tc := range []struct {
		addr     string
		metadata bool
		through  bool
	}{
		{"ec2.us-east-1.amazonaws.com:443", false, true},
		{"proxy.example:443", false, true},
		{"proxy.example:8443", false, false}, // named with its default port only
		{"corp-proxy.example:3128", false, true},
		{"other.example:443", false, false},
		{"192.0.2.9:443", false, false},
		{"169.254.169.254:80", false, false},
		{"[fd00:ec2::254]:80", false, false},
		{"169.254.170.2:80", false, false},
		{"169.254.169.254:80", true, true},
		{"imds.example:80", true, false}, // a name is not the metadata service
	} {
		p := newEndpointPolicy(netOf(count), []string{"https://proxy.example"}, tc.metadata)
		_, _, before := count.Snapshot()
		_, err := p.dial(context.Background(), d, "tcp", tc.addr)
		_, _, after := count.Snapshot()
		if through := len(after) > len(before); through != tc.through {
			t.Errorf("%s (metadata %v): let through %v, want %v (%v)", tc.addr, tc.metadata, through, tc.through, err)
		}
	}
	// A loopback name is dialled at its loopback address; the hook lets it through.
	p := newEndpointPolicy(netOf(count), nil, false)
	if _, err := p.dial(context.Background(), d, "tcp", "moto.localhost:1"); err == nil || strings.Contains(err.Error(), "refusing") {
		t.Errorf("moto.localhost:1: %v, want a plain connection error from the closed port", err)
	}
	if _, dials, _ := count.Snapshot(); !slices.Contains(dials, "127.0.0.1:1") {
		t.Errorf("dials %v lack 127.0.0.1:1", dials)
	}
}

// The container credential provider connects through albctl's dialer too (the SDK does not
// give it the configuration's client by itself), so the dialer's refusal of the metadata and
// container credential addresses holds for it: its request to a listener on this machine is
// seen by the dial hook.
func TestContainerCredentialsGoThroughTheDialer(t *testing.T) {
	testkit.ClearAWSEnv(t)
	srv, got := testkit.Listener(t)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/creds")
	count := testkit.CountNet(nil)
	cfg, _, err := netOf(count).loadConfig(context.Background(), Target{Cloud: "aws", MaxAttempts: 1}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Credentials.Retrieve(context.Background()); err == nil {
		t.Error("the listener's 500 gave credentials")
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	if _, dials, _ := count.Snapshot(); !slices.Contains(dials, host) || got.Load() == 0 {
		t.Errorf("the container credential request did not go through the dialer: dials %v, requests %d", dials, got.Load())
	}
}

// A custom CA bundle (AWS_CA_BUNDLE, as behind a company's TLS proxy) is added by the SDK to
// the guarded client's transport: the SDK accepts only its own BuildableClient for that, and
// with any other client type every command failed to load its configuration. The request
// reaches an HTTPS listener whose certificate only the bundle trusts, through the guard.
func TestCustomCABundleKeepsTheGuard(t *testing.T) {
	testkit.ClearAWSEnv(t)
	var n atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "not an AWS endpoint", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	count := testkit.CountNet(nil)
	o := &Opener{Net: netOf(count)}
	if _, err := o.Open(context.Background(), Target{Cloud: "aws", Endpoint: srv.URL, MaxAttempts: 1}, nil, false); err != nil {
		t.Fatal(err)
	}
	if n.Load() == 0 {
		t.Error("no request reached the listener: the CA bundle was not trusted")
	}
	if _, dials, out := count.Snapshot(); len(dials) == 0 || len(out) > 0 {
		t.Errorf("dials %v (outbound %v): the requests must go through the guarded dialer", dials, out)
	}
}
