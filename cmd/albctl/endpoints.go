package main

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

// lookupIP resolves host names; tests replace it to model DNS.
var lookupIP = func(ctx context.Context, host string) ([]net.IP, error) {
	return net.DefaultResolver.LookupIP(ctx, "ip", host)
}

// loopbackHost reports whether host is a loopback address or a name that resolves only to
// loopback addresses ("localhost", and "*.localhost" only if the resolver agrees).
func loopbackHost(ctx context.Context, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	if host == "" {
		return false
	}
	ips, err := lookupIP(ctx, strings.ToLower(host))
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

// isLocalEndpoint reports whether endpoint is an http(s) URL on this machine.
func isLocalEndpoint(ctx context.Context, endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return loopbackHost(ctx, u.Hostname())
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

// redactURL hides credentials inside a URL (user info, query) wherever it is printed or saved.
func redactURL(s string) string {
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
}

func newEndpointPolicy(named []string, metadata bool) *endpointPolicy {
	p := &endpointPolicy{named: map[string]bool{}, dialNamed: map[string]bool{}, metadata: metadata}
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
var metadataIPs = []net.IP{
	net.ParseIP("169.254.169.254"), net.ParseIP("fd00:ec2::254"),
	net.ParseIP("169.254.170.2"), net.ParseIP("169.254.170.23"), net.ParseIP("fd00:ec2::23"),
}

func isMetadataIP(ip net.IP) bool {
	return slices.ContainsFunc(metadataIPs, ip.Equal)
}

func (p *endpointPolicy) check(ctx context.Context, u *url.URL) error {
	where := redactURL((&url.URL{Scheme: u.Scheme, Host: u.Host}).String())
	if ip := net.ParseIP(u.Hostname()); ip != nil && isMetadataIP(ip) {
		if p.metadata {
			return nil
		}
		return fmt.Errorf("refusing to ask %s for credentials: an endpoint on this machine (or a spec's) is in use, and the metadata service would hand out the real ones", where)
	}
	if loopbackHost(ctx, u.Hostname()) {
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

// dialHook, when set, sees every address an AWS client is about to connect to, after the
// policy allowed it, and may refuse it: tests count connections there, and refuse any that
// would leave this machine.
var dialHook func(addr string) error

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
		if ips, err = lookupIP(ctx, strings.ToLower(host)); err != nil {
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
		if dialHook != nil {
			if last = dialHook(target); last != nil {
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

// guardedClient checks every request against the policy before it is sent, and connects
// only through the policy's dialer.
type guardedClient struct {
	policy *endpointPolicy
	inner  aws.HTTPClient
}

func (c *guardedClient) Do(req *http.Request) (*http.Response, error) {
	if err := c.policy.check(req.Context(), req.URL); err != nil {
		return nil, err
	}
	return c.inner.Do(req)
}

func newGuardedClient(policy *endpointPolicy) *guardedClient {
	d := &net.Dialer{}
	inner := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return policy.dial(ctx, d, network, addr)
		}
		tr.DialTLSContext = nil
	})
	return &guardedClient{policy: policy, inner: inner}
}

// checkSpecEndpoint refuses a spec's endpoint that is not on this machine, unless the command
// line names the same one.
func checkSpecEndpoint(ctx context.Context, specEndpoint, flagEndpoint, where string) error {
	if specEndpoint == "" || flagEndpoint != "" && sameEndpoint(specEndpoint, flagEndpoint) {
		return nil
	}
	if flagEndpoint != "" {
		return nil // the command line chose another endpoint; the spec's is not used
	}
	if isLocalEndpoint(ctx, specEndpoint) {
		return nil
	}
	return fmt.Errorf("%srefusing the spec's cloud.endpoint %s: it is not on this machine, and a spec cannot send your credentials anywhere but AWS. If you trust it, name it on the command line: --endpoint %s",
		where, redactURL(specEndpoint), redactURL(specEndpoint))
}

func sameEndpoint(a, b string) bool {
	return strings.TrimSuffix(strings.ToLower(a), "/") == strings.TrimSuffix(strings.ToLower(b), "/")
}

// checkPlainHTTP refuses an http:// endpoint that is not on this machine, whoever named it.
func checkPlainHTTP(ctx context.Context, endpoints []string) error {
	for _, e := range endpoints {
		u, err := url.Parse(e)
		if err != nil {
			return fmt.Errorf("endpoint %s is not a URL", redactURL(e))
		}
		if u.Scheme == "http" && !loopbackHost(ctx, u.Hostname()) {
			return fmt.Errorf("refusing plain HTTP endpoint %s: it is not on this machine, so credentials and signed requests would cross the network in clear; use https", redactURL(e))
		}
	}
	return nil
}
