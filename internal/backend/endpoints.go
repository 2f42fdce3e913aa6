package backend

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Where albctl may send credentials and signed requests (docs/security.md):
//   - AWS itself (https, *.amazonaws.com and friends);
//   - this machine (a loopback address, or a name that resolves only to loopback addresses);
//   - an https endpoint the user named: --endpoint, AWS_ENDPOINT_URL*, or the shared config
//     (endpoint_url, [services] sections).
// A spec is not the user: an endpoint written in a spec must be loopback, unless the same
// endpoint is given with --endpoint. Plain HTTP goes only to loopback.

// Net is how albctl reaches the network for the AWS clients: the resolver, and a hook that
// sees every connection. The zero value is the system resolver and no hook; tests model DNS
// and refuse connections there, per test.
type Net struct {
	// LookupIP resolves host names (nil: the system resolver).
	LookupIP func(ctx context.Context, host string) ([]net.IP, error)
	// DialHook, when set, sees every address an AWS client is about to connect to, after the
	// policy allowed it, and may refuse it: tests count connections there, and refuse any
	// that would leave this machine.
	DialHook func(addr string) error
}

func (n Net) lookupIP(ctx context.Context, host string) ([]net.IP, error) {
	if n.LookupIP != nil {
		return n.LookupIP(ctx, host)
	}
	return net.DefaultResolver.LookupIP(ctx, "ip", host)
}

// loopbackHost reports whether host is a loopback address or a name that resolves only to
// loopback addresses ("localhost", and "*.localhost" only if the resolver agrees).
func (n Net) loopbackHost(ctx context.Context, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	if host == "" {
		return false
	}
	ips, err := n.lookupIP(ctx, strings.ToLower(host))
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false
		}
	}
	return true
}

// IsLocal reports whether endpoint is an http(s) URL on this machine.
func (n Net) IsLocal(ctx context.Context, endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return n.loopbackHost(ctx, u.Hostname())
}

// awsHost reports whether host is one of AWS's own API domains.
func awsHost(host string) bool {
	host = strings.ToLower(host)
	for _, d := range []string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".sc2s.sgov.gov", ".c2s.ic.gov"} {
		if strings.HasSuffix(host, d) {
			return true
		}
	}
	return false
}

// RedactURL hides credentials inside a URL (user info, query) wherever it is printed or saved.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.LastIndex(s, "@"); i >= 0 {
			return "REDACTED@" + s[i+1:]
		}
		return s
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.String()
}

// namedEndpoints lists the endpoints the user configured outside any spec: the
// AWS_ENDPOINT_URL* variables and the shared config's endpoint_url settings.
func namedEndpoints(cfg aws.Config) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_ENDPOINT_URL") && v != "" {
			out = append(out, v)
		}
	}
	for _, src := range cfg.ConfigSources {
		sc, ok := src.(config.SharedConfig)
		if !ok {
			continue
		}
		if sc.BaseEndpoint != "" {
			out = append(out, sc.BaseEndpoint)
		}
		for _, svc := range sc.Services.ServiceValues {
			if v := svc["endpoint_url"]; v != "" {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// endpointPolicy decides, request by request and connection by connection, whether a URL
// may receive albctl's requests (docs/security.md).
type endpointPolicy struct {
	named map[string]bool // host:port of https endpoints the user named, as in URLs
	// dialNamed holds the same endpoints as host:port with the scheme's default port filled
	// in, and the proxies of HTTPS_PROXY/HTTP_PROXY: what the dialer may connect to wherever
	// they resolve.
	dialNamed map[string]bool
	// metadata allows the instance metadata and container credential services: off whenever
	// an endpoint on this machine or a spec's endpoint is in use.
	metadata bool
	net      Net
}

func newEndpointPolicy(n Net, named []string, metadata bool) *endpointPolicy {
	p := &endpointPolicy{named: map[string]bool{}, dialNamed: map[string]bool{}, metadata: metadata, net: n}
	for _, e := range named {
		if u, err := url.Parse(e); err == nil && u.Host != "" && u.Scheme == "https" {
			p.named[strings.ToLower(u.Host)] = true
			p.dialNamed[dialKey(u)] = true
		}
	}
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		if u, err := url.Parse(os.Getenv(k)); err == nil && u.Host != "" {
			p.dialNamed[dialKey(u)] = true
		}
	}
	return p
}

// dialKey is u's host:port as a dialer sees it.
func dialKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return strings.ToLower(net.JoinHostPort(u.Hostname(), port))
}

// metadataIPs are the instance metadata service (IPv4 and IPv6) and the ECS and EKS
// container credential services: a source of real credentials, never asked on behalf of an
// endpoint on this machine.
func metadataIPs() []net.IP {
	return []net.IP{
		net.ParseIP("169.254.169.254"), net.ParseIP("fd00:ec2::254"),
		net.ParseIP("169.254.170.2"), net.ParseIP("169.254.170.23"), net.ParseIP("fd00:ec2::23"),
	}
}

func isMetadataIP(ip net.IP) bool {
	return slices.ContainsFunc(metadataIPs(), ip.Equal)
}

func (p *endpointPolicy) check(ctx context.Context, u *url.URL) error {
	where := RedactURL((&url.URL{Scheme: u.Scheme, Host: u.Host}).String())
	if ip := net.ParseIP(u.Hostname()); ip != nil && isMetadataIP(ip) {
		if p.metadata {
			return nil
		}
		return fmt.Errorf("refusing to ask %s for credentials: an endpoint on this machine (or a spec's) is in use, and the metadata service would hand out the real ones", where)
	}
	if p.net.loopbackHost(ctx, u.Hostname()) {
		return nil
	}
	if u.Scheme != "https" {
		return fmt.Errorf("refusing plain HTTP to %s, which is not on this machine: credentials and signed requests would cross the network in clear", where)
	}
	if awsHost(u.Hostname()) || p.named[strings.ToLower(u.Host)] {
		return nil
	}
	return fmt.Errorf("refusing to send AWS requests to %s: it is not AWS, not on this machine, and not an endpoint you named (--endpoint, AWS_ENDPOINT_URL*, the shared config)", where)
}

// dial connects to addr for the AWS clients. A name is resolved once, here, and only the
// addresses of that answer are dialled, so the loopback rule holds for the connection itself,
// every time one is made (retries, redirects, new connections), however the resolver answers
// from one query to the next (DNS rebinding).
func (p *endpointPolicy) dial(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		if ips, err = p.net.lookupIP(ctx, strings.ToLower(host)); err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
	}
	trusted := awsHost(host) || p.dialNamed[strings.ToLower(addr)]
	for _, ip := range ips {
		switch {
		case isMetadataIP(ip) && !p.metadata:
			return nil, fmt.Errorf("refusing to connect to %s (%s), a metadata or container credential service: an endpoint on this machine, or a spec's, is in use", host, ip)
		case isMetadataIP(ip) && net.ParseIP(host) != nil:
			// The SDK's own metadata client, with metadata allowed (AWS itself).
		case !trusted && !ip.IsLoopback():
			return nil, fmt.Errorf("refusing to connect to %s: it resolves to %s, which is not on this machine, and only AWS, this machine and endpoints you named may receive requests", host, ip)
		}
	}
	var last error
	for _, ip := range ips {
		target := net.JoinHostPort(ip.String(), port)
		if p.net.DialHook != nil {
			if last = p.net.DialHook(target); last != nil {
				continue
			}
		}
		conn, err := d.DialContext(ctx, network, target)
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}

// newGuardedClient is the HTTP client of every AWS client albctl builds: it checks each
// request against the policy before it is sent (the transport's proxy hook runs for every
// request, redirects and retries included) and connects only through the policy's dialer.
// It is the SDK's own BuildableClient, so that the SDK can still add a custom CA bundle
// (AWS_CA_BUNDLE, ca_bundle in the shared config) to its transport: the SDK refuses any
// other client type when one is configured.
func newGuardedClient(policy *endpointPolicy) *awshttp.BuildableClient {
	d := &net.Dialer{}
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		proxy := tr.Proxy
		tr.Proxy = func(req *http.Request) (*url.URL, error) {
			if err := policy.check(req.Context(), req.URL); err != nil {
				return nil, err
			}
			if proxy == nil {
				return nil, nil
			}
			return proxy(req)
		}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return policy.dial(ctx, d, network, addr)
		}
		tr.DialTLSContext = nil
	})
}

