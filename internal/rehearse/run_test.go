package rehearse

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/specs"
)

var blogDir = filepath.Join("..", "..", "examples", "blog")

// rehearseBlog rehearses the blog example on world (a world file, never written), with
// faults from a file if given, as plan -rehearse does.
func rehearseBlog(t *testing.T, world, faults string) *Report {
	t.Helper()
	stack, _, diags := specs.Load(blogDir, specs.Options{})
	if diags.HasErrors() {
		t.Fatalf("load the blog example: %v", diags)
	}
	be, err := backend.OpenSim(world)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w, err := be.Observe(ctx, stack)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	p, err := plan.Build(stack, w)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	before, err := json.Marshal(be.Sim.World())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(ctx, be, p, stack, Options{Faults: faults, RetryMode: aws.RetryModeAdaptive})
	if err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	// A rehearsal runs on a copy: the world it copied is as it was.
	if after, err := json.Marshal(be.Sim.World()); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the rehearsal changed the world it copied (%v)", err)
	}
	return r
}

// permille is a share in tenths of a percent, as the tables print it.
func permille(v float64) int { return int(math.Round(1000 * v)) }

// summary is a report as people read it: shares to the tenth of a percent, times to the second.
type summary struct {
	Error    string
	Elapsed  time.Duration
	Steps    []string // "N id", with " OUTAGE" and " failed"
	Routing  [][]int  // per listener, the percent failed in each window
	Changes  int      // the routing model's changes during the apply
	Legend   int
	Sessions string
	Phases   []string // "name step: failed‰ lost‰"
	Verdict  [5]int   // worst step, its failed‰, the step that lost most, during failed‰, after failed‰
	Local    bool
	Worst    string
}

func summarize(r *Report) summary {
	s := summary{Error: r.Error, Elapsed: r.Elapsed.Round(time.Second), Legend: len(r.Legend), Changes: len(r.Changes)}
	for _, st := range r.Steps {
		line := strconv.Itoa(st.N) + " " + st.ID
		if st.Outage {
			line += " OUTAGE"
		}
		if st.Failed {
			line += " failed"
		}
		s.Steps = append(s.Steps, line)
	}
	for _, rt := range r.Routing {
		var ps []int
		for _, w := range rt.Windows {
			ps = append(ps, Percent(w.Failed))
		}
		s.Routing = append(s.Routing, ps)
	}
	l := r.Listeners[0]
	s.Sessions, s.Local = l.Sessions, l.Verdict.LocalSessions
	for _, p := range l.Phases {
		s.Phases = append(s.Phases, p.Name+" "+p.Step+": "+strconv.Itoa(permille(p.Stats.Failed()))+" "+strconv.Itoa(permille(p.Stats.SessionsLost)))
	}
	v := l.Verdict
	s.Verdict = [5]int{v.WorstStep, permille(v.WorstFailed), v.LostIn, permille(v.During.Failed()), permille(v.After.Failed())}
	if w := l.Worst; w != nil {
		s.Worst = w.Answer + " " + w.From.String() + ".." + w.To.String() + " " + w.Step + " " + w.Causes[0]
	}
	return s
}

// Run on the blog example's world reports what the plan does to its clients: the steps in
// the order they ran, numbered as the plan numbers them; the seed's 504s from the 1c node;
// the reboot's outage as the worst moment; sessions lost without stickiness; and a stop.
func TestRun(t *testing.T) {
	seed := filepath.Join(blogDir, "world.json")
	tests := []struct {
		name, world, faults string
		want                summary
	}{{
		name: "the seed", world: seed,
		want: summary{
			Elapsed: 5*time.Minute + 39*time.Second,
			Steps: []string{"1 validate_launch.web.ap-northeast-1d", "4 enable_stickiness.web", "2 create_image.web OUTAGE",
				"3 launch_instance.web.ap-northeast-1d.1", "5 register_target.web.ap-northeast-1d.1", "6 trim_zones.web"},
			Routing: [][]int{{100, 33, 0}}, Changes: 7, Legend: 7, Sessions: "local", Local: true,
			Phases: []string{"before : 57 0", "step validate_launch.web.ap-northeast-1d: 333 0", "step enable_stickiness.web: 333 0",
				"step create_image.web: 87 0", "step launch_instance.web.ap-northeast-1d.1: 41 0",
				"step register_target.web.ap-northeast-1d.1: 46 0", "step trim_zones.web: 0 0", "after : 27 0"},
			Verdict: [5]int{1, 333, 0, 76, 27},
			Worst:   "504 0s..1m0s create_image.web i-0a1b2c3d4e5f60001 is rebooting (still healthy until it fails its health checks)",
		},
	}, {
		name: "an image that ends failed stops the plan at create_image", world: seed, faults: filepath.Join("testdata", "badimage.json"),
		want: summary{
			Error:   "create_image.web: image ami-fbaf48a981dfb63f9 is failed: Server.InternalError: Internal error",
			Elapsed: 4*time.Minute + 24*time.Second,
			Steps:   []string{"1 validate_launch.web.ap-northeast-1d", "4 enable_stickiness.web", "2 create_image.web OUTAGE failed"},
			Routing: [][]int{{100, 33}}, Changes: 5, Legend: 5, Sessions: "local", Local: true,
			Phases: []string{"before : 57 0", "step validate_launch.web.ap-northeast-1d: 333 0", "step enable_stickiness.web: 333 0",
				"step create_image.web: 87 0", "after : 47 0"},
			Verdict: [5]int{1, 333, 0, 87, 47},
			Worst:   "504 0s..1m0s create_image.web i-0a1b2c3d4e5f60001 is rebooting (still healthy until it fails its health checks)",
		},
	}, {
		name: "without stickiness half the sessions are lost before the step that turns it on", world: filepath.Join("testdata", "nosticky.json"),
		want: summary{
			Steps:   []string{"1 enable_stickiness.web"},
			Routing: [][]int{{0}}, Changes: 2, Sessions: "local", Local: true,
			Phases: []string{"before : 0 493", "step enable_stickiness.web: 0 0", "after : 0 2"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rehearseBlog(t, tt.world, tt.faults)
			got := summarize(r)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
			checkChanges(t, r)
		})
	}
}

// checkChanges: the routing model's changes fall within the apply, each differs from the
// listener's one before, and the last window of each listener ends where the apply did.
func checkChanges(t *testing.T, r *Report) {
	t.Helper()
	last := map[string]Traffic{}
	for _, c := range r.Changes {
		if c.Elapsed < 0 || c.Elapsed > r.Elapsed {
			t.Errorf("a change at %s, outside the apply (0s .. %s)", c.Elapsed, r.Elapsed)
		}
		if prev, ok := last[listenerKey(c.Traffic)]; ok && prev == c.Traffic {
			t.Errorf("a change at %s repeats the one before: %+v", c.Elapsed, c.Traffic)
		}
		last[listenerKey(c.Traffic)] = c.Traffic
	}
	for _, rt := range r.Routing {
		if n := len(rt.Windows); n == 0 || rt.Windows[n-1].To != r.Elapsed {
			t.Errorf("%s: the windows end at %v, the apply at %s", rt.Key, rt.Windows, r.Elapsed)
		}
	}
}
