package simulator

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/albctl/albctl/internal/clock"
)

var update = flag.Bool("update", false, "rewrite examples/blog/world.json from SeedWorld")

const seedPath = "../../examples/blog/world.json"

func TestSeedWorldFile(t *testing.T) {
	t.Parallel()
	want, err := SeedWorld().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(seedPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatalf("%v (run go test ./simulator -run TestSeedWorldFile -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from SeedWorld(); run go test ./simulator -run TestSeedWorldFile -update", seedPath)
	}
	w, err := LoadWorld(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := w.Marshal()
	if !bytes.Equal(again, got) {
		t.Fatal("Marshal(LoadWorld(seed)) != seed")
	}
}

func TestSeedScenario(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	if got := healthOf(t, s, SeedInstance); got != "healthy" {
		t.Errorf("seed instance health = %s, want healthy", got)
	}
	if got := instanceState(t, s, SeedInstance); got != "running" {
		t.Errorf("seed instance state = %s", got)
	}
	if got := imageState(t, s, SeedImage); got != "available" {
		t.Errorf("seed image state = %s", got)
	}
	w := s.World()
	if len(w.LoadBalancers[0].Subnets) != 3 || w.TargetGroups[0].Attributes["stickiness.enabled"] != "false" {
		t.Errorf("seed world: %+v", w.LoadBalancers[0].Subnets)
	}
}

func TestWorldRoundTripAfterChanges(t *testing.T) {
	t.Parallel()
	s := seedSim(t, WithFaults(Faults{Throttle: map[string]int{"DescribeInstances": 2}, InstanceVisibilityDelay: clock.Duration(5 * time.Second)}))
	id := launch(t, s, SeedSubnet1d)
	advance(s, time.Minute)
	register(t, s, id)
	wc := s.World()
	wc.ClientDNSCache = clock.Duration(30 * time.Second)
	b, err := wc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWorld(b)
	if err != nil {
		t.Fatalf("parse marshalled world: %v\n%s", err, b)
	}
	b2, _ := w.Marshal()
	if diff := cmp.Diff(string(b), string(b2)); diff != "" {
		t.Fatalf("round trip (-first +second):\n%s", diff)
	}
	if !bytes.HasSuffix(b, []byte("}\n")) || !strings.Contains(string(b), `"instance_visibility_delay": "5s"`) || !strings.Contains(string(b), `"client_dns_cache": "30s"`) {
		t.Errorf("not canonical:\n%s", b)
	}
}

func TestSaveIsAtomicAndLoads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "world.json")
	if err := SeedWorld().Save(path); err != nil {
		t.Fatal(err)
	}
	if err := SeedWorld().Save(path); err != nil { // over an existing file
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if _, err := LoadWorld(path); err != nil {
		t.Fatal(err)
	}
}

