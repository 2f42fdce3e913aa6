// Package safefile writes files that hold sensitive state (world snapshots of an account,
// saved plans) the way an editor should: atomically, durably, and without changing what the
// file was — its mode, and where a symlink points.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// NewFileMode is the mode of a file that did not exist: only its owner reads a snapshot of
// an account or a plan.
const NewFileMode fs.FileMode = 0o600

// maxLinks bounds how many symlinks Resolve follows, as the kernel does (ELOOP).
const maxLinks = 40

// Resolve returns the file path really names: symlinks are followed, also a dangling last
// one (writing through it creates its target), so a rename replaces the target and not the
// link.
func Resolve(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// WriteFile replaces path's content with data: written to a temporary file beside the real
// file, synced, given the old file's mode (NewFileMode for a new file), renamed over it, and
// the directory synced, so a crash leaves either the old content or the new, never a mix.
// Errors name the step that failed, once.
func WriteFile(path string, data []byte) error {
	real, err := Resolve(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	mode := NewFileMode
	if fi, err := os.Stat(real); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("write %s: not a regular file", path)
		}
		mode = fi.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", path, err)
	}
	dir := filepath.Dir(real)
	f, err := os.CreateTemp(dir, "."+filepath.Base(real)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Chmod first: the temporary file never holds the data with wider permissions.
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, real); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	// The rename is durable only once the directory is; some file systems cannot sync a
	// directory, and the data is already safe in the file, so that error is not fatal.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
