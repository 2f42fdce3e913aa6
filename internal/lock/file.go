package lock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxLockSize bounds what is read from a lock: a lock is a few hundred bytes.
const maxLockSize = 64 << 10

// File is a lock file, created with O_EXCL so that of two applies only one creates it.
type File struct{ Path string }

var _ Store = File{}

func (f File) String() string { return f.Path }

func (f File) Create(_ context.Context, data []byte) (bool, []byte, error) {
	fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		holder, err := f.Read(context.Background())
		if errors.Is(err, ErrNotLocked) {
			return false, nil, nil
		}
		// A lock being written is briefly empty: report it held, by an unreadable holder.
		return false, holder, err
	}
	if err != nil {
		return false, nil, err
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		os.Remove(f.Path)
		return false, nil, err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		os.Remove(f.Path)
		return false, nil, err
	}
	if err := fh.Close(); err != nil {
		os.Remove(f.Path)
		return false, nil, err
	}
	return true, nil, nil
}

func (f File) Read(context.Context) ([]byte, error) {
	fh, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotLocked
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxLockSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxLockSize {
		return nil, fmt.Errorf("%s is larger than a lock", f.Path)
	}
	return data, nil
}

func (f File) Delete(context.Context) error {
	if err := os.Remove(f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
