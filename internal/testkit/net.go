package testkit

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The network guard: AWS clients connect only through a resolver and a dial hook
// (internal/backend's Net). Tests give theirs these, so no test reaches the network, and that
// is checked, not hoped (docs/testing.md). testkit does not import internal/backend, whose
// own tests use it: a caller builds backend.Net{LookupIP: …, DialHook: …} from these.

// LocalhostOnly resolves localhost and *.localhost to 127.0.0.1, and nothing else.
func LocalhostOnly(_ context.Context, host string) ([]net.IP, error) {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return []net.IP{net.IPv4(127, 0, 0, 1)}, nil
	}
	return nil, &net.DNSError{Err: "no such host (tests resolve only localhost)", Name: host, IsNotFound: true}
}

// IsLoopback reports whether addr (host:port) names a loopback IP address.
func IsLoopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NetCount counts, for one test, the DNS queries made through LookupIP and the connections
// attempted through DialHook; a connection to a non-loopback address is counted and refused
// (never made).
type NetCount struct {
	answer   func(host string, n int) ([]net.IP, error)
	mu       sync.Mutex
	lookups  []string
	dials    []string
	outbound []string // dial attempts to non-loopback addresses: must stay empty
}

// CountNet is a NetCount whose resolver gives answer(host, n) for the nth query, or
// LocalhostOnly's answer when answer is nil.
func CountNet(answer func(host string, n int) ([]net.IP, error)) *NetCount {
	return &NetCount{answer: answer}
}

// LookupIP is the counting resolver.
func (c *NetCount) LookupIP(ctx context.Context, host string) ([]net.IP, error) {
	c.mu.Lock()
	c.lookups = append(c.lookups, host)
	n := len(c.lookups)
	c.mu.Unlock()
	if c.answer != nil {
		return c.answer(host, n)
	}
	return LocalhostOnly(ctx, host)
}

// DialHook is the counting dial hook: it refuses any address but a loopback one.
func (c *NetCount) DialHook(addr string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dials = append(c.dials, addr)
	if !IsLoopback(addr) {
		c.outbound = append(c.outbound, addr)
		return fmt.Errorf("test: refused to dial %s", addr)
	}
	return nil
}

// Snapshot is what was counted so far: the hosts looked up, the addresses dialled, and the
// non-loopback ones among them.
func (c *NetCount) Snapshot() (lookups, dials, outbound []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lookups), slices.Clone(c.dials), slices.Clone(c.outbound)
}

// Listener is an HTTP server on 127.0.0.1 that counts the requests it gets and closes every
// connection after one, so each request needs a new dial. It answers 500: a test using it
// needs no answer, only to know whether a request arrived.
func Listener(t testing.TB) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "not an AWS endpoint", http.StatusInternalServerError)
	}))
	srv.Config.SetKeepAlivesEnabled(false)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

// ClearAWSEnv empties the AWS settings of the environment for one test: no shared config, no
// credentials, no endpoints, region ap-northeast-1. It sets the environment, so a test that
// calls it cannot run in parallel (t.Setenv fails the test if it does).
func ClearAWSEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_REGION", "ap-northeast-1")
}
