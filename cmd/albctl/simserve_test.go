package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/simserve"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/views"
)

// serveBuffer is a stdout that a test may read while the command writes it.
type serveBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *serveBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *serveBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveEnv keeps the SDK away from the user's configuration and the metadata service: the
// CLI gives a local endpoint placeholder credentials.
func serveEnv(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
}

func albctl(t *testing.T, ctx context.Context, stdout io.Writer, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: &stderr, Env: os.Environ()}
	code := m.Run(ctx, args)
	return code, stderr.String()
}

// serveWorld serves a copy of the blog world from an httptest server on 127.0.0.1.
func serveWorld(t *testing.T, opts simserve.Options) (url string, sim *simulator.Sim, srv *simserve.Server) {
	url, sim, srv, _ = serveWorldLogged(t, opts)
	return url, sim, srv
}

// requestLog records the method and path of every request a server served.
type requestLog struct {
	mu     sync.Mutex
	served []string
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.served = append(l.served, r.Method+" "+r.URL.Path)
}

func (l *requestLog) has(request string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.served, request)
}

// serveWorldLogged is serveWorld, with the log of the requests it serves.
func serveWorldLogged(t *testing.T, opts simserve.Options) (url string, sim *simulator.Sim, srv *simserve.Server, log *requestLog) {
	t.Helper()
	w, err := simulator.LoadWorld(filepath.Join("..", "..", "examples", "blog", "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	sim = simulator.New(w)
	srv = simserve.New(sim, opts)
	log = &requestLog{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add(r)
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL, sim, srv, log
}

// TestPlanAgainstSimServe: albctl's own plan, through the real SDK clients against sim
// serve, is the plan made in-process, line for line after the header naming the target.
func TestPlanAgainstSimServe(t *testing.T) {
	serveEnv(t)
	url, _, _ := serveWorld(t, simserve.Options{})
	spec := filepath.Join("..", "..", "examples", "blog")
	world := filepath.Join(t.TempDir(), "world.json")
	copyFile(t, filepath.Join(spec, "world.json"), world)
	ctx := context.Background()

	var overHTTP, inProcess bytes.Buffer
	if code, stderr := albctl(t, ctx, &overHTTP, "plan", "--cloud", "aws", "--endpoint", url, spec); code != 0 {
		t.Fatalf("plan against sim serve: exit %d\n%s", code, stderr)
	}
	if code, stderr := albctl(t, ctx, &inProcess, "plan", "--world", world, spec); code != 0 {
		t.Fatalf("plan in-process: exit %d\n%s", code, stderr)
	}
	_, remote, _ := strings.Cut(overHTTP.String(), "\n")
	_, local, _ := strings.Cut(inProcess.String(), "\n")
	if remote != local || !strings.Contains(local, "Plan: ") {
		t.Errorf("plans differ.\nover HTTP:\n%s\nin-process:\n%s", overHTTP.String(), inProcess.String())
	}
	if !strings.Contains(overHTTP.String(), "AWS account 123456789012, region ap-northeast-1, endpoint "+url) {
		t.Errorf("header does not name the served account and endpoint:\n%s", overHTTP.String())
	}
}

// TestApplyAgainstSimServe: apply converges through the SDK against sim serve, taking the
// apply lock on the server's S3 and releasing it; a plan afterwards has nothing to do. The
// engine waits on the wall clock against AWS, so the server's clock runs fast (rate=600).
func TestApplyAgainstSimServe(t *testing.T) {
	if testing.Short() {
		t.Skip("an apply against an endpoint waits on the wall clock (about 15 s)")
	}
	serveEnv(t)
	url, sim, srv, log := serveWorldLogged(t, simserve.Options{Buckets: []string{"locks"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go simserve.RunClock(ctx, sim, 600, 50*time.Millisecond)
	dir := t.TempDir()
	spec := filepath.Join(dir, "blog")
	if err := copyDir(filepath.Join("..", "..", "examples", "blog"), spec); err != nil {
		t.Fatal(err)
	}
	hcl := filepath.Join(spec, "alb.hcl")
	data, err := os.ReadFile(hcl)
	if err != nil {
		t.Fatal(err)
	}
	withLock := strings.Replace(string(data), "cloud {\n", "cloud {\n  lock = \"s3://locks/blog/apply.lock\"\n", 1)
	if err := os.WriteFile(hcl, []byte(withLock), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code, stderr := albctl(t, ctx, &out, "apply", "-auto-approve", "--cloud", "aws", "--endpoint", url, spec)
	if code != 0 || !strings.Contains(out.String(), "Apply complete!") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out.String(), stderr)
	}
	if n := sim.Calls()["RunInstances"]; n == 0 {
		t.Error("the apply launched nothing on the server")
	}
	took, released := log.has("PUT /locks/blog/apply.lock"), log.has("DELETE /locks/blog/apply.lock")
	if !took || !released {
		t.Errorf("the apply did not take (%v) and release (%v) its lock on the server's S3", took, released)
	}
	if _, objects := srv.Buckets(); len(objects) != 0 {
		t.Errorf("the lock was not released: %+v", objects)
	}
	out.Reset()
	code, stderr = albctl(t, ctx, &out, "plan", "-detailed-exitcode", "--cloud", "aws", "--endpoint", url, spec)
	if code != 0 || !strings.Contains(out.String(), "No changes.") {
		t.Errorf("plan after apply: exit %d\n%s\n%s", code, out.String(), stderr)
	}
}

var servingRe = regexp.MustCompile(`on (http://127\.0\.0\.1:\d+) `)

// TestSimServeCommand runs albctl sim serve: it serves on loopback, the control API moves
// the clock and saves, and an interrupt (a cancelled context) saves the world and the S3
// objects, which a second run reads back.
func TestSimServeCommand(t *testing.T) {
	serveEnv(t)
	world := filepath.Join(t.TempDir(), "world.json")
	copyFile(t, filepath.Join("..", "..", "examples", "blog", "world.json"), world)
	start := mustWorld(t, world).Now

	url, stop := startServe(t, world, "--bucket", "locks")
	post(t, url+"/_albctl/clock/advance?by=10m")
	post(t, url+"/_albctl/save")
	if got := mustWorld(t, world).Now; !got.Equal(start.Add(10 * time.Minute)) {
		t.Errorf("after save the world file's clock is %v, want %v", got, start.Add(10*time.Minute))
	}
	post(t, url+"/_albctl/clock/advance?by=5m")
	stop()
	if got := mustWorld(t, world).Now; !got.Equal(start.Add(15 * time.Minute)) {
		t.Errorf("after the interrupt the world file's clock is %v, want %v", got, start.Add(15*time.Minute))
	}
	buckets, _, err := simserve.LoadObjects(world)
	if err != nil || len(buckets) != 1 || buckets[0] != "locks" {
		t.Errorf("saved buckets = %v, %v", buckets, err)
	}
	// A second run serves what the first saved: its bucket exists without --bucket.
	url, stop = startServe(t, world)
	defer stop()
	if body := get(t, url+"/_albctl/clock"); !strings.Contains(body, start.Add(15*time.Minute).Format(time.RFC3339)) {
		t.Errorf("second run's clock: %s", body)
	}
}

func startServe(t *testing.T, world string, extra ...string) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &serveBuffer{}
	done := make(chan string)
	go func() {
		code, stderr := albctl(t, ctx, out, append([]string{"sim", "serve", "--world", world, "--addr", "127.0.0.1:0"}, extra...)...)
		if code != 0 {
			stderr = "exit " + stderr
		}
		done <- stderr
	}()
	for range 500 {
		if m := servingRe.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case stderr := <-done:
			t.Fatalf("sim serve stopped: %s", stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if url == "" {
		t.Fatal("sim serve did not say where it serves")
	}
	return url, func() {
		cancel()
		if stderr := <-done; strings.HasPrefix(stderr, "exit ") {
			t.Errorf("sim serve: %s", stderr)
		}
		if !strings.Contains(out.String(), "Saved "+world) {
			t.Errorf("sim serve did not save on interrupt:\n%s", out.String())
		}
	}
}

func mustWorld(t *testing.T, path string) *simulator.World {
	t.Helper()
	w, err := simulator.LoadWorld(path)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func post(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	return body(t, resp, err)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	return body(t, resp, err)
}

func body(t *testing.T, resp *http.Response, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", resp.Request.Method, resp.Request.URL, resp.StatusCode, b)
	}
	return string(b)
}

// TestSimServeFaults: --faults applies while serving (a throttled DescribeVpcs answers EC2's
// RequestLimitExceeded, 503), and the world file keeps its own faults when saved (not the
// throttle left over).
func TestSimServeFaults(t *testing.T) {
	serveEnv(t)
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	copyFile(t, filepath.Join("..", "..", "examples", "blog", "world.json"), world)
	faults := filepath.Join(dir, "faults.json")
	if err := os.WriteFile(faults, []byte(`{"throttle": {"DescribeVpcs": 2}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	url, stop := startServe(t, world, "--faults", faults)
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader("Action=DescribeVpcs&Version=2016-11-15"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20230514/ap-northeast-1/ec2/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "<Code>RequestLimitExceeded</Code>") {
		t.Errorf("throttled DescribeVpcs: %d %s", resp.StatusCode, b)
	}
	stop()
	if w := mustWorld(t, world); len(w.Faults.Throttle) != 0 {
		t.Errorf("the saved world holds the --faults throttle: %+v", w.Faults)
	}
}

// TestRehearseAgainstSimServe: `plan -rehearse --cloud aws` against sim serve (a snapshot of
// the served account, read through the SDK) shows what the rehearsal of the world file shows,
// share for share within a point, causes included. The copy's seed is a hash of the IDs it
// read (mirror.NotCarried), so the world file is rehearsed with that seed; sim serve keeps
// the world's IDs, so nothing else differs.
func TestRehearseAgainstSimServe(t *testing.T) {
	serveEnv(t)
	url, _, _ := serveWorld(t, simserve.Options{})
	spec := filepath.Join("..", "..", "examples", "blog")
	ctx := context.Background()
	var overHTTP bytes.Buffer
	if code, stderr := albctl(t, ctx, &overHTTP, "plan", "-rehearse", "-json", "--cloud", "aws", "--endpoint", url, spec); code != 0 {
		t.Fatalf("plan -rehearse against sim serve: exit %d\n%s", code, stderr)
	}
	remote := rehearsalOf(t, overHTTP.Bytes())
	w, err := simulator.LoadWorld(filepath.Join(spec, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	w.Seed = remote.Seed
	world := filepath.Join(t.TempDir(), "world.json")
	if err := w.Save(world); err != nil {
		t.Fatal(err)
	}
	var inProcess bytes.Buffer
	if code, stderr := albctl(t, ctx, &inProcess, "plan", "-rehearse", "-json", "--world", world, spec); code != 0 {
		t.Fatalf("plan -rehearse of the world file: exit %d\n%s", code, stderr)
	}
	local := rehearsalOf(t, inProcess.Bytes())
	if len(local.Listeners) == 0 || len(local.Listeners) != len(remote.Listeners) {
		t.Fatalf("listeners: %d in the world file's rehearsal, %d through sim serve", len(local.Listeners), len(remote.Listeners))
	}
	for i, l := range local.Listeners {
		r := remote.Listeners[i]
		if len(l.Phases) != len(r.Phases) {
			t.Fatalf("%s: %d phases in the world file's rehearsal, %d through sim serve", l.LoadBalancer, len(l.Phases), len(r.Phases))
		}
		for j, p := range l.Phases {
			q := r.Phases[j]
			a := []float64{p.Served, p.ConnErrors, p.Status502, p.Status503, p.Status504, p.AppErrors, p.SessionsLost}
			b := []float64{q.Served, q.ConnErrors, q.Status502, q.Status503, q.Status504, q.AppErrors, q.SessionsLost}
			for k := range a {
				if d := a[k] - b[k]; d > 0.01 || d < -0.01 || p.Phase != q.Phase || p.Step != q.Step || !slices.Equal(p.Why, q.Why) {
					t.Errorf("%s %s: world file %v %q, sim serve %s %s %v %q", p.Phase, p.Step, a, p.Why, q.Phase, q.Step, b, q.Why)
					break
				}
			}
		}
	}
	if local.Listeners[0].Phases[0].Status504 == 0 {
		t.Error("the blog world's rehearsal shows no 504 before the first step: the comparison would prove nothing")
	}
}

func rehearsalOf(t *testing.T, out []byte) views.RehearsalJSON {
	t.Helper()
	var doc struct {
		Rehearsal *views.RehearsalJSON `json:"rehearsal"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || doc.Rehearsal == nil {
		t.Fatalf("no rehearsal in the plan JSON (%v):\n%s", err, out)
	}
	return *doc.Rehearsal
}
