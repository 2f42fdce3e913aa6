package planfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/albctl/albctl/internal/plan"
)

// maxLeadingSpace bounds the white space read before a plan's first '{'.
const maxLeadingSpace = 4096

// maxPath bounds every path a saved plan names (Linux's PATH_MAX): a longer one is forged,
// and would otherwise be quoted whole by the messages that name it.
const maxPath = 4096

// Read reads and checks the saved plan at path: its size, checksum, format version, paths
// and step graph. It does not say whether the plan is still current (see Plan.Check*).
func Read(path string) (*Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	defer f.Close()
	// A regular file says its size: one over the limit is refused before a byte is read
	// (a sparse 1 GB file costs nothing to make and must cost nothing to refuse).
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxSize {
		return nil, fmt.Errorf("%s: byte %d: larger than the %s a saved albctl plan may have (the file has %d bytes)", path, MaxSize+1, sizeText(MaxSize), fi.Size())
	}
	data, err := readBounded(path, f, MaxSize)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// readBounded reads a saved plan from r, which may be endless (/dev/zero, a pipe): at most
// limit bytes are kept, and input that cannot start a JSON object is refused at its first
// byte, so neither costs more than the limit in memory.
func readBounded(path string, r io.Reader, limit int64) ([]byte, error) {
	br := bufio.NewReaderSize(r, 4096)
	var offset int64 // bytes of white space before the '{'
	for ; ; offset++ {
		b, err := br.ReadByte()
		if err == io.EOF {
			return nil, fmt.Errorf("%s is empty: not a saved albctl plan", path)
		}
		if err != nil {
			return nil, fmt.Errorf("read plan %s: %w", path, err)
		}
		if b == '{' {
			br.UnreadByte()
			break
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' || offset >= maxLeadingSpace {
			return nil, fmt.Errorf("%s: byte %d: %s where a saved albctl plan starts with '{'", path, offset+1, strconv.QuoteRune(rune(b)))
		}
	}
	data, err := io.ReadAll(io.LimitReader(br, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: byte %d: larger than the %s a saved albctl plan may have", path, offset+limit+1, sizeText(limit))
	}
	return data, nil
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Parse decodes a saved plan; it never panics, whatever the bytes (fuzzed).
func Parse(path string, data []byte) (*Plan, error) {
	sp, err := decode(path, data)
	if err != nil {
		return nil, err
	}
	if sp.Format != Format {
		return nil, fmt.Errorf("%s is not a saved albctl plan (format %s)", path, strconv.Quote(excerpt(sp.Format)))
	}
	if sp.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%s has plan format version %d; this albctl reads version %d. Make a new plan", path, sp.FormatVersion, FormatVersion)
	}
	if sp.Plan == nil || sp.World == nil {
		return nil, fmt.Errorf("%s has no plan or no world", path)
	}
	if !filepath.IsAbs(sp.Spec.Dir) || (sp.Target.World != "" && !filepath.IsAbs(sp.Target.World)) {
		return nil, fmt.Errorf("%s names a relative path; a saved plan names its spec and world by absolute path", path)
	}
	for _, f := range append(slices.Clone(sp.Spec.Files), sp.Spec.VarFiles...) {
		if !filepath.IsAbs(f.Path) {
			return nil, fmt.Errorf("%s names a relative path; a saved plan names its files by absolute path", path)
		}
	}
	if err := checkLengths(sp); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := plan.Validate(sp.Plan); err != nil {
		return nil, fmt.Errorf("%s: %w", path, clipErr(err))
	}
	return sp, nil
}

// decode checks the envelope's checksum and decodes its payload, refusing unknown fields.
func decode(path string, data []byte) (*Plan, error) {
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("%s is not a saved albctl plan, or it is truncated: %w", path, clipErr(err))
	}
	// The checksum covers the compact payload, so re-indenting the file does not break it.
	var compact bytes.Buffer
	if err := json.Compact(&compact, env.Payload); err != nil {
		return nil, fmt.Errorf("%s is not a saved albctl plan, or it is truncated: %w", path, clipErr(err))
	}
	if env.Checksum != hashBytes(compact.Bytes()) {
		return nil, fmt.Errorf("%s is corrupt: its checksum does not match its content", path)
	}
	var sp Plan
	pdec := json.NewDecoder(bytes.NewReader(env.Payload))
	pdec.DisallowUnknownFields()
	if err := pdec.Decode(&sp); err != nil {
		return nil, fmt.Errorf("%s: %w", path, clipErr(err))
	}
	return &sp, nil
}

// checkLengths refuses the fields that later messages quote when they are longer than any
// real value: paths, the target's fields, albctl's version.
func checkLengths(sp *Plan) error {
	fields := []struct{ name, value string }{
		{"spec.dir", sp.Spec.Dir}, {"target.world", sp.Target.World}, {"target.header", sp.Target.Header},
		{"target.identity", sp.Target.Identity}, {"target.endpoint", sp.Target.Endpoint},
		{"target.region", sp.Target.Region}, {"target.profile", sp.Target.Profile}, {"albctl_version", sp.AlbctlVersion},
	}
	for _, f := range append(slices.Clone(sp.Spec.Files), sp.Spec.VarFiles...) {
		fields = append(fields, struct{ name, value string }{"spec file", f.Path})
	}
	for _, f := range fields {
		if len(f.value) > maxPath {
			return fmt.Errorf("%s is %d bytes long, more than any real one (%d): %s", f.name, len(f.value), maxPath, strconv.Quote(excerpt(f.value)))
		}
	}
	return nil
}
