package simserve_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/internal/conformance"
	"github.com/albctl/albctl/internal/simserve"
	"github.com/albctl/albctl/internal/simulator"
)

// serveHarness runs the conformance suite (internal/conformance) against albctl sim serve: each
// case starts a server of a fresh simulator holding the case's world on a loopback port, and
// the suite calls it with the real SDK clients over HTTP, so every rule passes through the
// codec (decode.go, encode.go, the error mapping) as well as the simulator.
type serveHarness struct{}

func (serveHarness) Name() string { return "sim serve" }

func (serveHarness) Start(t *testing.T, w *simulator.World) *conformance.Env {
	t.Helper()
	sim := simulator.New(w, simulator.WithRoundTripCheck(func(op string, err error) { t.Errorf("after %s: %v", op, err) }))
	srv := httptest.NewServer(simserve.New(sim, simserve.Options{}))
	t.Cleanup(srv.Close)
	// Placeholder credentials: the server checks only the signature's scope. Given static
	// credentials, the SDK never asks IMDS; one attempt, so that an error is the server's
	// first answer, not a retry's (docs/testing.md).
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	hc := srv.Client()
	return &conformance.Env{
		EC2: ec2.New(ec2.Options{BaseEndpoint: aws.String(srv.URL), Region: w.Region, Credentials: creds, Retryer: simserve.ConnRetryer(), HTTPClient: hc}),
		ELBV2: elbv2.New(elbv2.Options{BaseEndpoint: aws.String(srv.URL), Region: w.Region, Credentials: creds,
			Retryer: simserve.ConnRetryer(), HTTPClient: hc}),
		IAM:     iam.New(iam.Options{BaseEndpoint: aws.String(srv.URL), Region: w.Region, Credentials: creds, Retryer: simserve.ConnRetryer(), HTTPClient: hc}),
		Advance: func(d time.Duration) { advance(t, hc, srv.URL, d) },
	}
}

// advance lets d pass through the control API, as a client of sim serve does
// (docs/sim-serve.md, "The control API").
func advance(t *testing.T, hc *http.Client, base string, d time.Duration) {
	t.Helper()
	resp, err := hc.Post(base+"/_albctl/clock/advance?by="+url.QueryEscape(d.String()), "", nil)
	if err != nil {
		t.Fatalf("advancing the clock by %s: %v", d, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("advancing the clock by %s: HTTP %s", d, resp.Status)
	}
}

// serveDiffers is every rule of the suite on which sim serve differs from AWS, with the reason:
// the one place that lists them (docs/sim-serve.md points here). It is empty: sim serve is the
// simulator behind AWS's wire protocols, so a rule that fails here and not in-process
// (TestConformanceSimulator) is a bug of the codec, to fix, not to list.
var serveDiffers = map[string]string{}

func (serveHarness) Differs(rule string) (string, bool) {
	why, ok := serveDiffers[rule]
	return why, ok
}

// TestServeDiffersNamesRulesOfTheSuite: a listed rule the suite does not have would excuse
// nothing and hide that the entry is stale.
func TestServeDiffersNamesRulesOfTheSuite(t *testing.T) {
	rules := conformance.Rules()
	for rule := range serveDiffers {
		if !slices.Contains(rules, rule) {
			t.Errorf("serveDiffers lists %q, which is no rule of the conformance suite", rule)
		}
	}
}

// TestConformanceSimServe runs the conformance suite against sim serve over HTTP.
func TestConformanceSimServe(t *testing.T) {
	conformance.RunConformance(t, serveHarness{})
}

// TestDocListsServeDifferences: docs/sim-serve.md says the table is empty while it is, and
// names every rule in it once it is not.
func TestDocListsServeDifferences(t *testing.T) {
	doc, err := os.ReadFile("../../docs/sim-serve.md")
	if err != nil {
		t.Fatal(err)
	}
	saysEmpty := strings.Contains(string(doc), "The\ntable is empty") || strings.Contains(string(doc), "The table is empty")
	if saysEmpty != (len(serveDiffers) == 0) {
		t.Errorf("docs/sim-serve.md says the table of differences is empty: %v; serveDiffers has %d rules", saysEmpty, len(serveDiffers))
	}
	for rule := range serveDiffers {
		if !strings.Contains(string(doc), "`"+rule+"`") {
			t.Errorf("serveDiffers lists %q, which docs/sim-serve.md does not name", rule)
		}
	}
}
