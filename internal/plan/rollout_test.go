package plan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// fleetWorld is a converged world with the source in 1a and `members` more members spread over
// 1a and 1d (slots counted per zone), all healthy on image version 2023-05-14.
func fleetWorld(members int) (*specs.Stack, *cloud.World) {
	s := seedStack()
	w := converged()
	w.Instances = w.Instances[:1]
	w.TargetGroups[0].Targets = w.TargetGroups[0].Targets[:1]
	w.TargetGroups[0].Attributes["deregistration_delay.timeout_seconds"] = "300"
	counts := map[string]int{"ap-northeast-1a": 1, "ap-northeast-1d": 0}
	for i := range members {
		az, sn := "ap-northeast-1d", "subnet-0d"
		if i%2 == 1 {
			az, sn = "ap-northeast-1a", "subnet-0a"
		}
		counts[az]++
		n := counts[az]
		if az == "ap-northeast-1a" {
			n-- // the source is slot 0 of 1a
		}
		id := fmt.Sprintf("i-0%016x", 0xb00+i)
		w.Instances = append(w.Instances, member(id, az, sn, n))
		w.TargetGroups[0].Targets = append(w.TargetGroups[0].Targets, cloud.Target{ID: id, Port: 80, State: "healthy"})
	}
	s.Fleets[0].Zones = []specs.FleetZone{{AZ: "ap-northeast-1a", Count: counts["ap-northeast-1a"]}, {AZ: "ap-northeast-1d", Count: counts["ap-northeast-1d"]}}
	return s, w
}

// bump sets a new image version (and name) on the stack.
func bump(s *specs.Stack) {
	s.Fleets[0].Image = specs.Image{Name: "web-2024-01-01", Version: "2024-01-01", NoReboot: true, Keep: 2}
}

func TestVersionBumpReplacesEveryMember(t *testing.T) {
	t.Parallel()
	for _, members := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d members", members), func(t *testing.T) {
			s, w := fleetWorld(members)
			bump(s)
			p := build(t, s, w)
			n := map[Kind]int{}
			for _, st := range p.Steps {
				n[st.Kind]++
			}
			if n[CreateImage] != 1 || n[LaunchInstance] != members || n[RegisterTarget] != members || n[DeregisterTarget] != members || n[TerminateInstance] != members {
				t.Fatalf("kinds = %v", kinds(p))
			}
			for _, st := range p.Steps {
				switch st.Kind {
				case TerminateInstance:
					if st.Terminate.InstanceID == srcID {
						t.Errorf("the source is never terminated")
					}
				case RegisterTarget:
					if st.Target.Rollback == nil || !st.Target.Rollback.Auto || st.Target.Rollback.HealthTimeout.D() != 10*time.Minute {
						t.Errorf("%s: rollback = %+v", st.ID, st.Target.Rollback)
					}
				case DeregisterTarget:
					// Surge-first: the member leaves only after its own replacement serves.
					in, _ := w.Instance(st.Target.InstanceID)
					slot := strings.TrimPrefix(in.Tags[cloud.TagSlot], "")
					reg := "register_target.web." + strings.ReplaceAll(slot, "/", ".")
					if !dependsOn(p, st.ID, reg) {
						t.Errorf("%s must follow %s", st.ID, reg)
					}
				}
			}
			if members == 3 {
				// One at a time: the second batch starts after the first is healthy and its old
				// member has left service.
				launches := filter(p, LaunchInstance)
				if !dependsOn(p, launches[1], "register_target."+strings.TrimPrefix(launches[0], "launch_instance.")) {
					t.Errorf("%s must wait for the first batch", launches[1])
				}
			}
		})
	}
}

func filter(p *Plan, k Kind) []string {
	var out []string
	for _, s := range p.Steps {
		if s.Kind == k {
			out = append(out, s.ID)
		}
	}
	return out
}

