package simserve

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

func startServer(t *testing.T) (*Server, *simulator.Sim, string) {
	t.Helper()
	srv, sim := newTestServer(t)
	hs := httptest.NewServer(srv) // httptest binds 127.0.0.1
	t.Cleanup(hs.Close)
	return srv, sim, hs.URL
}

// TestObserveOverHTTPEqualsInProcess observes the blog stack through the real SDK clients
// over HTTP and through the simulator in-process: the worlds must be the same, which is what
// makes a plan against sim serve the same as a plan in-process.
func TestObserveOverHTTPEqualsInProcess(t *testing.T) {
	srv, sim, url := startServer(t)
	stack, _, diags := specs.Load("../../examples/blog", specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := context.Background()
	c := sdkClients(url, srv.region)
	overHTTP, err := cloud.Observe(ctx, cloud.API{EC2: c["ec2"].(*ec2.Client), ELBV2: c["elasticloadbalancing"].(*elbv2.Client), IAM: c["iam"].(*iam.Client)}, plan.QueryOf(stack))
	if err != nil {
		t.Fatal(err)
	}
	inProcess, err := cloud.Observe(ctx, cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, plan.QueryOf(stack))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(inProcess, overHTTP); d != "" {
		t.Errorf("observed worlds differ (-in-process +over HTTP):\n%s", d)
	}
}

// TestErrorsCarryAWSCodes: the simulator's errors reach the SDK with the same code and
// message, in each protocol's envelope, with a request ID.
func TestErrorsCarryAWSCodes(t *testing.T) {
	srv, sim, url := startServer(t)
	ctx := context.Background()
	c := sdkClients(url, srv.region)
	tests := []struct {
		name   string
		remote func() error
		local  func() error
		status int
	}{
		{"ec2", func() error {
			_, err := c["ec2"].(*ec2.Client).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef9"}})
			return err
		}, func() error {
			_, err := sim.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef9"}})
			return err
		}, 400},
		{"elbv2", func() error {
			_, err := c["elasticloadbalancing"].(*elbv2.Client).DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"nope"}})
			return err
		}, func() error {
			_, err := sim.ELBV2().DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"nope"}})
			return err
		}, 400},
		{"iam", func() error {
			_, err := c["iam"].(*iam.Client).GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("nope")})
			return err
		}, func() error {
			_, err := sim.IAM().GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("nope")})
			return err
		}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, got smithy.APIError
			if !errors.As(tt.local(), &want) {
				t.Fatal("the simulator did not fail")
			}
			err := tt.remote()
			if !errors.As(err, &got) {
				t.Fatalf("over HTTP: %v, not an API error", err)
			}
			// EC2's envelope has no fault (the SDK reads it as unknown); awsquery's Type has.
			fault := got.ErrorFault() == want.ErrorFault() || tt.name == "ec2" && got.ErrorFault() == smithy.FaultUnknown
			if got.ErrorCode() != want.ErrorCode() || got.ErrorMessage() != want.ErrorMessage() || !fault {
				t.Errorf("over HTTP: %s %q (%v), in-process: %s %q (%v)", got.ErrorCode(), got.ErrorMessage(), got.ErrorFault(), want.ErrorCode(), want.ErrorMessage(), want.ErrorFault())
			}
			var re *smithyhttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tt.status {
				t.Errorf("HTTP status: %v, want %d", err, tt.status)
			}
			if !strings.Contains(err.Error(), "RequestID: ") || strings.Contains(err.Error(), "RequestID: ,") {
				t.Errorf("no request ID in %v", err)
			}
		})
	}
}

// TestOtherRegionIsRefused: a request signed for another region than the world's gets
// AWS's SignatureDoesNotMatch, and S3 its AuthorizationHeaderMalformed.
func TestOtherRegionIsRefused(t *testing.T) {
	_, _, url := startServer(t)
	ctx := context.Background()
	c := sdkClients(url, "us-west-2")
	_, err := c["ec2"].(*ec2.Client).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" || !strings.Contains(ae.ErrorMessage(), "not 'us-west-2'") {
		t.Errorf("ec2 in us-west-2: %v, want SignatureDoesNotMatch", err)
	}
	_, err = c["sts"].(*sts.Client).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("sts in us-west-2: %v, want SignatureDoesNotMatch", err)
	}
}

func TestCallerIdentityIsTheWorldsAccount(t *testing.T) {
	srv, _, url := startServer(t)
	out, err := sdkClients(url, srv.region)["sts"].(*sts.Client).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != "123456789012" || !strings.HasPrefix(aws.ToString(out.Arn), "arn:aws:iam::123456789012:") {
		t.Errorf("GetCallerIdentity = %s %s", aws.ToString(out.Account), aws.ToString(out.Arn))
	}
}

