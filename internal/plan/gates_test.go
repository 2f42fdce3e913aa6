package plan

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// gatedStack is fleetWorld(4) bumped to a new version, with gates at 25/50/100 %.
func gatedStack(edit func(r *specs.Rollout, im *specs.Image)) (*specs.Stack, *Plan, error) {
	s, w := fleetWorld(4)
	bump(s)
	one := 1.0
	r := &s.Fleets[0].Rollout
	r.BakeTime = 5 * time.Minute
	r.Gates = specs.Gates{Alarms: []string{"web-5xx"}, Max5xxPercent: &one, MaxP95Latency: 800 * time.Millisecond, Checkpoints: []int{25, 50, 100}, KeepOld: specs.KeepOldUntilDone}
	if edit != nil {
		edit(r, &s.Fleets[0].Image)
	}
	p, err := Build(s, w)
	return s, p, err
}

func TestGatesAtCheckpoints(t *testing.T) {
	t.Parallel()
	_, p, err := gatedStack(nil)
	if err != nil {
		t.Fatal(err)
	}
	var gates []*Step
	for i := range p.Steps {
		if p.Steps[i].Kind == Gate {
			gates = append(gates, &p.Steps[i])
		}
	}
	// 4 members (the source is not replaced), one a batch: checkpoints 25% (1), 50% (2),
	// 100% (4); batch 3 has only its bake wait.
	var at []int
	for _, g := range gates {
		at = append(at, g.Gate.Checkpoint)
	}
	if !slices.Equal(at, []int{25, 50, 100}) {
		t.Fatalf("gates at %v; steps %v", at, kinds(p))
	}
	g := gates[0].Gate
	if g.Replaced != 1 || g.Total != 4 || g.Bake.D() != 5*time.Minute || len(g.Rollback.Restore) != 1 || len(g.Rollback.Remove) != 1 || g.ImageStep == "" {
		t.Fatalf("first gate %+v", g)
	}
	if last := gates[2].Gate; len(last.Rollback.Restore) != 4 || len(last.Rollback.Remove) != 4 {
		t.Fatalf("last gate undoes %d/%d", len(last.Rollback.Restore), len(last.Rollback.Remove))
	}
	if !strings.Contains(gates[0].Reason, "alarm web-5xx, max_5xx_percent = 1, max_p95_latency = 800ms") {
		t.Errorf("reason %q", gates[0].Reason)
	}
	// Batch 2 starts only after the first gate; old members are terminated only after the
	// last gate (keep_old = "until_done").
	for _, s := range p.Steps {
		switch {
		case s.Kind == LaunchInstance && s.Launch.Replaces != "" && s.ID != p.Steps[indexOf(p, gates[0].Gate.Rollback.Remove[0].InstanceStep)].ID:
			if !dependsOn(p, s.ID, gates[0].ID) {
				t.Errorf("%s does not wait for %s", s.ID, gates[0].ID)
			}
		case s.Kind == TerminateInstance:
			if !dependsOn(p, s.ID, gates[2].ID) {
				t.Errorf("%s does not wait for the last gate", s.ID)
			}
		}
	}
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	// A saved plan keeps its gates: written as JSON and read back, they are the same.
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(gates[0].Gate, back.Steps[indexOf(&back, gates[0].ID)].Gate); diff != "" {
		t.Errorf("gate after a JSON round trip (-want +got):\n%s", diff)
	}
}

func indexOf(p *Plan, id string) int {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return i
		}
	}
	return -1
}

