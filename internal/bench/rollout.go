package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/engine"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// DefaultRolloutMembers are the fleet sizes whose rollout Rollouts times.
var DefaultRolloutMembers = []int{2, 10, 50}

// Rollout is the simulated time of rolling Members members of a fleet onto a new image
// version with the rollout defaults (min_healthy_percent 100, max_surge 1, bake_time 0),
// against two references computed from the same world's latencies.
type Rollout struct {
	Members int `json:"members"`
	Batches int `json:"batches"`
	Steps   int `json:"steps"`
	// SimSeconds is the apply's simulated time (engine.Result.Elapsed).
	SimSeconds float64 `json:"sim_seconds"`
	// The world's latencies: the image bake, the mean pending time of a new member, one
	// passing health check after registration (registration delay + one interval), and the
	// deregistration delay.
	BakeSeconds   float64 `json:"bake_seconds"`
	LaunchSeconds float64 `json:"launch_seconds"`
	CheckSeconds  float64 `json:"check_seconds"`
	DrainSeconds  float64 `json:"drain_seconds"`
	// InherentSeconds is the chain no order of steps can shorten: the bake, then per batch
	// the slowest launch of the batch and one passing health check, then one deregistration
	// delay (the last old member's draining).
	InherentSeconds float64 `json:"inherent_seconds"`
	// ASGSeconds is what EC2 Auto Scaling's instance refresh would take with the same batch
	// settings, by its documented behaviour (docs/benchmarks.md, "Rollouts"): the same bake
	// and batches, but every batch also waits for its old members to drain and terminate
	// before the next batch may launch.
	ASGSeconds float64 `json:"asg_seconds"`
	// WithinTarget: SimSeconds is at most InherentSeconds plus one deregistration delay.
	WithinTarget bool `json:"within_target"`
	// APICalls are the calls of the apply, by operation; PollCallsPerMinute is its waiting
	// cost (see PollCallsPerMinute).
	APICalls           int            `json:"api_calls"`
	APICallsByOp       map[string]int `json:"api_calls_by_op"`
	PollCallsPerMinute float64        `json:"poll_calls_per_minute"`
}

// OverheadPercent is how much longer than its inherent chain the rollout took, in percent.
func (r Rollout) OverheadPercent() float64 {
	if r.InherentSeconds <= 0 {
		return 0
	}
	return 100 * (r.SimSeconds/r.InherentSeconds - 1)
}

// PollOps are the calls the engine waits with: an instance's state, an image's, a target's
// health, and a target group's health-check interval when the world does not give it.
var PollOps = []string{"DescribeImages", "DescribeInstances", "DescribeTargetGroups", "DescribeTargetHealth"}

// PollCallsPerMinute is the poll calls (PollOps) of an apply per simulated minute. Calls take
// no simulated time, so every simulated second of an apply is spent waiting for something:
// this is the apply's API cost per minute of waiting, what throttling counts.
func PollCallsPerMinute(byOp map[string]int, simSeconds float64) float64 {
	if simSeconds <= 0 {
		return 0
	}
	n := 0
	for _, op := range PollOps {
		n += byOp[op]
	}
	return float64(n) / (simSeconds / 60)
}

