package plan

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// The tests of target_groups.go: what of a target group is compared with the spec, and how
// its steps say so.

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24h", 90 * time.Minute: "90m", 45 * time.Second: "45s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// Every field of a health_check block is compared: equal values are no drift, different ones
// are set by the step and named in its reason.
func TestHealthCheckEveryField(t *testing.T) {
	t.Parallel()
	world := cloud.HealthCheck{Path: "/health", IntervalSeconds: 30, TimeoutSeconds: 6, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"}
	same := &specs.HealthCheck{Path: "/health", Interval: 30 * time.Second, Timeout: 6 * time.Second, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"}
	s := seedStack()
	s.TargetGroups[0].HealthCheck = same
	w := converged()
	w.TargetGroups[0].HealthCheck = world
	if p := build(t, s, w); !p.Empty() {
		t.Fatalf("steps %v for a health check equal in every field", kinds(p))
	}
	s.TargetGroups[0].HealthCheck = &specs.HealthCheck{Path: "/up", Interval: 10 * time.Second, Timeout: 5 * time.Second, HealthyThreshold: 3, UnhealthyThreshold: 4, Matcher: "200-299"}
	hc := step(t, build(t, s, w), ModifyHealthCheck)
	p := hc.HealthCheck
	got := fmt.Sprintf("%s %d %d %d %d %s", *p.Path, *p.IntervalSeconds, *p.TimeoutSeconds, *p.HealthyThreshold, *p.UnhealthyThreshold, *p.Matcher)
	if want := "/up 10 5 3 4 200-299"; got != want {
		t.Errorf("step sets %q, want %q", got, want)
	}
	for _, want := range []string{"interval is 30s, the spec wants 10s", "timeout is 6s, the spec wants 5s", "healthy threshold is 5, the spec wants 3", "unhealthy threshold is 2, the spec wants 4"} {
		if !strings.Contains(hc.Reason, want) {
			t.Errorf("reason %q does not say %q", hc.Reason, want)
		}
	}
}
