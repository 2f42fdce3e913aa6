package simserve

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/albctl/albctl/internal/simulator"
)

const blogWorld = "../../examples/blog/world.json"

func newTestServer(t *testing.T) (*Server, *simulator.Sim) {
	t.Helper()
	w, err := simulator.LoadWorld(blogWorld)
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.New(w)
	return New(sim, Options{Buckets: []string{"locks"}}), sim
}

var testCreds = credentials.NewStaticCredentialsProvider("testing", "testing", "")

// connRetryer retries, at once, only what the SDK's standard retryer calls a connection
// error: a keep-alive connection reset under a response ("use of closed network connection",
// aws-sdk-go-v2 #1825 and #2737), which the SDK retries in production too. An AWS error is
// never retried, so what a test sees is the server's first answer.
func connRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.None
	})
}

// sdkClients returns the real SDK clients pointed at url, by signing name.
func sdkClients(url, region string) map[string]any {
	return map[string]any{
		"ec2":                  ec2.New(ec2.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, Retryer: connRetryer()}),
		"elasticloadbalancing": elbv2.New(elbv2.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, Retryer: connRetryer()}),
		"iam":                  iam.New(iam.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, Retryer: connRetryer()}),
		"sts":                  sts.New(sts.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, Retryer: connRetryer()}),
		"s3":                   s3.New(s3.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, Retryer: connRetryer(), UsePathStyle: true}),
	}
}
