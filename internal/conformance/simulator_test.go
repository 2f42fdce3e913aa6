package conformance

import (
	"testing"
	"time"

	"github.com/albctl/albctl/internal/simulator"
)

// simHarness runs the suite against the simulator, called directly (no HTTP): a fresh Sim per
// case, with the world's own IDs and its virtual clock.
type simHarness struct{}

func (simHarness) Name() string { return "simulator" }

func (simHarness) Start(t *testing.T, w *simulator.World) *Env {
	s := simulator.New(w, simulator.WithRoundTripCheck(func(op string, err error) { t.Errorf("after %s: %v", op, err) }))
	return &Env{EC2: s.EC2(), ELBV2: s.ELBV2(), IAM: s.IAM(), Advance: func(d time.Duration) { s.Clock().Advance(d) }}
}

// Differs is empty: the simulator copies AWS (docs/aws-semantics.md), so every case runs.
func (simHarness) Differs(string) (string, bool) { return "", false }

func TestConformanceSimulator(t *testing.T) {
	RunConformance(t, simHarness{})
}
