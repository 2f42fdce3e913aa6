package simulator

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite examples/blog/world.json from SeedWorld")

const seedPath = "../../examples/blog/world.json"

func TestSeedWorldFile(t *testing.T) {
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
	s := seedSim(t, WithFaults(Faults{Throttle: map[string]int{"DescribeInstances": 2}, InstanceVisibilityDelay: Duration(5 * time.Second)}))
	id := launch(t, s, SeedSubnet1d)
	advance(s, time.Minute)
	register(t, s, id)
	wc := s.World()
	wc.ClientDNSCache = Duration(30 * time.Second)
	b, err := wc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWorld(b)
	if err != nil {
		t.Fatalf("parse marshalled world: %v\n%s", err, b)
	}
	b2, _ := w.Marshal()
	if !bytes.Equal(b, b2) {
		t.Fatalf("round trip differs:\n%s\n---\n%s", b, b2)
	}
	if !bytes.HasSuffix(b, []byte("}\n")) || !strings.Contains(string(b), `"instance_visibility_delay": "5s"`) || !strings.Contains(string(b), `"client_dns_cache": "30s"`) {
		t.Errorf("not canonical:\n%s", b)
	}
}

func TestSaveIsAtomicAndLoads(t *testing.T) {
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
