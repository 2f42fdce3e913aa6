package bench

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// Seed is the seed of every world Run generates, so that runs compare.
const Seed = 1

// Default sizes and launch counts of a run.
var (
	DefaultNs = []int{10, 100, 1000, 10000}
	DefaultKs = []int{1, 5, 20}
)

// Row is what Run measured for one N. Times are wall-clock medians on one goroutine, except
// PlanCPUNs, which is the CPU time of the whole process (garbage collector included).
type Row struct {
	N             int `json:"n"`
	Fleets        int `json:"fleets"` // = target groups
	LoadBalancers int `json:"load_balancers"`

	// PlanAPICalls are the calls one Observe makes (Build makes none), by operation.
	PlanAPICalls     int            `json:"plan_api_calls"`
	PlanAPICallsByOp map[string]int `json:"plan_api_calls_by_op"`
	PlanNs           int64          `json:"plan_ns"`    // Observe + Build
	ObserveNs        int64          `json:"observe_ns"` // Observe alone, in the same runs
	// ObserveClientNs is Observe against the simulator's recorded answers: albctl's own share
	// of ObserveNs, without the simulator's.
	ObserveClientNs     int64    `json:"observe_client_ns"`
	ObserveClientAllocs int64    `json:"observe_client_allocs"`
	BuildNs             int64    `json:"build_ns"` // Build alone, over one observed world
	PlanCPUNs           int64    `json:"plan_cpu_ns"`
	PlanAllocs          int64    `json:"plan_allocs"`      // heap allocations per Observe + Build
	PlanAllocBytes      int64    `json:"plan_alloc_bytes"` // bytes allocated per Observe + Build
	BuildAllocs         int64    `json:"build_allocs"`
	PeakBytes           int64    `json:"peak_bytes"` // live heap held by the observed world and the plan, after GC
	BytesPerInstance    float64  `json:"bytes_per_instance"`
	SimWorldBytes       int64    `json:"sim_world_bytes"` // live heap of the simulator's world
	PlanReps            int      `json:"plan_reps"`
	ApplySimSecondsK1   *float64 `json:"apply_sim_seconds_k1"`
	ApplySimSecondsK5   *float64 `json:"apply_sim_seconds_k5"`
	// ApplySimSecondsK20 and the two above are Apply[i].SimSeconds for K = 20, 1 and 5;
	// null when that K was not measured.
	ApplySimSecondsK20 *float64 `json:"apply_sim_seconds_k20"`
	Apply              []Apply  `json:"apply"`
	// SimOpsPerSec is the simulator's throughput on the Describe calls the engine polls with
	// (one instance by ID, one target's health, one image by ID), in turn.
	SimOpsPerSec float64 `json:"sim_ops_per_sec"`
	// ObserveDepth is the dependency depth of one Observe in round trips
	// (cloud.ObserveStats.Depth): the least it can take, however many calls are in flight.
	ObserveDepth int `json:"observe_depth"`
	// SimNs is the simulator's own share of ObserveNs (ObserveNs - ObserveClientNs).
	SimNs int64 `json:"sim_ns"`
	// Latency are plans made with a round trip injected in front of every call.
	Latency []LatencyRun `json:"latency"`
}

// LatencyRun is a plan (Observe + Build) made with RTTMs of latency in front of every call
// (Latency, on the real clock), with at most MaxInFlight calls in flight.
type LatencyRun struct {
	RTTMs       int   `json:"rtt_ms"`
	MaxInFlight int   `json:"max_in_flight"`
	PlanNs      int64 `json:"plan_ns"` // median wall time
	Calls       int   `json:"calls"`
	// Depth is the round trips on the critical path as the calls were made (Latency.Depth),
	// waits for a free slot included.
	Depth int `json:"depth"`
	// RoundTrips is (PlanNs - SimNs) / RTT: the plan's wall time in round trips once the
	// simulator's own time is taken off. The target is at most 4.
	RoundTrips float64 `json:"round_trips"`
}

