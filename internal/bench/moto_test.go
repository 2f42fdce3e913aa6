package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/mirror"
)

// resetServer stands in for moto's reset endpoint: it counts the POSTs to /moto-api/reset and
// answers status to them.
func resetServer(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var resets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/moto-api/reset" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		resets.Add(1)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &resets
}

// After a reset, a seeding that fails (here: an endpoint that answers 404 to every AWS call)
// stops the measurement, naming the size. The whole measurement against a real moto is
// integration's TestBenchAgainstMoto.
func TestMotoSeedFails(t *testing.T) {
	srv, resets := resetServer(t, http.StatusOK)
	cfg := aws.Config{
		Region: Region, Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
	}
	e, l, i := ec2.NewFromConfig(cfg), elbv2.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	mo := Moto{URL: srv.URL + "/", API: cloud.API{EC2: e, ELBV2: l, IAM: i}, Seed: mirror.SeedAPI{EC2: e, ELBV2: l, IAM: i}}
	rows, err := mo.Measure(context.Background(), []int{3, 5})
	if err == nil || !strings.HasPrefix(err.Error(), "n=3: ") || len(rows) != 0 || resets.Load() != 1 {
		t.Errorf("got %v, %d rows, after %d resets", err, len(rows), resets.Load())
	}
}

// A reset moto refuses stops the measurement before anything is seeded.
func TestMotoResetRefused(t *testing.T) {
	srv, resets := resetServer(t, http.StatusInternalServerError)
	_, err := Moto{URL: srv.URL}.Measure(context.Background(), []int{3})
	if err == nil || err.Error() != "reset: 500 Internal Server Error" || resets.Load() != 1 {
		t.Errorf("got %v after %d resets", err, resets.Load())
	}
	_, err = Moto{URL: "http://127.0.0.1:1"}.Measure(context.Background(), []int{3})
	if err == nil || !strings.HasPrefix(err.Error(), "reset: ") {
		t.Errorf("closed port: %v", err)
	}
}