// Rollouts times a rollout of each fleet size in members (default DefaultRolloutMembers) on
// the simulator.
func Rollouts(ctx context.Context, members []int) ([]Rollout, error) {
	if len(members) == 0 {
		members = DefaultRolloutMembers
	}
	var out []Rollout
	for _, m := range members {
		if m < 1 || m > FleetCapacity-1 {
			return out, fmt.Errorf("bench: a rollout of %d members: between 1 and %d", m, FleetCapacity-1)
		}
		r, err := rollout(ctx, m)
		if err != nil {
			return out, fmt.Errorf("rollout of %d members: %w", m, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// rolloutVersion is the image version the rolled fleet moves to.
const rolloutVersion = "2024-02-01"

func rollout(ctx context.Context, m int) (Rollout, error) {
	r := Rollout{Members: m}
	w, stack := rolloutStack(m)
	f := &stack.Fleets[0]
	sim := simulator.New(w)
	if err := applyRollout(ctx, sim, stack, &r); err != nil {
		return r, err
	}
	// The world's own latencies, from what the apply made.
	end := sim.World()
	if err := worldLatencies(end, stack, f, &r); err != nil {
		return r, err
	}
	pending := launchTimes(end, f)
	if len(pending) != m || r.BakeSeconds <= 0 {
		return r, fmt.Errorf("found %d new members and a bake of %.0fs", len(pending), r.BakeSeconds)
	}
	size := max(1, f.Rollout.MaxSurge) // slack 0 at min_healthy_percent 100
	var sum time.Duration
	chain := r.BakeSeconds
	for first := 0; first < m; first += size {
		slowest := slices.Max(pending[first:min(first+size, m)])
		chain += slowest.Seconds() + r.CheckSeconds
		r.Batches++
	}
	for _, d := range pending {
		sum += d
	}
	r.LaunchSeconds = sum.Seconds() / float64(m)
	r.InherentSeconds = chain + r.DrainSeconds
	// Instance refresh (no warmup beyond the health check, the most favourable case): each
	// batch's old members drain and terminate before the next batch launches.
	r.ASGSeconds = chain + float64(r.Batches)*(r.DrainSeconds+simulator.ShuttingDown.Seconds())
	r.WithinTarget = r.SimSeconds <= r.InherentSeconds+r.DrainSeconds
	return r, nil
}

// rolloutStack is a generated world of two fleets of m+1 (the source and m members) with the
// rollout defaults, and its stack asking the first fleet for a new image version.
func rolloutStack(m int) (*simulator.World, *specs.Stack) {
	w, stack := Generate(2*(m+1), Seed)
	for i := range stack.Fleets {
		stack.Fleets[i].Rollout = specs.Rollout{
			MinHealthyPercent: specs.DefaultMinHealthyPercent, MaxSurge: specs.DefaultMaxSurge,
			HealthTimeout: specs.DefaultHealthTimeout, AutoRollback: true,
		}
		stack.Fleets[i].Image.Keep = specs.DefaultImageKeep
	}
	f := &stack.Fleets[0]
	f.Image.Name, f.Image.Version = f.Label+"-"+rolloutVersion, rolloutVersion
	return w, stack
}

// applyRollout plans the rollout (it must launch r.Members members), applies it on the
// simulator, records its steps and simulated time, and checks that the world converged.
func applyRollout(ctx context.Context, sim *simulator.Sim, stack *specs.Stack, r *Rollout) error {
	api := cloud.API{EC2: sim.EC2(), ELBV2: sim.ELBV2(), IAM: sim.IAM()}
	world, err := cloud.Observe(ctx, api, plan.QueryOf(stack))
	if err != nil {
		return err
	}
	p, err := plan.Build(stack, world)
	if err != nil {
		return err
	}
	r.Steps = len(p.Steps)
	launches := 0
	for _, s := range p.Steps {
		if s.Kind == plan.LaunchInstance {
			launches++
		}
	}
	if launches != r.Members {
		return fmt.Errorf("the plan launches %d members, want %d", launches, r.Members)
	}
	sim.ResetCalls()
	res, err := engine.Apply(ctx, p, api, engine.Options{Clock: sim.Clock(), World: world})
	if err != nil {
		return err
	}
	r.SimSeconds = res.Elapsed().Seconds()
	r.APICallsByOp = sim.Calls()
	for _, c := range r.APICallsByOp {
		r.APICalls += c
	}
	r.PollCallsPerMinute = PollCallsPerMinute(r.APICallsByOp, r.SimSeconds)
	after, err := cloud.Observe(ctx, api, plan.QueryOf(stack))
	if err != nil {
		return err
	}
	if q, err := plan.Build(stack, after); err != nil || !q.Empty() {
		return fmt.Errorf("not converged after the rollout (%v)", err)
	}
	return nil
}

// worldLatencies records the deregistration delay, the time to a first passing health check
// and the image bake, as the rolled fleet's target group and image have them.
func worldLatencies(end *simulator.World, stack *specs.Stack, f *specs.Fleet, r *Rollout) error {
	var tg *simulator.TargetGroup
	for i := range end.TargetGroups {
		if end.TargetGroups[i].Name == stack.TargetGroups[0].Name {
			tg = &end.TargetGroups[i]
		}
	}
	if tg == nil {
		return fmt.Errorf("target group %s gone", stack.TargetGroups[0].Name)
	}
	r.DrainSeconds = 300 // ELBv2's default deregistration delay
	if v, err := strconv.Atoi(tg.Attributes["deregistration_delay.timeout_seconds"]); err == nil {
		r.DrainSeconds = float64(v)
	}
	r.CheckSeconds = (simulator.RegistrationInProgress + tg.HealthCheck.Interval.D()).Seconds()
	for _, im := range end.Images {
		if im.Name == f.Image.Name {
			r.BakeSeconds = im.AvailableAt.Sub(im.CreatedAt).Seconds()
		}
	}
	return nil
}

// launchTimes are the new members' times from launch to running, in launch order.
func launchTimes(end *simulator.World, f *specs.Fleet) []time.Duration {
	var pending []time.Duration
	var launched []simulator.Instance
	for _, in := range end.Instances {
		if in.Tags[cloud.TagFleet] == f.Label && in.Tags[cloud.TagImageVersion] == rolloutVersion {
			launched = append(launched, in)
		}
	}
	slices.SortFunc(launched, func(a, b simulator.Instance) int { return a.LaunchTime.Compare(b.LaunchTime) })
	for _, in := range launched {
		pending = append(pending, in.RunningAt.Sub(in.LaunchTime))
	}
	return pending
}
