package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/albctl/albctl/internal/backend"
)

// Every test of this package, and every albctl the scripts run (the test binary itself), uses
// a resolver that knows only localhost (defaultNet: the network of a Main that names none),
// and dies loudly if an AWS client dials anything but a loopback address: no test reaches the
// network, and that is checked, not hoped. The policy's own tests are internal/backend's.
func init() {
	defaultNet = backend.Net{LookupIP: localhostOnly, DialHook: loopbackOnlyHook}
}

func localhostOnly(_ context.Context, host string) ([]net.IP, error) {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return []net.IP{net.IPv4(127, 0, 0, 1)}, nil
	}
	return nil, &net.DNSError{Err: "no such host (tests resolve only localhost)", Name: host, IsNotFound: true}
}

// loopbackOnlyHook is the dial hook of every test: the guard let a connection to a
// non-loopback address through, which no test may make.
func loopbackOnlyHook(addr string) error {
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "TEST FAILURE: an AWS client dialed %s, which is not a loopback address\n", addr)
		os.Exit(97)
	}
	return nil
}

// netCount counts, for one test, the DNS queries albctl makes and the connections its AWS
// clients attempt; a connection to a non-loopback address is counted and refused (never made).
type netCount struct {
	mu       sync.Mutex
	lookups  []string
	dials    []string
	outbound []string // dial attempts to non-loopback addresses: must stay empty
}

func countNet(t *testing.T, answer func(host string, n int) ([]net.IP, error)) *netCount {
	t.Helper()
	c := &netCount{}
	old := defaultNet
	defaultNet.LookupIP = func(ctx context.Context, host string) ([]net.IP, error) {
		c.mu.Lock()
		c.lookups = append(c.lookups, host)
		n := len(c.lookups)
		c.mu.Unlock()
		if answer != nil {
			return answer(host, n)
		}
		return old.LookupIP(ctx, host)
	}
	defaultNet.DialHook = func(addr string) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.dials = append(c.dials, addr)
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			c.outbound = append(c.outbound, addr)
			return fmt.Errorf("test: refused to dial %s", addr)
		}
		return nil
	}
	t.Cleanup(func() { defaultNet = old })
	return c
}

func (c *netCount) snapshot() (lookups, dials, outbound []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lookups), slices.Clone(c.dials), slices.Clone(c.outbound)
}

// listener is an HTTP server on 127.0.0.1 that counts the requests it gets and closes every
// connection after one, so each request needs a new dial. It answers 500: no test here
// needs an answer, only to know whether a request arrived.
func listener(t *testing.T) (*httptest.Server, *atomic.Int32) {
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