func TestPlanRefusesGatesItCannotJudgeOrUndo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(r *specs.Rollout, im *specs.Image)
		want string
	}{
		{"bake shorter than a metric period", func(r *specs.Rollout, _ *specs.Image) { r.BakeTime = 30 * time.Second }, "bake_time must be at least 1m"},
		{"previous image not kept", func(_ *specs.Rollout, im *specs.Image) { im.Keep = 1 }, "image.keep = 1"},
		{"previous image not kept, old members relaunched", func(r *specs.Rollout, im *specs.Image) { r.Gates.KeepOld, im.Keep = "", 1 }, "image.keep = 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := gatedStack(tc.edit)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCheckpointAt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cps                  []int
		before, after, total int
		want                 int
	}{
		{[]int{25, 50, 100}, 0, 1, 4, 25},
		{[]int{25, 50, 100}, 2, 3, 4, 0},
		{[]int{25, 50, 100}, 0, 2, 4, 50}, // a batch of two passes two checkpoints: judged once
		{nil, 0, 2, 4, 0},
		{nil, 2, 4, 4, 100},
		{[]int{10, 100}, 0, 1, 3, 10},
	} {
		if got := checkpointAt(tc.cps, tc.before, tc.after, tc.total); got != tc.want {
			t.Errorf("checkpointAt(%v, %d, %d, %d) = %d, want %d", tc.cps, tc.before, tc.after, tc.total, got, tc.want)
		}
	}
}

// Check refuses a plan (a hand-edited saved one) that breaks a gate's rules.
func TestCheckGateRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(p *Plan)
		want string
	}{
		{"a later launch does not wait for the gate", func(p *Plan) {
			s := &p.Steps[indexOf(p, "launch_instance.web.ap-northeast-1d.1")]
			s.DependsOn = slices.DeleteFunc(s.DependsOn, func(d string) bool {
				return strings.HasPrefix(d, "gate.") || strings.HasPrefix(d, "register_target.") || strings.HasPrefix(d, "deregister_target.")
			})
		}, "the rollout goes on past a checkpoint only once its gate passes"},
		{"an old member is terminated before the last gate", func(p *Plan) {
			for i := range p.Steps {
				if p.Steps[i].Kind == TerminateInstance {
					p.Steps[i].DependsOn = slices.DeleteFunc(p.Steps[i].DependsOn, func(d string) bool { return strings.HasPrefix(d, "gate.") })
				}
			}
		}, "an old member a gate may register again runs until the gate passes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, w := fleetWorld(4)
			bump(s)
			one := 1.0
			s.Fleets[0].Rollout.BakeTime = 5 * time.Minute
			s.Fleets[0].Rollout.Gates = specs.Gates{Max5xxPercent: &one, Checkpoints: []int{25, 50, 100}, KeepOld: specs.KeepOldUntilDone}
			p := build(t, s, w)
			tc.edit(p)
			var msgs []string
			for _, err := range Check(w, p) {
				msgs = append(msgs, err.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Fatalf("Check: %v, want %q", msgs, tc.want)
			}
		})
	}
}

// The first gate of gatedStack's plan, for tests that edit it.
func firstGate(t *testing.T, p *Plan) *Step {
	t.Helper()
	for i := range p.Steps {
		if p.Steps[i].Kind == Gate {
			return &p.Steps[i]
		}
	}
	t.Fatal("no gate in the plan")
	return nil
}

// Validate accepts a saved plan's gate exactly when the apply can judge and undo it: a bake
// of at least one metric period, at least one guard, and a rollback that names each member.
func TestValidateGateParameters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(g *GateParams)
		want string // "" for accepted
	}{
		{"bake of exactly one metric period", func(g *GateParams) { g.Bake = clock.Duration(time.Minute) }, ""},
		{"bake shorter than a metric period", func(g *GateParams) { g.Bake = clock.Duration(59 * time.Second) }, "gate.bake of at least 1m"},
		{"only a latency guard", func(g *GateParams) { g.Alarms, g.Max5xxPercent = nil, nil }, ""},
		{"only an alarm", func(g *GateParams) { g.Max5xxPercent, g.MaxP95Latency = nil, 0 }, ""},
		{"no guard at all", func(g *GateParams) { g.Alarms, g.Max5xxPercent, g.MaxP95Latency = nil, nil, 0 }, "a gate: gate.alarms"},
		{"removal named by instance ID only", func(g *GateParams) {
			g.Rollback.Remove[0].InstanceStep, g.Rollback.Remove[0].InstanceID = "", "i-0aaaaaaaaaaaaaaa9"
		}, ""},
		{"removal naming no member", func(g *GateParams) { g.Rollback.Remove[0].InstanceStep, g.Rollback.Remove[0].InstanceID = "", "" }, "gate.rollback.remove[].instance_step or instance_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p, err := gatedStack(nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(firstGate(t, p).Gate)
			err = Validate(p)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate refused the gate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want %q", err, tc.want)
			}
		})
	}
}