func TestLoadWorldErrors(t *testing.T) {
	t.Parallel()
	good, _ := SeedWorld().Marshal()
	tests := []struct {
		name, data, want string
	}{
		{"syntax", "{\n  \"account_id\": ,\n}", "line 2, column"},
		{"unknown field", strings.Replace(string(good), `"region"`, `"regoin"`, 1), "unknown field"},
		{"instance subnet", strings.Replace(string(good), `"subnet": "subnet-0a1b2c3d4e5f61a01"`, `"subnet": "subnet-0000000000000dead"`, 1), `instance i-0a1b2c3d4e5f60001: subnet "subnet-0000000000000dead" does not exist`},
		{"bad duration", strings.Replace(string(good), `"interval": "30s"`, `"interval": 30`, 1), "duration"},
		{"bad state", strings.Replace(string(good), `"state": "running"`, `"state": "runing"`, 1), `unknown state "runing"`},
		{"bad attribute", strings.Replace(string(good), `"stickiness.type": "lb_cookie"`, `"stickiness.type": "source_ip"`, 1), "stickiness.type"},
		{"account", strings.Replace(string(good), `"123456789012"`, `"1234"`, 1), "account_id"},
		{"negative client DNS cache", strings.Replace(string(good), `"region"`, `"client_dns_cache": "-1s", "region"`, 1), "client_dns_cache -1s is out of range"},
		{"client DNS cache too long", strings.Replace(string(good), `"region"`, `"client_dns_cache": "25h", "region"`, 1), "client_dns_cache 25h0m0s is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "w.json")
			os.WriteFile(path, []byte(tt.data), 0o644)
			_, err := LoadWorld(path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name the file and contain %q", err, tt.want)
			}
		})
	}
	if _, err := LoadWorld(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestParseFillsAttributeDefaults(t *testing.T) {
	t.Parallel()
	b, _ := SeedWorld().Marshal()
	// Drop all attributes but one: the rest come back with AWS's defaults.
	w := SeedWorld()
	w.TargetGroups[0].Attributes = map[string]string{"stickiness.enabled": "false"}
	b2, _ := w.Marshal()
	if !bytes.Equal(b, b2) {
		t.Fatal("defaults not filled in")
	}
}

func TestClockSleep(t *testing.T) {
	t.Parallel()
	s := seedSim(t)
	start := s.Clock().Now()
	if err := s.Clock().Sleep(ctx, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := s.Clock().Now().Sub(start); got != 90*time.Second {
		t.Fatalf("advanced %v", got)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Clock().Sleep(cctx, time.Hour); err == nil {
		t.Fatal("Sleep on a done context returned nil")
	}
	if got := s.Clock().Now().Sub(start); got != 90*time.Second {
		t.Fatalf("a cancelled Sleep advanced the clock to %v", got)
	}
}

// TestWorldsTheSimulatorWritesLoadBack drives the simulator into the states that outlive
// the call that made them — a deregistered image whose snapshot was deleted with it or
// after it, a failed image, instances shutting down, terminated and gone, draining targets,
// a half-consumed throttling fault — and saves the world to a file and loads it back at
// each: it loads, and saving it again gives the same bytes (docs/simulator.md, "What a world
// file holds").
func TestWorldsTheSimulatorWritesLoadBack(t *testing.T) {
	t.Parallel()
	deregister := func(t *testing.T, s *Sim, id string, withSnapshots bool) {
		t.Helper()
		_, err := s.EC2().DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id), DeleteAssociatedSnapshots: aws.Bool(withSnapshots)})
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		world func(w *World) // changes to the seed world, if any
		run   func(t *testing.T, s *Sim)
	}{
		{"image deregistered with its snapshots", nil, func(t *testing.T, s *Sim) {
			deregister(t, s, bake(t, s, "web-2"), true)
		}},
		{"snapshot deleted after its image", nil, func(t *testing.T, s *Sim) {
			id := bake(t, s, "web-2")
			deregister(t, s, id, false)
			if _, err := s.EC2().DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(s.World().Images[imageIndex(t, s, id)].Snapshots[0])}); err != nil {
				t.Fatal(err)
			}
		}},
		{"deregistered image long gone, still in use", nil, func(t *testing.T, s *Sim) {
			id := bake(t, s, "web-2")
			launchFrom(t, s, id)
			deregister(t, s, id, true)
			advance(s, DeregisteredVisible+time.Hour)
		}},
		{"failed image", func(w *World) {
			w.ImageBehaviours = []ImageBehaviour{{NameGlob: "web-*", Fail: &StateReason{Code: "Client.Broken", Message: "broken"}}}
		}, func(t *testing.T, s *Sim) {
			bake(t, s, "web-2")
		}},
		{"instances shutting down, terminated, gone, their targets draining", nil, func(t *testing.T, s *Sim) {
			a, b := launch(t, s, SeedSubnet1d), launch(t, s, SeedSubnet1d)
			advance(s, time.Minute)
			register(t, s, a)
			register(t, s, b)
			if _, err := s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{a, b}}); err != nil {
				t.Fatal(err)
			}
			advance(s, 10*time.Second)    // shutting-down, draining
			advance(s, time.Minute)       // terminated
			advance(s, TerminatedVisible) // gone
		}},
		{"throttling fault half consumed", func(w *World) {
			w.Faults.Throttle = map[string]int{"DescribeImages": 3}
		}, func(t *testing.T, s *Sim) {
			s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := SeedWorld()
			if tt.world != nil {
				tt.world(w)
			}
			s := New(w, checkRoundTrips(t))
			path := filepath.Join(t.TempDir(), "world.json")
			tt.run(t, s)
			if err := s.World().Save(path); err != nil {
				t.Fatal(err)
			}
			w, err := LoadWorld(path)
			if err != nil {
				t.Fatalf("the world the simulator wrote does not load: %v", err)
			}
			saved, _ := os.ReadFile(path)
			again, _ := w.Marshal()
			if !bytes.Equal(saved, again) {
				t.Fatalf("load and save changes the world: %s", firstDifference(saved, again))
			}
		})
	}
}

// TestLoadRefusesMissingSnapshots: only a deregistered image may name a snapshot that is
// gone; an image that can still be launched, or is still being made, may not.
func TestLoadRefusesMissingSnapshots(t *testing.T) {
	t.Parallel()
	for _, state := range []string{"available", "pending", "failed", "deregistered"} {
		t.Run(state, func(t *testing.T) {
			w := SeedWorld()
			w.Images = append(w.Images, Image{ID: "ami-0000000000000beef", Name: "hand-made", State: state, Owner: w.AccountID,
				CreatedAt: w.Now, AvailableAt: w.Now.Add(time.Minute), DeregisteredAt: w.Now, Snapshots: []string{"snap-0000000000000dead"}})
			b, err := w.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseWorld(b)
			want := `image ami-0000000000000beef: snapshot "snap-0000000000000dead" does not exist`
			switch {
			case state == "deregistered" && err != nil:
				t.Fatalf("a deregistered image naming its deleted snapshot is refused: %v", err)
			case state != "deregistered" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Fatalf("err = %v, want %q", err, want)
			}
		})
	}
}

func imageIndex(t *testing.T, s *Sim, id string) int {
	t.Helper()
	for i, im := range s.World().Images {
		if im.ID == id {
			return i
		}
	}
	t.Fatalf("no image %s", id)
	return -1
}

// TestWorldErrorsAreBounded: a world's error quotes at most an excerpt of each value and lists
// at most maxWorldErrors problems, however large or broken the file (docs/security.md).
func TestWorldErrorsAreBounded(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.AccountID = strings.Repeat("9", 1<<20)
	for i := range 100 {
		in := w.Instances[0]
		in.ID = fmt.Sprintf("i-%017x", 0xc0000000+i)
		in.Subnet = "subnet-" + strings.Repeat("f", 1000)
		w.Instances = append(w.Instances, in)
	}
	data, err := w.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseWorld(data)
	if err == nil {
		t.Fatal("the world loads")
	}
	msg := err.Error()
	if len(msg) > 20*300 || !strings.Contains(msg, `account_id "`+strings.Repeat("9", 80)+`…"`) || !strings.Contains(msg, "more problems") {
		t.Errorf("the error (%d bytes) does not quote excerpts and stop at %d problems:\n%.3000s", len(msg), maxWorldErrors, msg)
	}
	// A number literal too large for its field is quoted by the decoder: cut too.
	_, err = ParseWorld([]byte(`{"seed": 1` + strings.Repeat("0", 1<<20) + `}`))
	if err == nil || len(err.Error()) > 1000 {
		t.Errorf("a huge number: %.300v (%d bytes)", err, len(fmt.Sprint(err)))
	}
}
