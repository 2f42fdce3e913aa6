package simulator

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSaveKeepsModeAndFollowsSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w := SeedWorld()

	fresh := filepath.Join(dir, "fresh.json")
	if err := w.Save(fresh); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o600 {
		t.Errorf("new world file mode %v, want 0600", fi.Mode().Perm())
	}

	real := filepath.Join(dir, "snapshots", "prod.json")
	os.Mkdir(filepath.Dir(real), 0o700)
	if err := os.WriteFile(real, []byte("{}"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(real, 0o640)
	link := filepath.Join(dir, "world.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := w.Save(link); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced by a file")
	}
	fi, _ := os.Stat(real)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
	}
	if _, err := LoadWorld(real); err != nil {
		t.Errorf("the link's target was not written: %v", err)
	}
}

func TestLateClockIsRefusedAtLoad(t *testing.T) {
	t.Parallel()
	w := SeedWorld()
	w.Now = time.Date(9999, 12, 31, 23, 58, 0, 0, time.UTC)
	b, err := w.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseWorld(b); err == nil || !strings.Contains(err.Error(), "too late") {
		t.Fatalf("err = %v, want the clock refused", err)
	}
	// A clock that ran past what JSON holds is an error from Save, never a panic.
	w.Now = time.Date(10000, 1, 1, 0, 0, 1, 0, time.UTC)
	if err := w.Save(filepath.Join(t.TempDir(), "w.json")); err == nil || !strings.Contains(err.Error(), "years 1-9999") {
		t.Fatalf("err = %v", err)
	}
}