// A gate names for people only the guards the spec sets.
func TestGateNamesListOnlyTheGuardsSet(t *testing.T) {
	t.Parallel()
	one := 1.5
	for _, tc := range []struct {
		name string
		g    GateParams
		want []string
	}{
		{"alarms only", GateParams{Alarms: []string{"web-5xx", "web-latency"}}, []string{"alarm web-5xx", "alarm web-latency"}},
		{"5xx only", GateParams{Max5xxPercent: &one}, []string{"max_5xx_percent = 1.5"}},
		{"latency only", GateParams{MaxP95Latency: clock.Duration(800 * time.Millisecond)}, []string{"max_p95_latency = 800ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.g.Names(); !slices.Equal(got, tc.want) {
				t.Errorf("Names() = %q, want %q", got, tc.want)
			}
		})
	}
}

// The plan's refusal names the fleet's gates as the spec sets them, and only those.
func TestRefusalNamesTheGatesSet(t *testing.T) {
	t.Parallel()
	one := 2.0
	for _, tc := range []struct {
		name  string
		gates specs.Gates
		want  string
	}{
		{"alarm only", specs.Gates{Alarms: []string{"web-5xx"}}, `has gates (alarm web-5xx) and bake_time = 30s`},
		{"5xx only", specs.Gates{Max5xxPercent: &one}, `has gates (max_5xx_percent = 2) and bake_time = 30s`},
		{"latency only", specs.Gates{MaxP95Latency: 2 * time.Second}, `has gates (max_p95_latency = 2s) and bake_time = 30s`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := gatedStack(func(r *specs.Rollout, _ *specs.Image) { r.Gates, r.BakeTime = tc.gates, 30*time.Second })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// A bake of exactly one metric period is enough for the gates.
func TestBakeOfOneMetricPeriodIsEnough(t *testing.T) {
	t.Parallel()
	if _, _, err := gatedStack(func(r *specs.Rollout, _ *specs.Image) { r.BakeTime = time.Minute }); err != nil {
		t.Fatal(err)
	}
}

// resumedGatedWorld is fleetWorld(members) bumped to a new version whose image ami-0v2
// exists (with the given tags), gated at 100%, after an interrupted rollout already replaced
// the 1d member of slot 1: its new member serves, the old one still runs.
func resumedGatedWorld(members int, imageTags map[string]string) (*specs.Stack, *cloud.World) {
	s, w := fleetWorld(members)
	bump(s)
	one := 1.0
	s.Fleets[0].Rollout.BakeTime = 5 * time.Minute
	s.Fleets[0].Rollout.Gates = specs.Gates{Max5xxPercent: &one, KeepOld: specs.KeepOldUntilDone}
	nu := member("i-0ddddddddddddddd1", "ap-northeast-1d", "subnet-0d", 1)
	nu.Tags[cloud.TagImageVersion] = "2024-01-01"
	nu.ImageID = "ami-0v2"
	w.Instances = append(w.Instances, nu)
	w.Images = append(w.Images, cloud.Image{ID: "ami-0v2", Name: "web-2024-01-01", State: "available", Tags: imageTags})
	w.TargetGroups[0].Targets = append(w.TargetGroups[0].Targets, cloud.Target{ID: nu.ID, Port: 80, State: "healthy"})
	return s, w
}

// A gate counts the slots an interrupted rollout already replaced in the fleet's total, and
// a version a gate rolled back is announced when, and only when, this plan launches it again.
func TestResumedGateAndRolledBackVersion(t *testing.T) {
	t.Parallel()
	rolledBack := map[string]string{cloud.TagRolledBack: "gate web batch 1: max_5xx_percent = 1."}
	for _, tc := range []struct {
		name        string
		members     int
		tags        map[string]string
		total       int
		wantWarning bool
		bakeUnused  bool // one batch of new launches: bake_time has nothing to wait between
	}{
		{"one slot left to replace, version rolled back before", 2, rolledBack, 2, true, true},
		{"one slot left to replace, never rolled back", 2, nil, 2, false, true},
		{"every slot already replaced, version rolled back before", 1, rolledBack, 1, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, w := resumedGatedWorld(tc.members, tc.tags)
			p := build(t, s, w)
			var gates []*Step
			for i := range p.Steps {
				if p.Steps[i].Kind == Gate {
					gates = append(gates, &p.Steps[i])
				}
			}
			if len(gates) != 1 {
				t.Fatalf("gates: %v", kinds(p))
			}
			g := gates[0]
			if g.Gate.Total != tc.total || g.Gate.Replaced != tc.total || g.Gate.Checkpoint != 100 {
				t.Errorf("gate at %d%%, %d of %d replaced; want 100%%, %d of %d", g.Gate.Checkpoint, g.Gate.Replaced, g.Gate.Total, tc.total, tc.total)
			}
			if want := fmt.Sprintf("(%d of %d replaced)", tc.total, tc.total); !strings.Contains(g.Reason, want) {
				t.Errorf("reason %q does not say %q", g.Reason, want)
			}
			warned := strings.Contains(strings.Join(p.Warnings, "\n"), `image version "2024-01-01" (ami-0v2) was rolled back by a gate: gate web batch 1: max_5xx_percent = 1. This plan tries it again`)
			if warned != tc.wantWarning {
				t.Errorf("rolled-back warning = %v, want %v; warnings %q", warned, tc.wantWarning, p.Warnings)
			}
			if bake := strings.Contains(strings.Join(p.Warnings, "\n"), "bake_time = 5m is not used"); bake != tc.bakeUnused {
				t.Errorf("bake_time warning = %v, want %v; warnings %q", bake, tc.bakeUnused, p.Warnings)
			}
		})
	}
}

// A gate reads its guards in the zones the fleet has members in, sorted; a zone the spec
// sets to zero members has no target to judge.
func TestGateReadsTheZonesWithMembers(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(4)
	bump(s)
	one := 1.0
	s.Fleets[0].Rollout.BakeTime = 5 * time.Minute
	s.Fleets[0].Rollout.Gates = specs.Gates{Max5xxPercent: &one, KeepOld: specs.KeepOldUntilDone}
	s.Fleets[0].Zones = append([]specs.FleetZone{{AZ: "ap-northeast-1c", Count: 0}}, s.Fleets[0].Zones[1], s.Fleets[0].Zones[0])
	p := build(t, s, w)
	g := firstGate(t, p).Gate
	if want := []string{"ap-northeast-1a", "ap-northeast-1d"}; !slices.Equal(g.Zones, want) {
		t.Errorf("gate zones %q, want %q", g.Zones, want)
	}
}

// Check refuses a plan in which any one old member is terminated before the last gate,
// which may register it again, has passed; a fleet of one member included, where the gate
// restores that member alone.
func TestCheckKeepsEachOldMemberUntilTheLastGate(t *testing.T) {
	t.Parallel()
	for _, members := range []int{1, 4} {
		s, w := fleetWorld(members)
		bump(s)
		one := 1.0
		s.Fleets[0].Rollout.BakeTime = 5 * time.Minute
		s.Fleets[0].Rollout.Gates = specs.Gates{Max5xxPercent: &one, Checkpoints: []int{25, 50, 100}, KeepOld: specs.KeepOldUntilDone}
		p := build(t, s, w)
		var terms []string
		for _, s := range p.Steps {
			if s.Kind == TerminateInstance {
				terms = append(terms, s.ID)
			}
		}
		if len(terms) != members {
			t.Fatalf("terminations %q", terms)
		}
		for _, id := range terms {
			t.Run(fmt.Sprintf("%d members/%s", members, id), func(t *testing.T) {
				q := clone(t, p)
				s := &q.Steps[indexOf(q, id)]
				s.DependsOn = slices.DeleteFunc(s.DependsOn, func(d string) bool { return strings.HasPrefix(d, "gate.") })
				var msgs []string
				for _, err := range Check(w, q) {
					msgs = append(msgs, err.Error())
				}
				if want := "an old member a gate may register again runs until the gate passes"; !strings.Contains(strings.Join(msgs, "\n"), want) {
					t.Fatalf("Check: %v, want %q", msgs, want)
				}
			})
		}
	}
}

// Launching a version again after a gate rolled it back takes new ClientTokens, one per
// rollback (the tag's value enters them), so EC2 does not hand back the members the
// rollback terminated; the same rollback gives the same tokens on a re-run.
func TestRetryAfterRollbackTakesNewTokens(t *testing.T) {
	t.Parallel()
	token := func(tags map[string]string) string {
		s, w := resumedGatedWorld(2, tags)
		return step(t, build(t, s, w), LaunchInstance).Launch.ClientToken
	}
	first := map[string]string{cloud.TagRolledBack: "gate web batch 1: max_5xx_percent = 1."}
	second := map[string]string{cloud.TagRolledBack: "gate web batch 2: alarm web-5xx."}
	never, a, again, b := token(nil), token(first), token(first), token(second)
	if a != again {
		t.Errorf("the same rollback gives tokens %q and %q", a, again)
	}
	if a == never || b == never || a == b {
		t.Errorf("tokens never rolled back %q, after rollback 1 %q, after rollback 2 %q: want three different", never, a, b)
	}
}

// In a rollout with gates, a batch's launch says which gate it waits for; the first batch
// waits for none.
func TestLaunchReasonNamesTheGateItWaitsFor(t *testing.T) {
	t.Parallel()
	_, p, err := gatedStack(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if s.Kind != LaunchInstance {
			continue
		}
		waits := strings.Contains(s.Reason, "; starts once gate.")
		if first := strings.Contains(s.Reason, "rollout batch 1:"); first == waits {
			t.Errorf("%s: reason %q (a batch after the first names its gate, the first none)", s.ID, s.Reason)
		}
	}
	if i := indexOf(p, "launch_instance.web.ap-northeast-1a.2"); i < 0 || !strings.Contains(p.Steps[i].Reason, "starts once gate.web.batch-") {
		t.Errorf("no later launch names its gate: %v", kinds(p))
	}
}

// When every slot was already replaced but the version's image is gone (deregistered since),
// the plan makes the image again and the gate, which tags that image on a rollback, waits
// for it.
func TestGateWaitsForTheImageItWouldTag(t *testing.T) {
	t.Parallel()
	s, w := resumedGatedWorld(1, nil)
	w.Images = slices.DeleteFunc(w.Images, func(im cloud.Image) bool { return im.ID == "ami-0v2" })
	p := build(t, s, w)
	g := firstGate(t, p)
	if g.Gate.ImageStep == "" || !dependsOn(p, g.ID, g.Gate.ImageStep) {
		t.Fatalf("gate %s (image step %q) does not wait for the image; steps %v", g.ID, g.Gate.ImageStep, kinds(p))
	}
}

// Without keep_old, a rollout with gates terminates each old member as it is replaced, and
// each gate's rollback relaunches the ones replaced so far from the image they run, in
// their subnet, with their type, groups, profile and tags, under a token that every gate
// shares for the same member and that a later version does not reuse.
func TestGatesWithoutKeepOldRelaunchTheOldMembers(t *testing.T) {
	_, p, err := gatedStack(func(r *specs.Rollout, _ *specs.Image) { r.Gates.KeepOld = "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	var gates []*Step
	for i := range p.Steps {
		if p.Steps[i].Kind == Gate {
			gates = append(gates, &p.Steps[i])
		}
	}
	if len(gates) != 3 {
		t.Fatalf("%d gates; steps %v", len(gates), kinds(p))
	}
	first, last := gates[0].Gate.Rollback, gates[2].Gate.Rollback
	if len(first.Restore) != 0 || len(first.Relaunch) != 1 || len(first.Remove) != 1 || len(last.Relaunch) != 4 || len(last.Remove) != 4 {
		t.Fatalf("rollbacks: first %+v, last relaunches %d, removes %d", first, len(last.Relaunch), len(last.Remove))
	}
	rl := first.Relaunch[0]
	_, w := fleetWorld(4)
	var in cloud.Instance
	ok := false
	for _, i := range w.Instances {
		if i.ID == rl.Launch.Replaces {
			in, ok = i, true
		}
	}
	if !ok {
		t.Fatalf("relaunch replaces %q, not an old member", rl.Launch.Replaces)
	}
	want := LaunchParams{ImageID: "ami-0new", ImageName: "web-2023-05-14", AZ: in.AZ, SubnetID: in.SubnetID, InstanceType: in.InstanceType,
		SecurityGroupIDs: in.SecurityGroupIDs, IAMProfile: in.IAMProfileARN, ClientToken: rl.Launch.ClientToken, Tags: in.Tags, Replaces: in.ID}
	if !reflect.DeepEqual(rl.Launch, want) || rl.TargetGroupARN != w.TargetGroups[0].ARN || rl.Port != 80 || rl.Name != in.Tags["Name"] {
		t.Errorf("relaunch %+v\nwant launch %+v", rl, want)
	}
	if rl.Launch.ClientToken != last.Relaunch[0].Launch.ClientToken {
		t.Errorf("the last gate relaunches %s with token %s, the first with %s", in.ID, last.Relaunch[0].Launch.ClientToken, rl.Launch.ClientToken)
	}
	for _, s := range p.Steps {
		if s.Launch != nil && s.Launch.ClientToken == rl.Launch.ClientToken {
			t.Errorf("%s has the relaunch's token", s.ID)
		}
		// Old members go as they are replaced, not after the last gate.
		if s.Kind == TerminateInstance && dependsOn(p, s.ID, gates[2].ID) {
			t.Errorf("%s waits for the last gate without keep_old", s.ID)
		}
	}
	if !strings.Contains(gates[0].Reason, "the 1 old member(s) the rollout terminated ("+in.Tags["Name"]+") are relaunched from the image they ran") {
		t.Errorf("reason %q", gates[0].Reason)
	}
	// Another version relaunches the same member under another token.
	_, p2, err := gatedStack(func(r *specs.Rollout, im *specs.Image) {
		r.Gates.KeepOld, im.Version, im.Name = "", "2024-02-02", "web-2024-02-02"
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := firstGate(t, p2); g.Gate.Rollback.Relaunch[0].Launch.ClientToken == rl.Launch.ClientToken {
		t.Error("a rollout of another version reuses the relaunch token")
	}
	// A saved plan keeps its relaunches.
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Steps[indexOf(&back, gates[0].ID)].Gate; !reflect.DeepEqual(got, gates[0].Gate) {
		t.Errorf("gate after a JSON round trip:\n%+v\nwant\n%+v", got, gates[0].Gate)
	}
}

// A rollback relaunches from the image the old members run: when the account no longer has
// it, the plan refuses, naming the rollout block; with keep_old it needs no image. The
// image a relaunch needs is not cleaned up, whatever image.keep says.
func TestRelaunchNeedsThePreviousImage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keepOld string
		state   string // of ami-0new; "" removes it
		want    string
	}{
		{"gone", "", "", "ami-0new (image of web-"},
		{"failed", "", "failed", "is in state failed"},
		{"kept old members need no image", specs.KeepOldUntilDone, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, w := fleetWorld(4)
			bump(s)
			one := 1.0
			s.Fleets[0].Rollout.BakeTime = 5 * time.Minute
			s.Fleets[0].Rollout.Gates = specs.Gates{Max5xxPercent: &one, KeepOld: tc.keepOld}
			s.Fleets[0].Rollout.DeclRange.Filename = "alb.hcl"
			s.Fleets[0].Rollout.DeclRange.Start.Line = 42
			var images []cloud.Image
			for _, im := range w.Images {
				if im.ID == "ami-0new" {
					if tc.state == "" {
						continue
					}
					im.State = tc.state
				}
				images = append(images, im)
			}
			w.Images = images
			_, err := Build(s, w)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "alb.hcl:42") || !strings.Contains(err.Error(), "Gates need the previous image") || strings.Contains(err.Error(), "other diagnostic") {
				t.Fatalf("got %v, want %q at alb.hcl:42", err, tc.want)
			}
		})
	}
}

// An alarm the gates name that the account does not have is refused at plan time, at the
// alarms list; one it has passes; a world whose alarms were not read is not judged.
func TestPlanRefusesAnAlarmTheAccountLacks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		read   bool
		alarms []string
		want   string
	}{
		{"missing", true, []string{"web-latency"}, `alarm "web-5xx", which CloudWatch does not have in`},
		{"present", true, []string{"web-5xx"}, ""},
		{"not read", false, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, w := fleetWorld(4)
			bump(s)
			one := 1.0
			r := &s.Fleets[0].Rollout
			r.BakeTime = 5 * time.Minute
			r.Gates = specs.Gates{Alarms: []string{"web-5xx"}, Max5xxPercent: &one}
			r.Gates.AlarmsRange.Filename, r.Gates.AlarmsRange.Start.Line, r.Gates.AlarmsRange.Start.Column = "alb.hcl", 61, 23
			w.Alarms, w.AlarmsRead = tc.alarms, tc.read
			_, err := Build(s, w)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "alb.hcl:61,23") || !strings.Contains(err.Error(), "CloudWatch alarm not found") {
				t.Fatalf("got %v, want %q at alb.hcl:61,23", err, tc.want)
			}
		})
	}
}

