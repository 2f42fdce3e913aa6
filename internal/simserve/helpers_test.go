package simserve

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// sdkClients returns the real SDK clients pointed at url, by signing name.
func sdkClients(url, region string) map[string]any {
	return map[string]any{
		"ec2":                  ec2.New(ec2.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, RetryMaxAttempts: 1}),
		"elasticloadbalancing": elbv2.New(elbv2.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, RetryMaxAttempts: 1}),
		"iam":                  iam.New(iam.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, RetryMaxAttempts: 1}),
		"sts":                  sts.New(sts.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, RetryMaxAttempts: 1}),
		"s3":                   s3.New(s3.Options{BaseEndpoint: aws.String(url), Region: region, Credentials: testCreds, RetryMaxAttempts: 1, UsePathStyle: true}),
	}
}