func TestRolloutBatches(t *testing.T) {
	t.Parallel()
	t.Run("min healthy 50 of 4 drops two first", func(t *testing.T) {
		s, w := fleetWorld(3)
		bump(s)
		s.Fleets[0].Rollout = specs.Rollout{MinHealthyPercent: 50, MaxSurge: 0, HealthTimeout: time.Minute, AutoRollback: false}
		p := build(t, s, w)
		// desired 4, min healthy 2: slack 2, batch size 2; the first two old members leave as
		// the batch starts, without waiting for a replacement.
		var early int
		for _, id := range filter(p, DeregisterTarget) {
			if !slices.ContainsFunc(filter(p, RegisterTarget), func(r string) bool { return dependsOn(p, id, r) }) {
				early++
			}
		}
		if early != 2 {
			t.Errorf("%d deregistrations without a replacement first, want 2: %v", early, p.Steps)
		}
	})
	t.Run("bake time waits between batches", func(t *testing.T) {
		s, w := fleetWorld(3)
		bump(s)
		s.Fleets[0].Rollout.BakeTime = 5 * time.Minute
		p := build(t, s, w)
		waits := filter(p, Wait)
		if len(waits) != 2 {
			t.Fatalf("waits = %v, want one between each pair of batches", waits)
		}
		launches := filter(p, LaunchInstance)
		if !dependsOn(p, launches[1], waits[0]) {
			t.Errorf("batch 2 must wait for bake_time")
		}
	})
	t.Run("bake time with one batch is a note, not a silence", func(t *testing.T) {
		s, w := fleetWorld(1)
		bump(s)
		s.Fleets[0].Rollout.BakeTime = 5 * time.Minute
		p := build(t, s, w)
		if waits := filter(p, Wait); len(waits) != 0 {
			t.Fatalf("waits = %v with one batch", waits)
		}
		if !slices.ContainsFunc(p.Warnings, func(w string) bool {
			return strings.Contains(w, "bake_time = 5m is not used: the rollout is one batch of 1")
		}) {
			t.Errorf("warnings %q do not say bake_time is unused", p.Warnings)
		}
		// With two batches it is used, and nothing is said.
		s2, w2 := fleetWorld(3)
		bump(s2)
		s2.Fleets[0].Rollout.BakeTime = 5 * time.Minute
		if p2 := build(t, s2, w2); slices.ContainsFunc(p2.Warnings, func(w string) bool { return strings.Contains(w, "bake_time") }) {
			t.Errorf("bake_time is used, yet a warning says otherwise: %q", p2.Warnings)
		}
		// Without bake_time there is nothing to say about it.
		s.Fleets[0].Rollout.BakeTime = 0
		if p3 := build(t, s, w); slices.ContainsFunc(p3.Warnings, func(w string) bool { return strings.Contains(w, "bake_time") }) {
			t.Errorf("no bake_time, yet a warning names it: %q", p3.Warnings)
		}
	})
}

func TestInterruptedRolloutResumes(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(1)
	bump(s)
	old := w.Instances[1]
	// The replacement was launched and registered; the old member still serves.
	nu := member("i-0ddddddddddddddd1", "ap-northeast-1d", "subnet-0d", 1)
	nu.Tags[cloud.TagImageVersion] = "2024-01-01"
	w.Instances = append(w.Instances, nu)
	w.Images = append(w.Images, cloud.Image{ID: "ami-0v2", Name: "web-2024-01-01", State: "available"})
	w.TargetGroups[0].Targets = append(w.TargetGroups[0].Targets, cloud.Target{ID: nu.ID, Port: 80, State: "initial"})
	p := build(t, s, w)
	if got, want := kinds(p), []string{"register_target", "deregister_target", "terminate_instance"}; !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	d := step(t, p, DeregisterTarget)
	if d.Target.InstanceID != old.ID || !dependsOn(p, d.ID, "register_target.web."+nu.ID) {
		t.Errorf("the old member leaves once its replacement (still initial) is healthy: %+v", d)
	}
	w.TargetGroups[0].Targets[2].State = "healthy"
	if got := kinds(build(t, s, w)); !slices.Equal(got, []string{"deregister_target", "terminate_instance"}) {
		t.Errorf("kinds = %v", got)
	}
}

