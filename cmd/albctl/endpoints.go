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

// dialObserver, when set, sees every address the AWS clients dial (tests assert that none
// leaves the loopback range).
var dialObserver func(addr string)

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

// endpointPolicy decides, request by request, whether a URL may receive albctl's requests.
type endpointPolicy struct {
	named map[string]bool // host:port of https endpoints the user named
}

func newEndpointPolicy(named []string) *endpointPolicy {
	p := &endpointPolicy{named: map[string]bool{}}
	for _, e := range named {
		if u, err := url.Parse(e); err == nil && u.Host != "" {
			p.named[strings.ToLower(u.Host)] = true
		}
	}
	return p
}

func (p *endpointPolicy) check(ctx context.Context, u *url.URL) error {
	if loopbackHost(ctx, u.Hostname()) {
		return nil
	}
	where := redactURL((&url.URL{Scheme: u.Scheme, Host: u.Host}).String())
	if u.Scheme != "https" {
		return fmt.Errorf("refusing plain HTTP to %s, which is not on this machine: credentials and signed requests would cross the network in clear", where)
	}
	if awsHost(u.Hostname()) || p.named[strings.ToLower(u.Host)] {
		return nil
	}
	return fmt.Errorf("refusing to send AWS requests to %s: it is not AWS, not on this machine, and not an endpoint you named (--endpoint, AWS_ENDPOINT_URL*, the shared config)", where)
}

// guardedClient checks every request against the policy before it is sent, and dials names
// it accepted as loopback only at the loopback addresses they resolved to, so a resolver that
// answers differently the second time cannot redirect the connection.
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
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil && loopbackHost(ctx, host) {
				ips, _ := lookupIP(ctx, host)
				addr = net.JoinHostPort(ips[0].String(), port)
			}
			if dialObserver != nil {
				dialObserver(addr)
			}
			return d.DialContext(ctx, network, addr)
		}
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