// LatencyConfig is one latency measurement: a round trip and a bound on calls in flight.
type LatencyConfig struct {
	RTT         time.Duration
	MaxInFlight int // 0: cloud.DefaultMaxInFlight
}

// DefaultLatencies are 50 ms and 150 ms (a laptop or CI runner far from the region) with
// Observe's default bound, and 150 ms with half of it.
var DefaultLatencies = []LatencyConfig{
	{RTT: 50 * time.Millisecond}, {RTT: 150 * time.Millisecond}, {RTT: 150 * time.Millisecond, MaxInFlight: cloud.DefaultMaxInFlight / 2},
}

// Apply is the apply of one plan that launches K new instances into a fleet of the world.
type Apply struct {
	K             int            `json:"k"`
	Steps         int            `json:"steps"`
	SimSeconds    float64        `json:"sim_seconds"` // engine.Result.Elapsed on the virtual clock
	WallNs        int64          `json:"wall_ns"`
	APICalls      int            `json:"api_calls"`
	APICallsByOp  map[string]int `json:"api_calls_by_op"`
	ConvergedPlan bool           `json:"converged"` // a plan made after the apply is empty
	// PollCallsPerMinute: the apply's poll calls per simulated minute (PollCallsPerMinute).
	PollCallsPerMinute float64 `json:"poll_calls_per_minute"`
}

// Options tune a run. The zero value is what `albctl bench` uses.
type Options struct {
	// MinTime is how long each timed measurement runs at least (default 300ms); the plan is
	// repeated at least three times whatever the time.
	MinTime time.Duration
	// Progress, if set, receives each row as soon as it is measured.
	Progress func(Row)
	// Latencies are the latency measurements of each N (default DefaultLatencies; NoLatency
	// for none).
	Latencies []LatencyConfig
	NoLatency bool
}

// Run measures every N in ns with launches of every K in ks (defaults: DefaultNs, DefaultKs).
func Run(ctx context.Context, ns []int, ks []int) ([]Row, error) {
	return RunOptions(ctx, ns, ks, Options{})
}

// RunOptions is Run with options.
func RunOptions(ctx context.Context, ns []int, ks []int, opts Options) ([]Row, error) {
	if len(ns) == 0 {
		ns = DefaultNs
	}
	if len(ks) == 0 {
		ks = DefaultKs
	}
	if opts.MinTime <= 0 {
		opts.MinTime = 300 * time.Millisecond
	}
	if len(opts.Latencies) == 0 && !opts.NoLatency {
		opts.Latencies = DefaultLatencies
	}
	for _, n := range ns {
		if n < 1 {
			return nil, fmt.Errorf("bench: n must be at least 1, not %d", n)
		}
	}
	for _, k := range ks {
		if k < 1 || k > MaxExtra {
			return nil, fmt.Errorf("bench: k must be between 1 and %d, not %d", MaxExtra, k)
		}
	}
	var rows []Row
	for _, n := range ns {
		r, err := measure(ctx, n, ks, opts)
		if err != nil {
			return rows, fmt.Errorf("bench n=%d: %w", n, err)
		}
		rows = append(rows, r)
		if opts.Progress != nil {
			opts.Progress(r)
		}
	}
	return rows, nil
}

type fixture struct {
	sim   *simulator.Sim
	api   cloud.API
	stack *specs.Stack
}

func newFixture(n int) fixture {
	w, stack := Generate(n, Seed)
	sim := simulator.New(w)
	return fixture{sim: sim, api: cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}, stack: stack}
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func measure(ctx context.Context, n int, ks []int, opts Options) (Row, error) {
	lay := LayoutOf(n)
	r := Row{N: n, Fleets: lay.Fleets, LoadBalancers: lay.LoadBalancers}

	before := heap()
	fx := newFixture(n)
	r.SimWorldBytes = int64(heap()) - int64(before)

	tp, err := countCalls(ctx, fx, &r)
	if err != nil {
		return r, err
	}
	world, err := peakMemory(ctx, fx, &r)
	if err != nil {
		return r, err
	}
	if err := timePlans(ctx, fx, opts.MinTime, &r); err != nil {
		return r, err
	}
	if err := timeClient(ctx, fx, tp, world, opts.MinTime, &r); err != nil {
		return r, err
	}
	// Plans with a round trip in front of every call.
	for _, lc := range opts.Latencies {
		lr, err := withLatency(ctx, fx, lc, r.SimNs)
		if err != nil {
			return r, fmt.Errorf("latency %s: %w", lc.RTT, err)
		}
		r.Latency = append(r.Latency, lr)
	}
	if err := timeBuild(fx, world, opts.MinTime, &r); err != nil {
		return r, err
	}
	// Simulator throughput on the polls of an apply.
	r.SimOpsPerSec, err = simOps(ctx, fx, opts.MinTime)
	if err != nil {
		return r, fmt.Errorf("simulator operations: %w", err)
	}
	fx, world = fixture{}, nil
	return r, measureApplies(ctx, n, ks, &r)
}