func TestScaleInDrainsThenTrims(t *testing.T) {
	t.Parallel()
	// Three members over 1a, 1c, 1d; the spec drops 1c.
	s, w := fleetWorld(1)
	s.Fleets[0].Zones = append(s.Fleets[0].Zones, specs.FleetZone{AZ: "ap-northeast-1c", Count: 1})
	c := member("i-0ccccccccccccccc1", "ap-northeast-1c", "subnet-0c", 1)
	w.Instances = append(w.Instances, c)
	w.TargetGroups[0].Targets = append(w.TargetGroups[0].Targets, cloud.Target{ID: c.ID, Port: 80, State: "healthy"})
	w.LoadBalancers[0].Zones = seedWorld().LoadBalancers[0].Zones
	if p := build(t, s, w); !p.Empty() {
		t.Fatalf("three zones converged: %v", kinds(p))
	}
	s.Fleets[0].Zones = s.Fleets[0].Zones[:2]
	p := build(t, s, w)
	if got, want := kinds(p), []string{"deregister_target", "terminate_instance", "trim_zones"}; !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	trim := step(t, p, TrimZones)
	if !dependsOn(p, trim.ID, "terminate_instance.web."+c.ID) {
		t.Errorf("the zone is trimmed only once its member has drained and terminated")
	}
	if !strings.Contains(trim.Reason, "loses its last 1 target(s)") {
		t.Errorf("trim reason %q must not claim the zone has no targets", trim.Reason)
	}
	for _, st := range p.Steps {
		if !strings.Contains(st.Resource, "web-1c-1") && st.Kind != TrimZones {
			t.Errorf("%s names %q, not the member's readable name", st.ID, st.Resource)
		}
	}
}

func TestImageCleanupKeepsNewest(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(1)
	bump(s)
	for i, day := range []int{10, 11, 12} {
		w.Images = append(w.Images, cloud.Image{ID: fmt.Sprintf("ami-0old%d", i), Name: fmt.Sprintf("web-2022-01-%d", day), State: "available",
			Created: time.Date(2022, 1, day, 0, 0, 0, 0, time.UTC), SnapshotIDs: []string{fmt.Sprintf("snap-%d", i)},
			Tags: map[string]string{cloud.TagFleet: "web", cloud.TagStack: "web-tg"}})
		w.Snapshots = append(w.Snapshots, cloud.Snapshot{ID: fmt.Sprintf("snap-%d", i), Tags: map[string]string{cloud.TagStack: "web-tg"}})
	}
	p := build(t, s, w)
	got := filter(p, DeregisterImage)
	// keep = 2: the new image and ami-0new (2023-05-14, in use by the member being replaced).
	want := []string{"deregister_image.ami-0new", "deregister_image.ami-0old0", "deregister_image.ami-0old1", "deregister_image.ami-0old2"}
	slices.Sort(got)
	if !slices.Equal(got, want[1:]) {
		t.Fatalf("deregister_image steps = %v, want %v", got, want[1:])
	}
	s.Fleets[0].Image.Keep = 1
	p = build(t, s, w)
	di, ok := stepByID(p, "deregister_image.ami-0new")
	if !ok || !dependsOn(p, di.ID, "terminate_instance.web."+w.Instances[1].ID) || di.Cleanup.SnapshotIDs[0] != "snap-0new" {
		t.Fatalf("ami-0new goes only after the member running it: %+v", di)
	}
}

// Image clean-up deletes only the snapshots that carry albctl's tag for the stack
// (DeleteSnapshot is granted on those only, docs/security.md): an untagged one is tagged
// first by a tag_snapshots step, one tagged for another stack is left with a warning, and
// one the world did not see is not asked for.
func TestImageCleanupDeletesOnlyTaggedSnapshots(t *testing.T) {
	cases := []struct {
		name     string
		state    string            // of the image ("": available)
		tags     map[string]string // of snap-0; absent: not seen
		seen     bool
		want     []string
		wantTag  bool // a tag_snapshots step first
		wantWarn bool
	}{
		{"tagged for the stack", "", map[string]string{cloud.TagStack: "web-tg"}, true, []string{"snap-0"}, false, false},
		{"untagged (an older albctl)", "", nil, true, []string{"snap-0"}, true, false},
		{"untagged, of a failed image", "failed", nil, true, nil, false, true},
		{"tagged for another stack", "", map[string]string{cloud.TagStack: "api-tg"}, true, nil, false, true},
		{"not seen (gone already)", "", nil, false, nil, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, w := fleetWorld(1)
			bump(s)
			s.Fleets[0].Image.Keep = 1
			w.Images = append(w.Images, cloud.Image{ID: "ami-0old0", Name: "web-2022-01-10", State: cmp.Or(tc.state, "available"),
				Created: time.Date(2022, 1, 10, 0, 0, 0, 0, time.UTC), SnapshotIDs: []string{"snap-0"},
				Tags: map[string]string{cloud.TagFleet: "web", cloud.TagStack: "web-tg", cloud.TagImageVersion: "2022-01-10", "Name": "web-2022-01-10", "team": "blog"}})
			if tc.seen {
				w.Snapshots = append(w.Snapshots, cloud.Snapshot{ID: "snap-0", State: "completed", Tags: tc.tags})
			}
			p := build(t, s, w)
			di, ok := stepByID(p, "deregister_image.ami-0old0")
			if !ok {
				t.Fatalf("no deregister_image step: %v", kinds(p))
			}
			if !slices.Equal(di.Cleanup.SnapshotIDs, tc.want) {
				t.Errorf("snapshots to delete = %v, want %v", di.Cleanup.SnapshotIDs, tc.want)
			}
			tag, tagged := stepByID(p, "tag_snapshots.ami-0old0")
			if tagged != tc.wantTag {
				t.Fatalf("tag_snapshots step planned = %v, want %v: %v", tagged, tc.wantTag, kinds(p))
			}
			if tagged {
				wantTags := map[string]string{cloud.TagFleet: "web", cloud.TagStack: "web-tg", cloud.TagImageVersion: "2022-01-10", "Name": "web-2022-01-10"}
				if !slices.Equal(tag.Snapshots.SnapshotIDs, []string{"snap-0"}) || !maps.Equal(tag.Snapshots.Tags, wantTags) {
					t.Errorf("tag_snapshots = %+v, want snap-0 with the image's albctl tags only (the policy allows those keys)", tag.Snapshots)
				}
				if !dependsOn(p, di.ID, tag.ID) {
					t.Errorf("the snapshot is deleted before it is tagged")
				}
			}
			warned := strings.Contains(di.Warning, "snap-0") && slices.Contains(p.Warnings, di.Warning)
			if warned != tc.wantWarn {
				t.Errorf("warned about snap-0 = %v, want %v (step warning %q)", warned, tc.wantWarn, di.Warning)
			}
		})
	}
}

