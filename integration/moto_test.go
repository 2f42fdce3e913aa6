package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/albctl/albctl/internal/bench"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/mirror"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
	"github.com/albctl/albctl/internal/testkit"
)

// motoEnv is the variable that names the moto endpoint.
const motoEnv = "ALBCTL_MOTO_ENDPOINT"

// motoRegion is the region of the example world.
const motoRegion = "ap-northeast-1"

// moto is a connection to a freshly reset moto server.
type moto struct {
	endpoint string
	cfg      aws.Config
	ec2      *ec2.Client
	elb      *elbv2.Client
	iam      *iam.Client
	cw       *cw.Client
}

// motoEndpoint returns the endpoint from the environment. Without one the test skips, or
// fails under CI=true: CI must never pass by skipping the tests against moto.
func motoEndpoint(t *testing.T) string {
	t.Helper()
	ep := os.Getenv(motoEnv)
	if ep != "" {
		return strings.TrimRight(ep, "/")
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set under CI=true: the tests against moto must run in CI (scripts/test.sh starts moto and sets it)", motoEnv)
	}
	t.Skipf("%s is not set: skipping the tests against moto (run `make test`, which starts moto, or `make e2e-docker`)", motoEnv)
	return ""
}

// newMoto resets the moto server and returns SDK clients for it. The credentials and region
// are set on these clients only, never in the process environment.
func newMoto(t *testing.T) *moto {
	t.Helper()
	ep := motoEndpoint(t)
	reset(t, ep)
	cfg := aws.Config{
		Region:       motoRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(ep),
	}
	return &moto{
		endpoint: ep,
		cfg:      cfg,
		ec2:      ec2.NewFromConfig(cfg),
		elb:      elbv2.NewFromConfig(cfg),
		iam:      iam.NewFromConfig(cfg),
		cw:       cw.NewFromConfig(cfg),
	}
}

// reset empties moto (POST /moto-api/reset), so every test starts from nothing.
func reset(t *testing.T, ep string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep+"/moto-api/reset", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("reset moto at %s: %v", ep, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reset moto at %s: %s: %s", ep, resp.Status, body)
	}
}

func (m *moto) api() cloud.API { return cloud.API{EC2: m.ec2, ELBV2: m.elb, IAM: m.iam} }

func (m *moto) seedAPI() mirror.SeedAPI {
	return mirror.SeedAPI{EC2: m.ec2, ELBV2: m.elb, IAM: m.iam}
}

// seed creates w in moto.
func (m *moto) seed(t *testing.T, w *simulator.World) *mirror.Seeded {
	t.Helper()
	s, err := mirror.Seed(context.Background(), m.seedAPI(), w)
	if err != nil {
		t.Fatalf("seed moto: %v", err)
	}
	return s
}

// repoPath is a path relative to the repository root.
func repoPath(p string) string { return filepath.Join("..", filepath.FromSlash(p)) }

func loadStack(t *testing.T, dir string) *specs.Stack {
	t.Helper()
	s, _, diags := specs.Load(dir, specs.Options{})
	if diags.HasErrors() {
		t.Fatalf("load spec %s: %v", dir, diags)
	}
	return s
}

// blogWithZones writes the blog example with other zone blocks to a temporary directory and
// returns it. zones are "AZ=count" pairs.
func blogWithZones(t *testing.T, zones ...string) string {
	t.Helper()
	data, err := os.ReadFile(repoPath("examples/blog/alb.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	start := strings.Index(src, `  zone "`)
	end := strings.LastIndex(src, "\n}")
	if start < 0 || end < start {
		t.Fatalf("examples/blog/alb.hcl no longer ends its fleet block with zone blocks; update blogWithZones")
	}
	var b strings.Builder
	for _, z := range zones {
		az, n, ok := strings.Cut(z, "=")
		if !ok {
			t.Fatalf("zone %q: want AZ=count", z)
		}
		fmt.Fprintf(&b, "  zone %q {\n    count = %s\n  }\n", az, n)
	}
	dir := t.TempDir()
	out := src[:start] + b.String() + src[end+1:]
	if err := os.WriteFile(filepath.Join(dir, "alb.hcl"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// observe reads the world for stack through api.
func observe(t *testing.T, api cloud.API, stack *specs.Stack) *cloud.World {
	t.Helper()
	w, err := cloud.Observe(context.Background(), api, plan.QueryOf(stack))
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	return w
}

func build(t *testing.T, stack *specs.Stack, w *cloud.World) *plan.Plan {
	t.Helper()
	p, err := plan.Build(stack, w)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// rounds renders the plans of a convergence, round by round.
func rounds(plans []*plan.Plan) string {
	var b strings.Builder
	for i, p := range plans {
		fmt.Fprintf(&b, "round %d:\n%s", i+1, testkit.Steps(p))
	}
	return b.String()
}

// counting wraps the cloud clients and counts calls by operation. Observe calls side by
// side, so counts are taken under a lock.
type counting struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *counting) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

func (c *counting) wrap(api cloud.API) cloud.API {
	return cloud.Intercept(api, func(ctx context.Context, op string, call func(context.Context) error) error {
		c.add(op)
		return call(ctx)
	})
}

func (c *counting) describes() (total int, byOp map[string]int) {
	byOp = map[string]int{}
	for op, n := range c.calls {
		if strings.HasPrefix(op, "Describe") {
			byOp[op] = n
			total += n
		}
	}
	return total, byOp
}

// albctl bench -moto's measurement (bench.Moto) against a real moto: each size is reset,
// seeded and planned through the SDK, and the plan is converged.
func TestBenchAgainstMoto(t *testing.T) {
	m := newMoto(t)
	rows, err := bench.Moto{URL: m.endpoint, API: m.api(), Seed: m.seedAPI()}.Measure(context.Background(), []int{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.N != []int{3, 4}[i] || r.SeedNs <= 0 || r.APICalls == 0 || r.BuildErrors != "" {
			t.Errorf("row %d: %+v", i, r)
		}
	}
	if len(rows) != 2 {
		t.Errorf("%d rows, want 2", len(rows))
	}
}
