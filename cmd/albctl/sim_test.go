package main

import "testing"

func TestIsLocalEndpoint(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		local    bool
	}{
		{"http://localhost:5000", true},
		{"http://LOCALHOST:5000/", true},
		{"http://moto.localhost:5000", true},
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
		if got := isLocalEndpoint(tc.endpoint); got != tc.local {
			t.Errorf("isLocalEndpoint(%q) = %v, want %v", tc.endpoint, got, tc.local)
		}
	}
}

func TestCheckSeedTarget(t *testing.T) {
	if err := checkSeedTarget("", false); err == nil {
		t.Error("no endpoint (AWS itself) was accepted without --i-know-this-is-real-aws")
	}
	if err := checkSeedTarget("https://elasticloadbalancing.us-east-1.amazonaws.com", false); err == nil {
		t.Error("a remote endpoint was accepted without --i-know-this-is-real-aws")
	}
	if err := checkSeedTarget("", true); err != nil {
		t.Errorf("--i-know-this-is-real-aws: %v", err)
	}
	t.Setenv("AWS_ENDPOINT_URL_IAM", "")
	if err := checkSeedTarget("http://127.0.0.1:5000", false); err != nil {
		t.Errorf("local endpoint: %v", err)
	}
	t.Setenv("AWS_ENDPOINT_URL_IAM", "https://iam.amazonaws.com")
	if err := checkSeedTarget("http://127.0.0.1:5000", false); err == nil {
		t.Error("a remote AWS_ENDPOINT_URL_IAM was accepted")
	}
}