// countCalls counts the API calls of one plan and its dependency depth, checks that the
// generated world is converged, and returns the answers recorded for the replays.
func countCalls(ctx context.Context, fx fixture, r *Row) (*tape, error) {
	fx.sim.ResetCalls()
	tp := &tape{}
	world, err := cloud.Observe(ctx, recorder(fx.api, tp), plan.QueryOf(fx.stack))
	if err != nil {
		return nil, fmt.Errorf("observe: %w", err)
	}
	r.PlanAPICallsByOp = fx.sim.Calls()
	for _, c := range r.PlanAPICallsByOp {
		r.PlanAPICalls += c
	}
	var st cloud.ObserveStats
	if _, err := cloud.ObserveWith(ctx, fx.api, plan.QueryOf(fx.stack), cloud.ObserveOptions{Stats: &st}); err != nil {
		return nil, err
	}
	r.ObserveDepth = st.Depth
	p, err := plan.Build(fx.stack, world)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	if !p.Empty() {
		return nil, fmt.Errorf("the generated world is not converged: %d steps, first %s", len(p.Steps), p.Steps[0].ID)
	}
	return tp, nil
}

// peakMemory measures the memory a plan holds (the observed world and the plan, live after a
// GC) and returns that world.
func peakMemory(ctx context.Context, fx fixture, r *Row) (*cloud.World, error) {
	before := heap()
	world, err := cloud.Observe(ctx, fx.api, plan.QueryOf(fx.stack))
	if err != nil {
		return nil, err
	}
	p, err := plan.Build(fx.stack, world)
	if err != nil {
		return nil, err
	}
	r.PeakBytes = int64(heap()) - int64(before)
	r.BytesPerInstance = float64(r.PeakBytes) / float64(r.N)
	runtime.KeepAlive(p)
	return world, nil
}

// timePlans times Observe + Build, repeated for at least minTime: wall medians, CPU and
// allocations per plan.
func timePlans(ctx context.Context, fx fixture, minTime time.Duration, r *Row) error {
	var obs, tot []time.Duration
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	start := time.Now()
	for len(tot) < 3 || time.Since(start) < minTime {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		w, err := cloud.Observe(ctx, fx.api, plan.QueryOf(fx.stack))
		if err != nil {
			return err
		}
		t1 := time.Now()
		if _, err := plan.Build(fx.stack, w); err != nil {
			return err
		}
		t2 := time.Now()
		obs, tot = append(obs, t1.Sub(t0)), append(tot, t2.Sub(t0))
		if len(tot) >= 1000 {
			break
		}
	}
	cpu1 := cpuTime()
	runtime.ReadMemStats(&ms1)
	r.PlanReps = len(tot)
	r.PlanNs, r.ObserveNs = int64(median(tot)), int64(median(obs))
	r.PlanCPUNs = int64(cpu1-cpu0) / int64(len(tot))
	r.PlanAllocs = int64(ms1.Mallocs-ms0.Mallocs) / int64(len(tot))
	r.PlanAllocBytes = int64(ms1.TotalAlloc-ms0.TotalAlloc) / int64(len(tot))
	return nil
}