// The spec's own image, baked by an apply that stopped before tagging its snapshots, gets
// them tagged by the next plan; once tagged, the plan is empty again.
func TestUntaggedSnapshotsOfTheSpecImageAreTagged(t *testing.T) {
	s, w := fleetWorld(1)
	w.Snapshots[0].Tags = nil
	p := build(t, s, w)
	if got := kinds(p); !slices.Equal(got, []string{"tag_snapshots"}) {
		t.Fatalf("kinds = %v, want only tag_snapshots", got)
	}
	if p.Steps[0].Snapshots.ImageID != "ami-0new" || !slices.Equal(p.Steps[0].Snapshots.SnapshotIDs, []string{"snap-0new"}) {
		t.Errorf("tag_snapshots = %+v", p.Steps[0].Snapshots)
	}
	w.Snapshots[0].Tags = map[string]string{cloud.TagStack: "web-tg"}
	if p := build(t, s, w); !p.Empty() {
		t.Errorf("tagged: the plan still has %v", kinds(p))
	}
}

func stepByID(p *Plan, id string) (*Step, bool) {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i], true
		}
	}
	return nil, false
}

func TestImageIDAndInstanceType(t *testing.T) {
	t.Parallel()
	s := seedStack()
	s.Fleets[0].Image = specs.Image{ID: "ami-0123456789abcdef0", Version: "ami-0123456789abcdef0", Keep: 2}
	s.Fleets[0].InstanceType = "m7i.large"
	w := seedWorld()
	w.Images = append(w.Images, cloud.Image{ID: "ami-0123456789abcdef0", Name: "built-by-ci", State: "available"})
	p := build(t, s, w)
	if slices.Contains(kinds(p), "create_image") || slices.Contains(kinds(p), "validate_launch") {
		t.Fatalf("no bake with image id: %v", kinds(p))
	}
	l := step(t, p, LaunchInstance)
	if l.Launch.ImageID != "ami-0123456789abcdef0" || l.Launch.InstanceType != "m7i.large" || !strings.Contains(l.Reason, "as m7i.large") {
		t.Errorf("launch = %+v, reason %q", l.Launch, l.Reason)
	}
}

func TestStoppedSource(t *testing.T) {
	t.Parallel()
	s := seedStack()
	s.Fleets[0].Zones[0].Count = 2
	w := seedWorld()
	w.Instances[0].State = "stopped"
	w.TargetGroups[0].Targets[0].State = "unused"
	p := build(t, s, w)
	img := step(t, p, CreateImage)
	if img.Warning != "" || !strings.Contains(img.Reason, "stopped, so EC2 does not reboot it") {
		t.Errorf("image of a stopped source: warning %q, reason %q", img.Warning, img.Reason)
	}
	for _, st := range p.Steps {
		if st.Kind == ValidateLaunch || (st.Kind == RegisterTarget && st.Target.InstanceID == srcID) {
			t.Errorf("unexpected %s", st.ID)
		}
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool {
		return strings.Contains(w, "is stopped") && strings.Contains(w, "serves with 1 of its 2")
	}) {
		t.Errorf("warnings %q must say what the stopped source means for its zone", p.Warnings)
	}
}

