package main

import (
	"context"
	"net"
	"testing"
)

// fakeDNS models a resolver for the endpoint tests: no test asks a real one.
func fakeDNS(t *testing.T, names map[string]string) {
	t.Helper()
	old := lookupIP
	lookupIP = func(_ context.Context, host string) ([]net.IP, error) {
		if a, ok := names[host]; ok {
			return []net.IP{net.ParseIP(a)}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	t.Cleanup(func() { lookupIP = old })
}

func TestIsLocalEndpoint(t *testing.T) {
	fakeDNS(t, map[string]string{"localhost": "127.0.0.1", "moto.localhost": "127.0.0.1", "evil.localhost": "203.0.113.5", "localhost.example.com": "203.0.113.6"})
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
		if got := isLocalEndpoint(context.Background(), tc.endpoint); got != tc.local {
			t.Errorf("isLocalEndpoint(%q) = %v, want %v", tc.endpoint, got, tc.local)
		}
	}
}

func TestCheckSeedTarget(t *testing.T) {
	ctx := context.Background()
	if err := checkSeedTarget(ctx, "", nil, false); err == nil {
		t.Error("no endpoint (AWS itself) was accepted without --i-know-this-is-real-aws")
	}
	if err := checkSeedTarget(ctx, "https://elasticloadbalancing.us-east-1.amazonaws.com", nil, false); err == nil {
		t.Error("a remote endpoint was accepted without --i-know-this-is-real-aws")
	}
	if err := checkSeedTarget(ctx, "", nil, true); err != nil {
		t.Errorf("--i-know-this-is-real-aws: %v", err)
	}
	if err := checkSeedTarget(ctx, "http://127.0.0.1:5000", nil, false); err != nil {
		t.Errorf("local endpoint: %v", err)
	}
	if err := checkSeedTarget(ctx, "http://127.0.0.1:5000", []string{"https://iam.amazonaws.com"}, false); err == nil {
		t.Error("a remote configured endpoint was accepted")
	}
}
