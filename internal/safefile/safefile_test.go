package safefile

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestNewFileIsPrivate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "world.json")
	if err := WriteFile(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, p); m != 0o600 {
		t.Errorf("mode %v, want 0600", m)
	}
}

func TestExistingModeIsKept(t *testing.T) {
	for _, m := range []fs.FileMode{0o600, 0o640, 0o644} {
		p := filepath.Join(t.TempDir(), "world.json")
		if err := os.WriteFile(p, []byte("old"), m); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, m) // past the umask
		if err := WriteFile(p, []byte("new")); err != nil {
			t.Fatal(err)
		}
		if got := mode(t, p); got != m {
			t.Errorf("mode %v, want %v kept", got, m)
		}
		if b, _ := os.ReadFile(p); string(b) != "new" {
			t.Errorf("content %q", b)
		}
	}
}

func TestSymlinkIsFollowed(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "world.json")
	os.Mkdir(filepath.Dir(real), 0o755)
	if err := os.WriteFile(real, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real/world.json", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("target content %q", b)
	}
	if m := mode(t, real); m != 0o640 {
		t.Errorf("target mode %v", m)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestFailedWriteSaysWhatFailed(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "missing-dir", "world.json")
	err := WriteFile(p, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "write "+p) || strings.Count(err.Error(), "write ") != 1 {
		t.Fatalf("err = %v", err)
	}
}

func TestSymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.Symlink(b, a)
	os.Symlink(a, b)
	if err := WriteFile(a, []byte("x")); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Fatalf("err = %v", err)
	}
}