func TestInstanceTypeChangeRollsTheFleet(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(1)
	s.Fleets[0].InstanceType = "m7i.large"
	p := build(t, s, w)
	l := step(t, p, LaunchInstance)
	if l.Launch.InstanceType != "m7i.large" || !strings.Contains(l.Reason, "is a t3.small; the spec wants m7i.large") {
		t.Fatalf("launch %+v, reason %q", l.Launch, l.Reason)
	}
	old := step(t, build(t, seedStack(), seedWorld()), LaunchInstance).Launch.ClientToken
	if l.Launch.ClientToken == old {
		t.Errorf("a launch of another type in the same slot must not reuse the token (IdempotentParameterMismatch)")
	}
	w.Instances[1].InstanceType = "m7i.large"
	if p := build(t, s, w); !p.Empty() {
		t.Errorf("members of the spec's type: %v", kinds(p))
	}
}

func TestDeregisteredImagesAreNotCleanedAgain(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(1)
	for i, st := range []string{"available", "deregistered", "available"} {
		w.Images = append(w.Images, cloud.Image{ID: fmt.Sprintf("ami-0gone%d", i), Name: fmt.Sprintf("web-old-%d", i), State: st,
			Created: time.Date(2022, 1, i+1, 0, 0, 0, 0, time.UTC), Tags: map[string]string{cloud.TagFleet: "web", cloud.TagStack: "web-tg"}})
	}
	p := build(t, s, w)
	if got := filter(p, DeregisterImage); !slices.Equal(got, []string{"deregister_image.ami-0gone0"}) {
		t.Errorf("deregister_image steps = %v, want only the oldest available image (a deregistered one is neither kept nor cleaned)", got)
	}
}

// A rollout's deregistration follows its own replacement, not the scale-in rule's "every
// registration", and does not say it does.
func TestRolloutDeregistrationReason(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(1)
	bump(s)
	p := build(t, s, w)
	if d := step(t, p, DeregisterTarget); strings.Contains(d.Reason, "capacity never drops") || !strings.Contains(d.Reason, "replaced by the new") {
		t.Errorf("rollout deregister reason %q", d.Reason)
	}
}

// When min_healthy_percent lets old members leave as a batch starts, they still wait for the
// image: a bake that fails (or takes an hour) must not leave the fleet short.
func TestRolloutDropsOldMembersOnlyAfterTheBake(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(3)
	bump(s)
	s.Fleets[0].Rollout = specs.Rollout{MinHealthyPercent: 50, MaxSurge: 0, HealthTimeout: time.Minute, BakeTime: time.Minute}
	p := build(t, s, w)
	img := step(t, p, CreateImage)
	for _, id := range filter(p, DeregisterTarget) {
		if !dependsOn(p, id, img.ID) {
			t.Errorf("%s does not wait for %s", id, img.ID)
		}
	}
	// Batches are numbered from 1 in reasons and wait steps.
	waits := filter(p, Wait)
	if !slices.Equal(waits, []string{"wait.web.batch-1"}) {
		t.Fatalf("waits %v, want wait.web.batch-1 between the two batches", waits)
	}
	wst, _ := stepByID(p, waits[0])
	if !strings.Contains(wst.Reason, "batch 1 must stay healthy for 1m before batch 2 starts") {
		t.Errorf("wait reason %q", wst.Reason)
	}
	var batch2 int
	for _, id := range filter(p, LaunchInstance) {
		st, _ := stepByID(p, id)
		if strings.Contains(st.Reason, "rollout batch 2") {
			batch2++
		}
	}
	if batch2 != 1 {
		t.Errorf("%d launches say rollout batch 2, want 1 (batches of 2, 3 members)", batch2)
	}
}

// A rollout warns that the source is not replaced.
func TestRolloutWarnsTheSourceStays(t *testing.T) {
	t.Parallel()
	s, w := fleetWorld(1)
	bump(s)
	p := build(t, s, w)
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "the source "+srcID+" is not replaced") }) {
		t.Errorf("warnings %q do not say the source stays", p.Warnings)
	}
}