// Image clean-up leaves alone the image a gate's relaunch names, even beyond image.keep: the
// old members run ami-0new, and two newer images baked since would otherwise push it out.
func TestCleanupKeepsTheImageARelaunchNeeds(t *testing.T) {
	for _, keepOld := range []string{"", specs.KeepOldUntilDone} {
		s, w := fleetWorld(4)
		bump(s)
		one := 1.0
		s.Fleets[0].Rollout.BakeTime = 5 * time.Minute
		s.Fleets[0].Rollout.Gates = specs.Gates{Max5xxPercent: &one, KeepOld: keepOld}
		for i, name := range []string{"web-2023-06-01", "web-2023-07-01"} {
			w.Images = append(w.Images, cloud.Image{ID: fmt.Sprintf("ami-0newer%d", i), Name: name, State: "available", Created: time.Date(2023, time.Month(6+i), 1, 0, 0, 0, 0, time.UTC),
				Tags: map[string]string{cloud.TagFleet: "web", cloud.TagStack: "web-tg", cloud.TagImageVersion: name[4:]}})
		}
		p, err := Build(s, w)
		if err != nil {
			t.Fatal(err)
		}
		// With keep_old the old members are registered again, not relaunched: the image goes
		// once they are terminated, after the last gate.
		if got, want := indexOf(p, "deregister_image.ami-0new") >= 0, keepOld != ""; got != want {
			t.Errorf("keep_old %q: deregister_image.ami-0new planned: %v, want %v (%v)", keepOld, got, want, kinds(p))
		}
	}
}