// post sends a raw, signed-looking query request, as a client that is not the Go SDK would.
func post(t *testing.T, base, service, region string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if service != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20230514/"+region+"/"+service+"/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestRawRequests(t *testing.T) {
	_, _, base := startServer(t)
	const region = "ap-northeast-1"
	tests := []struct {
		name, service, region string
		form                  url.Values
		status                int
		want                  []string
	}{
		{"ec2 filters", "ec2", region, url.Values{"Action": {"DescribeSubnets"}, "Version": {"2016-11-15"}, "Filter.1.Name": {"tag:Name"}, "Filter.1.Value.1": {"web-public-1a"}}, 200,
			[]string{`<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`, `<subnetSet><item>`, `<subnetId>subnet-0a1b2c3d4e5f61a01</subnetId>`}},
		{"ec2 unknown parameter", "ec2", region, url.Values{"Action": {"DescribeVpcs"}, "Version": {"2016-11-15"}, "VpcIds.1": {"vpc-1"}}, 400,
			[]string{`<Response><Errors><Error><Code>UnknownParameter</Code><Message>The parameter VpcIds.1 is not recognized</Message></Error></Errors><RequestID>`}},
		{"ec2 bad number", "ec2", region, url.Values{"Action": {"DescribeInstances"}, "MaxResults": {"many"}}, 400,
			[]string{`<Code>InvalidParameterValue</Code>`}},
		{"ec2 unknown action", "ec2", region, url.Values{"Action": {"DescribeHosts"}}, 400,
			[]string{`<Code>InvalidAction</Code>`}},
		{"elbv2 member lists", "elasticloadbalancing", region, url.Values{"Action": {"DescribeLoadBalancers"}, "Version": {"2015-12-01"}, "Names.member.1": {"web-alb"}}, 200,
			[]string{`<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeLoadBalancersResult><LoadBalancers><member>`, `<LoadBalancerName>web-alb</LoadBalancerName>`, `</DescribeLoadBalancersResult><ResponseMetadata><RequestId>`}},
		{"elbv2 error envelope", "elasticloadbalancing", region, url.Values{"Action": {"DescribeLoadBalancers"}, "Names.member.1": {"nope"}}, 400,
			[]string{`<ErrorResponse><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code>`}},
		{"elbv2 ignores unknown parameters", "elasticloadbalancing", region, url.Values{"Action": {"DescribeLoadBalancers"}, "Nonsense": {"1"}}, 200,
			[]string{`<LoadBalancerName>web-alb</LoadBalancerName>`}},
		{"no action", "ec2", region, url.Values{"Version": {"2016-11-15"}}, 400,
			[]string{`<Code>MissingAction</Code>`}},
		{"iam signed for us-east-1", "iam", "us-east-1", url.Values{"Action": {"GetInstanceProfile"}, "InstanceProfileName": {"nope"}}, 404,
			[]string{`<Code>NoSuchEntity</Code>`}},
		{"iam signed for the world's region", "iam", region, url.Values{"Action": {"GetInstanceProfile"}, "InstanceProfileName": {"nope"}}, 404,
			[]string{`<Code>NoSuchEntity</Code>`}},
		{"iam signed for a third region", "iam", "eu-west-1", url.Values{"Action": {"GetInstanceProfile"}, "InstanceProfileName": {"nope"}}, 403,
			[]string{`<Code>SignatureDoesNotMatch</Code>`}},
		{"unsigned", "", region, url.Values{"Action": {"DescribeVpcs"}}, 403,
			[]string{`<Code>MissingAuthenticationToken</Code>`}},
		{"other region", "ec2", "eu-west-1", url.Values{"Action": {"DescribeVpcs"}}, 403,
			[]string{`<Code>SignatureDoesNotMatch</Code><Message>Credential should be scoped to a valid region, not &#39;eu-west-1&#39;. </Message>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, base, tt.service, tt.region, tt.form)
			if status != tt.status {
				t.Errorf("status %d, want %d: %s", status, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %s:\n%s", w, body)
				}
			}
		})
	}
}

// TestDescribeOverHTTPEqualsInProcess: each read answers the SDK over HTTP exactly what the
// simulator answers in-process, field for field (an empty string stays an empty string).
func TestDescribeOverHTTPEqualsInProcess(t *testing.T) {
	srv, sim, url := startServer(t)
	ctx := context.Background()
	c := sdkClients(url, srv.region)
	tg, lb := aws.String(""), aws.String("")
	if out, err := sim.ELBV2().DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{}); err == nil && len(out.TargetGroups) > 0 {
		tg, lb = out.TargetGroups[0].TargetGroupArn, aws.String(out.TargetGroups[0].LoadBalancerArns[0])
	}
	calls := []struct {
		op     string
		client any
		local  any
		in     any
	}{
		{"DescribeInstances", c["ec2"], sim.EC2(), &ec2.DescribeInstancesInput{}},
		{"DescribeImages", c["ec2"], sim.EC2(), &ec2.DescribeImagesInput{Owners: []string{"self"}}},
		{"DescribeSubnets", c["ec2"], sim.EC2(), &ec2.DescribeSubnetsInput{}},
		{"DescribeVpcs", c["ec2"], sim.EC2(), &ec2.DescribeVpcsInput{}},
		{"DescribeSecurityGroups", c["ec2"], sim.EC2(), &ec2.DescribeSecurityGroupsInput{}},
		{"DescribeInstanceTypeOfferings", c["ec2"], sim.EC2(), &ec2.DescribeInstanceTypeOfferingsInput{LocationType: "availability-zone"}},
		{"DescribeLoadBalancers", c["elasticloadbalancing"], sim.ELBV2(), &elbv2.DescribeLoadBalancersInput{}},
		{"DescribeTargetGroups", c["elasticloadbalancing"], sim.ELBV2(), &elbv2.DescribeTargetGroupsInput{}},
		{"DescribeTargetGroupAttributes", c["elasticloadbalancing"], sim.ELBV2(), &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: tg}},
		{"DescribeTargetHealth", c["elasticloadbalancing"], sim.ELBV2(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg}},
		{"DescribeListeners", c["elasticloadbalancing"], sim.ELBV2(), &elbv2.DescribeListenersInput{LoadBalancerArn: lb}},
	}
	var opts []cmp.Option
	for _, call := range calls {
		t.Run(call.op, func(t *testing.T) {
			args := []reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(call.in)}
			remote := reflect.ValueOf(call.client).MethodByName(call.op).Call(args)
			local := reflect.ValueOf(call.local).MethodByName(call.op).Call(args)
			if err, _ := remote[1].Interface().(error); err != nil {
				t.Fatal(err)
			}
			want, got := local[0].Elem().Interface(), remote[0].Elem().Interface()
			opts := append(opts, ignoreUnexportedAll(reflect.TypeOf(want))...)
			opts = append(opts, cmpopts.IgnoreTypes(middleware.Metadata{}))
			if d := cmp.Diff(want, got, opts...); d != "" {
				t.Errorf("%s differs (-in-process +over HTTP):\n%s", call.op, d)
			}
		})
	}
}

// TestServedOperationsAreTheSimulators: every EC2, ELBv2 and IAM operation served is one the
// simulator counts as its own (a failed call counts too), so the server serves the
// simulator's operation table and nothing beside it.
func TestServedOperationsAreTheSimulators(t *testing.T) {
	srv, sim := newTestServer(t)
	want := map[string]int{}
	for _, name := range []string{"ec2", "elasticloadbalancing", "iam"} {
		for op, o := range srv.services[name].ops {
			_, _ = o.call(context.Background(), reflect.New(o.input))
			want[op] = 1
		}
	}
	if len(want) < 20 {
		t.Fatalf("only %d operations served", len(want))
	}
	if d := cmp.Diff(want, sim.Calls()); d != "" {
		t.Errorf("served operations and the simulator's calls differ (-served +counted):\n%s", d)
	}
}

// TestRequestIDsRepeat: two servers of the same world answer the same requests with the same
// request IDs, so a rehearsal's transcript repeats exactly.
func TestRequestIDsRepeat(t *testing.T) {
	ids := func() []string {
		_, _, base := startServer(t)
		var out []string
		for _, action := range []string{"DescribeVpcs", "DescribeHosts", "DescribeSubnets"} {
			_, body := post(t, base, "ec2", "ap-northeast-1", url.Values{"Action": {action}})
			m := requestIDRe.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no request ID in %s", body)
			}
			out = append(out, m[1])
		}
		return out
	}
	first, second := ids(), ids()
	if d := cmp.Diff(first, second); d != "" || first[0] == first[1] {
		t.Errorf("request IDs: %v then %v", first, second)
	}
}

var requestIDRe = regexp.MustCompile(`<(?:requestId|RequestID)>([0-9a-f-]{36})</`)

// TestNilOutputIsInternalFailure: an operation that answers neither an output nor an error
// gets AWS's InternalFailure (500), not a dropped connection.
func TestNilOutputIsInternalFailure(t *testing.T) {
	srv, _, base := startServer(t)
	op := srv.services["ec2"].ops["DescribeVpcs"]
	op.method = reflect.MakeFunc(op.method.Type(), func([]reflect.Value) []reflect.Value {
		return []reflect.Value{reflect.Zero(op.method.Type().Out(0)), reflect.Zero(op.method.Type().Out(1))}
	})
	srv.services["ec2"].ops["DescribeVpcs"] = op
	status, body := post(t, base, "ec2", "ap-northeast-1", url.Values{"Action": {"DescribeVpcs"}})
	if status != 500 || !strings.Contains(body, "<Code>InternalFailure</Code>") {
		t.Errorf("%d %s", status, body)
	}
}
