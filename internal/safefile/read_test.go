package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestReadFileLimited(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", n)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name  string
		path  string
		limit int64
		n     int    // bytes read when it succeeds
		err   string // else the error
	}{
		{"empty", write("empty", 0), 10, 0, ""},
		{"at the limit", write("ten", 10), 10, 10, ""},
		{"one byte over", write("eleven", 11), 10, 0, "eleven is larger than 10 bytes"},
		{"large chunked", write("big", 3*chunkSize+5), 4 * chunkSize, 3*chunkSize + 5, ""},
		{"MiB limit named", write("mib", 2<<20+1), 2 << 20, 0, "mib is larger than 2 MiB"},
		{"missing", filepath.Join(dir, "nope"), 10, 0, "no such file"},
		{"directory", dir, 10, 0, "is a directory"},
		{"endless device", "/dev/zero", 3*chunkSize + 1, 0, "/dev/zero is larger than"},
		{"empty device", "/dev/null", 10, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ReadFileLimited(tt.path, tt.limit)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(tt.err, "larger") && !errors.Is(err, ErrTooLarge) {
					t.Errorf("errors.Is(%v, ErrTooLarge) is false", err)
				}
				return
			}
			if err != nil || len(data) != tt.n {
				t.Fatalf("read %d bytes, %v; want %d", len(data), err, tt.n)
			}
		})
	}
}

// A pipe has no size to check first: the window alone bounds it.
func TestReadFileLimitedPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		w.Write([]byte(strings.Repeat("y", 100)))
		w.Close()
	}()
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd")
	}
	path := filepath.Join("/proc/self/fd", strconv.Itoa(int(r.Fd())))
	if _, err := ReadFileLimited(path, 50); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a 100-byte pipe with a 50-byte limit: %v", err)
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("a", 79) + "é" + strings.Repeat("b", 100)
	tests := []struct{ in, want string }{
		{"web", `"web"`},
		{`a"b${c}`, `"a\"b${c}"`},
		{strings.Repeat("x", 80), `"` + strings.Repeat("x", 80) + `"`},
		{strings.Repeat("x", 81), `"` + strings.Repeat("x", 80) + `"… (81 bytes in all)`},
		{long, `"` + strings.Repeat("a", 79) + `"… (181 bytes in all)`}, // never half a character
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%.20q…) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
