package rehearse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simserve"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// A rehearsal against an account (here sim serve on 127.0.0.1, through the SDK) runs on a
// snapshot: it reads with Describe, List and Get calls only, leaves the account as it was,
// says what the snapshot assumed, and shows the seed world's clients as the world file does.
func TestRunOnASnapshot(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	w, err := simulator.LoadWorld(filepath.Join(blogDir, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.New(w)
	before, _ := json.Marshal(sim.World())
	var mu sync.Mutex
	var calls []string
	srv := simserve.New(sim, simserve.Options{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, action(r))
		mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()

	stack, _, diags := specs.Load(blogDir, specs.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := context.Background()
	be, err := (&backend.Opener{Warnings: io.Discard}).Open(ctx, backend.Target{Cloud: "aws", Endpoint: hs.URL}, stack, false)
	if err != nil {
		t.Fatal(err)
	}
	world, err := be.Observe(ctx, stack)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(stack, world)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(ctx, be, p, stack, Options{RetryMode: aws.RetryModeAdaptive})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Assumptions) == 0 || r.World != fmt.Sprintf("a snapshot of %s, with %d assumptions", be.Header, len(r.Assumptions)) {
		t.Errorf("world %q, %d assumptions", r.World, len(r.Assumptions))
	}
	if got := summarize(r); got.Error != "" || len(got.Steps) != 6 || got.Phases[0] != "before : 57 0" || got.Verdict[0] != 1 {
		t.Errorf("the snapshot's rehearsal differs from the world file's: %+v", got)
	}
	for _, c := range calls {
		if !strings.HasPrefix(c, "Describe") && !strings.HasPrefix(c, "List") && !strings.HasPrefix(c, "Get") {
			t.Errorf("the rehearsal called %s on the account", c)
		}
	}
	if after, _ := json.Marshal(sim.World()); !bytes.Equal(before, after) {
		t.Error("the rehearsal changed the account")
	}
}

// action is the API operation of a request: the query protocol's Action, or the operation
// named by the JSON protocols' X-Amz-Target or the CBOR path.
func action(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		_, op, _ := strings.Cut(target, ".")
		return op
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if i := strings.LastIndex(r.URL.Path, "/operation/"); i >= 0 {
		return r.URL.Path[i+len("/operation/"):]
	}
	for _, kv := range strings.Split(string(body), "&") {
		if v, ok := strings.CutPrefix(kv, "Action="); ok {
			return v
		}
	}
	return r.Method + " " + r.URL.Path
}