// timeClient times Observe against the recorded answers, albctl's own share, after checking
// that it sees the recorded world.
func timeClient(ctx context.Context, fx fixture, tp *tape, world *cloud.World, minTime time.Duration, r *Row) error {
	replayed, err := cloud.Observe(ctx, player(tp), plan.QueryOf(fx.stack))
	if err != nil {
		return err
	}
	if !tp.rewind() || !reflect.DeepEqual(replayed, world) {
		return errors.New("observe against recorded answers does not see the recorded world")
	}
	replayed = nil
	var client []time.Duration
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	for len(client) < 3 || time.Since(start) < minTime {
		api := player(tp)
		t0 := time.Now()
		if _, err := cloud.Observe(ctx, api, plan.QueryOf(fx.stack)); err != nil {
			return err
		}
		client = append(client, time.Since(t0))
		if len(client) >= 10000 {
			break
		}
	}
	runtime.ReadMemStats(&ms1)
	r.ObserveClientNs = int64(median(client))
	r.ObserveClientAllocs = int64(ms1.Mallocs-ms0.Mallocs) / int64(len(client))
	r.SimNs = max(0, r.ObserveNs-r.ObserveClientNs)
	return nil
}

// timeBuild times Build alone over one observed world.
func timeBuild(fx fixture, world *cloud.World, minTime time.Duration, r *Row) error {
	var builds []time.Duration
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	for len(builds) < 5 || time.Since(start) < minTime {
		t0 := time.Now()
		if _, err := plan.Build(fx.stack, world); err != nil {
			return err
		}
		builds = append(builds, time.Since(t0))
		if len(builds) >= 10000 {
			break
		}
	}
	runtime.ReadMemStats(&ms1)
	r.BuildNs = int64(median(builds))
	r.BuildAllocs = int64(ms1.Mallocs-ms0.Mallocs) / int64(len(builds))
	return nil
}

// measureApplies applies K more instances for each K, each on a fresh world.
func measureApplies(ctx context.Context, n int, ks []int, r *Row) error {
	for _, k := range ks {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, err := applyMore(ctx, n, k)
		if err != nil {
			return fmt.Errorf("apply k=%d: %w", k, err)
		}
		r.Apply = append(r.Apply, a)
		secs := a.SimSeconds
		switch k {
		case 1:
			r.ApplySimSecondsK1 = &secs
		case 5:
			r.ApplySimSecondsK5 = &secs
		case 20:
			r.ApplySimSecondsK20 = &secs
		}
	}
	return nil
}

// withLatency makes three plans with lc's round trip in front of every call and returns the
// median.
func withLatency(ctx context.Context, fx fixture, lc LatencyConfig, simNs int64) (LatencyRun, error) {
	bound := lc.MaxInFlight
	if bound <= 0 {
		bound = cloud.DefaultMaxInFlight
	}
	lr := LatencyRun{RTTMs: int(lc.RTT / time.Millisecond), MaxInFlight: bound}
	lat := NewLatency(lc.RTT)
	api := lat.Wrap(fx.api)
	var walls []time.Duration
	for range 3 {
		lat.Reset()
		t0 := time.Now()
		w, err := cloud.ObserveWith(ctx, api, plan.QueryOf(fx.stack), cloud.ObserveOptions{MaxInFlight: bound})
		if err != nil {
			return lr, err
		}
		if _, err := plan.Build(fx.stack, w); err != nil {
			return lr, err
		}
		walls = append(walls, time.Since(t0))
		lr.Calls, lr.Depth = lat.Calls(), max(lr.Depth, lat.Depth())
	}
	lr.PlanNs = int64(median(walls))
	lr.RoundTrips = float64(lr.PlanNs-simNs) / float64(lc.RTT)
	return lr, nil
}

