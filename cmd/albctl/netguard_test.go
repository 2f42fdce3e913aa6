package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
)

// Every test of this package, and every albctl the scripts run (the test binary itself), uses
// a resolver that knows only localhost, and dies loudly if an AWS client dials anything but a
// loopback address: no test reaches the network, and that is checked, not hoped.
func init() {
	lookupIP = func(_ context.Context, host string) ([]net.IP, error) {
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return []net.IP{net.IPv4(127, 0, 0, 1)}, nil
		}
		return nil, &net.DNSError{Err: "no such host (tests resolve only localhost)", Name: host, IsNotFound: true}
	}
	dialHook = loopbackOnlyHook
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