// checkSpecEndpoint refuses a spec's endpoint that is not on this machine, unless the command
// line names the same one.
func (n Net) checkSpecEndpoint(ctx context.Context, specEndpoint, flagEndpoint, where string) error {
	if specEndpoint == "" || flagEndpoint != "" && sameEndpoint(specEndpoint, flagEndpoint) {
		return nil
	}
	if flagEndpoint != "" {
		return nil // the command line chose another endpoint; the spec's is not used
	}
	if n.IsLocal(ctx, specEndpoint) {
		return nil
	}
	return fmt.Errorf("%srefusing the spec's cloud.endpoint %s: it is not on this machine, and a spec cannot send your credentials anywhere but AWS. If you trust it, name it on the command line: --endpoint %s",
		where, RedactURL(specEndpoint), RedactURL(specEndpoint))
}

func sameEndpoint(a, b string) bool {
	return strings.TrimSuffix(strings.ToLower(a), "/") == strings.TrimSuffix(strings.ToLower(b), "/")
}

// checkPlainHTTP refuses an http:// endpoint that is not on this machine, whoever named it.
func (n Net) checkPlainHTTP(ctx context.Context, endpoints []string) error {
	for _, e := range endpoints {
		u, err := url.Parse(e)
		if err != nil {
			return fmt.Errorf("endpoint %s is not a URL", RedactURL(e))
		}
		if u.Scheme == "http" && !n.loopbackHost(ctx, u.Hostname()) {
			return fmt.Errorf("refusing plain HTTP endpoint %s: it is not on this machine, so credentials and signed requests would cross the network in clear; use https", RedactURL(e))
		}
	}
	return nil
}

// CheckSeedTarget refuses to write to anything but an endpoint on this machine, unless the
// user said they mean a real account (realAWS). Every endpoint the SDK may use counts: the
// flag (or AWS_ENDPOINT_URL, resolved into endpoint), the service-specific variables and the
// shared config's endpoint settings (named); names count as local only if they resolve to
// loopback.
func (n Net) CheckSeedTarget(ctx context.Context, endpoint string, named []string, realAWS bool) error {
	if realAWS {
		return nil
	}
	const hint = "sim seed creates resources (VPCs, instances, a load balancer); it is meant for an emulator such as moto or LocalStack on this machine. Give --endpoint http://localhost:PORT, or --i-know-this-is-real-aws to write to a real account"
	if endpoint == "" {
		return fmt.Errorf("refusing to seed AWS itself (no --endpoint): %s", hint)
	}
	if !n.IsLocal(ctx, endpoint) {
		return fmt.Errorf("refusing to seed %s, which is not on this machine: %s", RedactURL(endpoint), hint)
	}
	for _, v := range named {
		if !n.IsLocal(ctx, v) {
			return fmt.Errorf("refusing to seed: the configured endpoint %s (AWS_ENDPOINT_URL* or the shared config) is not on this machine: %s", RedactURL(v), hint)
		}
	}
	return nil
}
