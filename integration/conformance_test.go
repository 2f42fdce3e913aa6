package integration

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/conformance"
	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/simulator"
)

// motoHarness runs the conformance suite (internal/conformance) against moto: each case resets
// moto and seeds its world with mirror.Seed, through the SDK over HTTP.
type motoHarness struct{}

func (motoHarness) Name() string { return "moto" }

func (motoHarness) Start(t *testing.T, w *simulator.World) *conformance.Env {
	t.Helper()
	m := newMoto(t)
	s, err := mirror.Seed(context.Background(), m.seedAPI(), w)
	if err != nil {
		t.Fatalf("seed moto: %v", err)
	}
	// moto's states do not wait (motoDiffers, "instance-pending"), so there is no time to let pass.
	return &conformance.Env{EC2: m.ec2, ELBV2: m.elb, IAM: m.iam, IDs: s.IDs, Advance: func(time.Duration) {}}
}

// motoDiffers is every rule of the suite on which moto 5.2.6 is knowingly unlike AWS, with the
// reason: the one place that lists them (docs/aws-semantics.md, "Where moto differs", points
// here). A case of any other rule that fails against moto fails the test.
//
// Each reason says what moto does instead; "observed" ones were found by running the suite
// against moto 5.2.5 and hold for 5.2.6 (scripts/moto.sh pins the version).
var motoDiffers = map[string]string{
	// Time: moto's resources are in their final state at once.
	"instance-pending":       "moto's instances are running as soon as RunInstances answers; there is no pending state",
	"register-pending":       "moto's instances are running at once, so an instance just launched is never pending when it is registered",
	"image-pending":          "moto's images are available as soon as CreateImage answers; there is no pending state",
	"target-not-in-use":      "moto reports a target healthy in a zone the load balancer is not enabled in: it models no zones, no Target.NotInUse",
	"target-initial":         "moto reports every registered target healthy at once: no initial state, no health checks",
	"target-draining":        "moto removes a deregistered target at once: no draining state (the end state after the delay is the same)",
	"deregister-image":       "moto answers DescribeImages by the ID of a deregistered image with an empty list for ever, never InvalidAMIID.NotFound",
	"pagination-token":       "moto reads NextToken as a number: any other token is a 500 internal error, not InvalidPaginationToken (observed)",
	"describe-lb-attributes": "moto lists four attributes of a new ALB (access_logs.s3.*, deletion_protection.enabled): no idle_timeout.timeout_seconds (commented out in moto's elbv2 models for Terraform), and reports load_balancing.cross_zone.enabled false where AWS always has it on for an ALB",
	// Idempotency.
	"client-token": "moto ignores ClientToken: a repeat launches again, and other parameters are never IdempotentParameterMismatch",
	// Checks moto leaves out.
	"run-image-not-found":        "moto checks RunInstances' image only when the server runs with MOTO_ENABLE_AMI_VALIDATION=true, which scripts/moto.sh does not set (observed)",
	"image-name":                 "moto's CreateImage checks neither the form nor the uniqueness of the name (observed)",
	"image-instance-state":       "moto's CreateImage accepts a terminated instance (observed)",
	"image-id-malformed":         "moto checks only the ami- prefix of an image ID, so ami-nothex is InvalidAMIID.NotFound (observed)",
	"image-filters-with-ids":     "moto ignores Filters when ImageIds is given",
	"create-tags-all-or-nothing": "moto's CreateTags does not check that the resources exist: a call naming an unknown instance succeeds (observed)",
	"register-invalid-target":    "moto's RegisterTargets accepts an instance ID that does not exist (observed)",
	"attribute-unknown-key":      "moto stores any target group attribute key (observed)",
	"attribute-ranges": "moto checks no cookie duration and answers an out-of-range deregistration delay with ValidationError; " +
		"AWS does not document the code (docs/aws-semantics.md), the simulator answers InvalidConfigurationRequest for every attribute (observed)",
	"modify-target-group-ranges": "moto's ModifyTargetGroup checks no health check range (observed)",
	// Other answers.
	"attribute-keys":           "moto lists fewer target group attributes (no app_cookie, anomaly_mitigation or target_group_health keys; lb_cookie duration only once set) and adds waf.fail_open.enabled",
	"run-profile":              "moto looks the profile up in its IAM and answers IAM's NoSuchEntity (HTTP 404), not EC2's InvalidParameterValue",
	"deregister-unregistered":  "moto answers InvalidTarget for a target that is not registered; AWS succeeds and does nothing",
	"set-subnets-two-zones":    "moto answers one zone with InvalidConfigurationRequest \"More than 1 availability zone must be specified\", not ValidationError",
	"set-subnets-one-per-zone": "moto's SetSubnets turns every subnet error, its own two-subnets-in-one-zone check included, into SubnetNotFound (moto's elbv2 set_subnets)",
}

// TestMotoDiffersNamesRulesOfTheSuite: a difference listed for a rule the suite does not have
// (renamed, or mistyped) would excuse nothing and hide that it is stale.
func TestMotoDiffersNamesRulesOfTheSuite(t *testing.T) {
	rules := conformance.Rules()
	for rule := range motoDiffers {
		if !slices.Contains(rules, rule) {
			t.Errorf("motoDiffers lists %q, which is no rule of the conformance suite (rules: %v)", rule, rules)
		}
	}
}

func (motoHarness) Differs(rule string) (string, bool) {
	why, ok := motoDiffers[rule]
	return why, ok
}

// TestConformanceMoto runs the conformance suite against moto.
func TestConformanceMoto(t *testing.T) {
	motoEndpoint(t) // skip (or fail under CI) before any case
	conformance.RunConformance(t, motoHarness{})
}
