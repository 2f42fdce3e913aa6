package main

import (
	"fmt"
	"os"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/testkit"
)

// Every test of this package, and every albctl the scripts run (the test binary itself), uses
// a resolver that knows only localhost (defaultNet: the network of a Main that names none),
// and dies loudly if an AWS client dials anything but a loopback address: no test reaches the
// network, and that is checked, not hoped. The policy's own tests are internal/backend's.
func init() {
	defaultNet = backend.Net{LookupIP: testkit.LocalhostOnly, DialHook: loopbackOnlyHook}
}

// loopbackOnlyHook is the dial hook of every test: the guard let a connection to a
// non-loopback address through, which no test may make.
func loopbackOnlyHook(addr string) error {
	if !testkit.IsLoopback(addr) {
		fmt.Fprintf(os.Stderr, "TEST FAILURE: an AWS client dialed %s, which is not a loopback address\n", addr)
		os.Exit(97)
	}
	return nil
}
