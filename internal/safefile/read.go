package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"unicode/utf8"
)

// Limits on the files albctl reads (docs/security.md, "Inputs"): each far above any real
// file, so that a wrong path (/dev/zero, a disk image) fails fast in bounded memory instead
// of exhausting it.
const (
	// MaxWorldSize bounds a simulator world file (--world). The largest real one, a snapshot
	// of an account with thousands of instances, is a few megabytes.
	MaxWorldSize = 64 << 20
	// MaxFaultsSize bounds a faults file (--faults): a handful of rules.
	MaxFaultsSize = 4 << 20
	// MaxSpecSize bounds each spec file (*.hcl) and variable file (-var-file).
	MaxSpecSize = 4 << 20
)

// ErrTooLarge is the error of a file larger than its limit.
var ErrTooLarge = errors.New("file too large")

// TooLargeError says which file passed which limit.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, the most albctl reads of such a file (docs/security.md)", e.Path, size(e.Limit))
}

// Unwrap lets errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadFileLimited reads path, refusing more than limit bytes. A regular file's size is
// checked before anything is read (a sparse 1 GB file costs nothing); anything else a user
// may name (a pipe, /dev/stdin, a character device such as /dev/zero) is read through a
// limit+1 byte window, so at most limit+1 bytes are ever held. A directory is refused.
// Errors name the path; a too large file's error is a *TooLargeError.
func ReadFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch mode := fi.Mode(); {
	case mode.IsDir():
		return nil, &fs.PathError{Op: "read", Path: path, Err: errors.New("is a directory")}
	case mode.IsRegular() && fi.Size() > limit:
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	// Even a regular file may grow after Stat: every file goes through the window.
	data, err := readWindow(io.LimitReader(f, limit+1), fi.Size(), limit)
	if errors.Is(err, ErrTooLarge) {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return data, nil
}

// chunkSize is how much readWindow reads at a time when it does not know the size.
const chunkSize = 256 << 10

// readWindow reads r to its end in chunks and joins them once: unlike a doubling buffer, it
// allocates about twice what it reads at most, never a spare half of the limit, and only
// what it reads when that passes limit (ErrTooLarge). hint is the expected size (a regular
// file's; 0 for a pipe or a device).
func readWindow(r io.Reader, hint, limit int64) ([]byte, error) {
	var chunks [][]byte
	total := 0
	for {
		c := make([]byte, max(hint+1, chunkSize))
		hint = 0
		n, err := io.ReadFull(r, c)
		chunks = append(chunks, c[:n])
		total += n
		if int64(total) > limit {
			return nil, ErrTooLarge
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

// ExcerptLength is how many bytes of a refused value an error message quotes.
const ExcerptLength = 80

// Shorten returns s, or its first ExcerptLength bytes (cut at a character boundary) and "…".
func Shorten(s string) string {
	if len(s) <= ExcerptLength {
		return s
	}
	cut := ExcerptLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Quote returns s quoted as Go (and HCL) quote strings, or, for a longer one, its first
// ExcerptLength bytes (cut at a character boundary) quoted and how long it is: an error about
// a 4 MiB string quotes its start, not all of it.
func Quote(s string) string {
	if len(s) <= ExcerptLength {
		return strconv.Quote(s)
	}
	cut := ExcerptLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", strconv.Quote(s[:cut]), len(s))
}