// applyMore plans K more instances in the first fleet of a fresh world of n, applies the plan
// on the simulator's clock, and checks that the world is then converged.
func applyMore(ctx context.Context, n, k int) (Apply, error) {
	a := Apply{K: k}
	fx := newFixture(n)
	stack := More(fx.stack, k)
	world, err := cloud.Observe(ctx, fx.api, plan.QueryOf(stack))
	if err != nil {
		return a, err
	}
	p, err := plan.Build(stack, world)
	if err != nil {
		return a, err
	}
	a.Steps = len(p.Steps)
	launches := 0
	for _, s := range p.Steps {
		if s.Kind == plan.LaunchInstance {
			launches++
		}
	}
	if launches != k {
		return a, fmt.Errorf("the plan launches %d instances, want %d", launches, k)
	}
	fx.sim.ResetCalls()
	t0 := time.Now()
	res, err := engine.Apply(ctx, p, fx.api, engine.Options{Clock: fx.sim.Clock(), World: world})
	a.WallNs = int64(time.Since(t0))
	if err != nil {
		return a, err
	}
	a.SimSeconds = res.Elapsed().Seconds()
	a.APICallsByOp = fx.sim.Calls()
	for _, c := range a.APICallsByOp {
		a.APICalls += c
	}
	a.PollCallsPerMinute = PollCallsPerMinute(a.APICallsByOp, a.SimSeconds)
	world, err = cloud.Observe(ctx, fx.api, plan.QueryOf(stack))
	if err != nil {
		return a, err
	}
	after, err := plan.Build(stack, world)
	if err != nil {
		return a, err
	}
	a.ConvergedPlan = after.Empty()
	if !a.ConvergedPlan {
		return a, fmt.Errorf("not converged after apply: %d steps left, first %s", len(after.Steps), after.Steps[0].ID)
	}
	return a, nil
}

// simOps runs the Describe calls the engine polls with, in turn, for at least d, and returns
// calls per second of wall time.
func simOps(ctx context.Context, fx fixture, d time.Duration) (float64, error) {
	w := fx.sim.World()
	if len(w.Instances) == 0 || len(w.TargetGroups) == 0 || len(w.Images) == 0 {
		return 0, errors.New("empty world")
	}
	ids := make([]string, len(w.Instances))
	for i, in := range w.Instances {
		ids[i] = in.ID
	}
	var targets []struct{ tg, id string }
	for _, tg := range w.TargetGroups {
		for _, t := range tg.Targets {
			targets = append(targets, struct{ tg, id string }{tg.ARN, t.ID})
		}
	}
	image := w.Images[len(w.Images)-1].ID
	ops := 0
	start := time.Now()
	for ops < 300 || time.Since(start) < d {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		var err error
		switch i := ops / 3; ops % 3 {
		case 0:
			_, err = fx.api.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{ids[i%len(ids)]}})
		case 1:
			t := targets[i%len(targets)]
			_, err = fx.api.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{
				TargetGroupArn: aws.String(t.tg), Targets: []elbtypes.TargetDescription{{Id: aws.String(t.id), Port: aws.Int32(80)}},
			})
		case 2:
			_, err = fx.api.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{image}})
		}
		if err != nil {
			return 0, err
		}
		ops++
		if ops >= 1_000_000 {
			break
		}
	}
	return float64(ops) / time.Since(start).Seconds(), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// ApplySimSeconds returns the simulated seconds of the apply of k more instances, if measured.
func (r *Row) ApplySimSeconds(k int) (float64, bool) {
	for _, a := range r.Apply {
		if a.K == k {
			return a.SimSeconds, true
		}
	}
	return 0, false
}

// Ops returns the operation names of every row's plan calls, sorted.
func Ops(rows []Row) []string {
	set := map[string]bool{}
	for _, r := range rows {
		for op := range r.PlanAPICallsByOp {
			set[op] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// ParseInts parses a comma-separated list of positive integers ("10,100,1000"); "_" may
// group digits ("10_000"). Numbers are decimal.
func ParseInts(s string) ([]int, error) {
	var out []int
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' {
			continue
		}
		f := strings.TrimSpace(s[start:i])
		start = i + 1
		if f == "" {
			continue
		}
		v, err := strconv.ParseInt(strings.ReplaceAll(f, "_", ""), 10, 64)
		if err != nil || v < 1 || v > 1_000_000 {
			return nil, fmt.Errorf("%q is not a count between 1 and 1000000", f)
		}
		out = append(out, int(v))
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}
