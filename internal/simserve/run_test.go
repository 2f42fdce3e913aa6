package simserve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopbackAddr(t *testing.T) {
	tests := []struct {
		addr, bind string // bind "" means refused
	}{
		{"127.0.0.1:0", "127.0.0.1:0"},
		{"127.0.0.2:8080", "127.0.0.2:8080"},
		{"[::1]:4599", "[::1]:4599"},
		{"localhost:4599", "127.0.0.1:4599"},
		{"0.0.0.0:4599", ""},
		{":4599", ""},
		{"[::]:4599", ""},
		{"10.0.0.1:4599", ""},
		{"example.com:4599", ""},
		{"127.0.0.1", ""},
	}
	for _, tt := range tests {
		bind, err := CheckLoopbackAddr(tt.addr)
		if bind != tt.bind || (err == nil) != (tt.bind != "") {
			t.Errorf("CheckLoopbackAddr(%q) = %q, %v; want %q", tt.addr, bind, err, tt.bind)
		}
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		rate float64
		ok   bool
	}{
		{"manual", 0, true}, {"", 0, true}, {"realtime", 1, true}, {"rate=60", 60, true},
		{"rate=0.5", 0.5, true}, {"rate=0", 0, false}, {"rate=-1", 0, false}, {"rate=x", 0, false},
		{"fast", 0, false}, {"rate=1e7", 0, false},
	}
	for _, tt := range tests {
		rate, err := ParseClock(tt.in)
		if rate != tt.rate || (err == nil) != tt.ok {
			t.Errorf("ParseClock(%q) = %v, %v; want %v, ok %v", tt.in, rate, err, tt.rate, tt.ok)
		}
	}
}

// TestRunClockMovesTime: a running clock moves the simulator's time forward by itself and
// stops with its context. Nothing here depends on how fast: it waits until time moved.
func TestRunClockMovesTime(t *testing.T) {
	_, sim := newTestServer(t)
	start := sim.Clock().Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { RunClock(ctx, sim, 1e6, time.Millisecond); close(done) }()
	for sim.Clock().Now().Equal(start) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	stopped := sim.Clock().Now()
	time.Sleep(5 * time.Millisecond)
	if !sim.Clock().Now().Equal(stopped) {
		t.Error("the clock kept moving after its context ended")
	}
}

// TestAWSChunkedUpload: a streaming-signed PutObject body (as the AWS CLI and SDKs send with
// trailing checksums) is stored as its payload.
func TestAWSChunkedUpload(t *testing.T) {
	srv, _ := newTestServer(t)
	body := "5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
	req := httptest.NewRequest(http.MethodPut, "/locks/k", strings.NewReader(body))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20230514/ap-northeast-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	req.Header.Set("Content-Encoding", "aws-chunked")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("PutObject: %d %s", rec.Code, rec.Body)
	}
	if _, objects := srv.Buckets(); len(objects) != 1 || string(objects[0].Body) != "hello world" {
		t.Errorf("stored %+v, want the payload hello world", objects)
	}
	for _, bad := range []string{"zz\r\nhello", "9\r\nhello\r\n", "5;x"} {
		req := httptest.NewRequest(http.MethodPut, "/locks/bad", strings.NewReader(bad))
		req.Header = http.Header{"Authorization": req.Header["Authorization"]}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20230514/ap-northeast-1/s3/aws4_request, SignedHeaders=host, Signature=00")
		req.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "IncompleteBody") {
			t.Errorf("aws-chunked body %q: %d %s, want IncompleteBody", bad, rec.Code, rec.Body)
		}
	}
}
