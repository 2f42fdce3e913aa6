package simserve

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/simulator"
)

func TestControlAPI(t *testing.T) {
	srv, sim := newTestServer(t)
	srv.control.clients = sim.StartClients(simulator.ClientOptions{})
	saves := 0
	srv.control.save = func() error {
		saves++
		if saves > 1 {
			return errors.New("disk full")
		}
		return nil
	}
	start := sim.Clock().Now()
	tests := []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/_albctl/clock", 200, `"now": "` + start.Format(time.RFC3339) + `"`},
		{"POST", "/_albctl/clock/advance?by=90s", 200, `"now": "` + start.Add(90*time.Second).Format(time.RFC3339) + `"`},
		{"POST", "/_albctl/clock/advance?by=-5s", 400, "positive duration"},
		{"POST", "/_albctl/clock/advance", 400, "positive duration"},
		{"GET", "/_albctl/clock", 200, `"clock": "manual"`},
		{"GET", "/_albctl/traffic", 200, `"load_balancer": "web-alb"`},
		{"GET", "/_albctl/traffic", 200, `"clients": {`},
		{"POST", "/_albctl/save", 200, `"saved": true`},
		{"POST", "/_albctl/save", 500, "disk full"},
		{"GET", "/_albctl/nope", 404, "no control endpoint"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("%s %s = %d %s, want %d containing %s", tt.method, tt.path, rec.Code, rec.Body, tt.status, tt.want)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s %s: not JSON: %s", tt.method, tt.path, rec.Body)
		}
	}
	if got := sim.Clock().Now(); !got.Equal(start.Add(90 * time.Second)) {
		t.Errorf("clock at %v, want start + 90s", got)
	}
	srv.control.save = nil
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_albctl/save", nil))
	if rec.Code != http.StatusConflict {
		t.Errorf("save without a world file = %d", rec.Code)
	}
}
