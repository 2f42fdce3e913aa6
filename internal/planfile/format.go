package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/safefile"
	"github.com/albctl/albctl/internal/specs"
)

// A saved plan carries what it was computed from — the spec (its files' hashes and the
// loaded stack's), the var files' hashes, the observed world, the target and albctl's
// version — so that apply can refuse it once any of these changed, instead of re-planning
// silently. Its checksum only catches corruption: anyone can recompute it. What makes an
// edited plan harmless is that apply plans again from the same spec and world and refuses
// unless it gets exactly the file's steps (docs/security.md).
const (
	Format        = "albctl-plan"
	FormatVersion = 3 // 3: the target records what flags, environment and spec resolved to
	// MaxSize bounds what apply and show read: a plan of thousands of instances, with its
	// world, is a few MiB. Decoding costs a few times the size in memory.
	MaxSize = 64 << 20
)

// Plan is a saved plan's payload.
type Plan struct {
	Format           string       `json:"format"`
	FormatVersion    int          `json:"format_version"`
	AlbctlVersion    string       `json:"albctl_version"`
	Target           Target       `json:"target"`
	Spec             Spec         `json:"spec"`
	WorldFingerprint string       `json:"world_fingerprint"`
	World            *cloud.World `json:"world"`
	Plan             *plan.Plan   `json:"plan"`
}

// Target is where a plan was made for: the command that applies it compares it with its own.
type Target struct {
	Kind     string `json:"kind"`
	Identity string `json:"identity"`
	Header   string `json:"header"`
	World    string `json:"world,omitempty"` // absolute
	Region   string `json:"region,omitempty"`
	Profile  string `json:"profile,omitempty"`
	Endpoint string `json:"endpoint,omitempty"` // credentials redacted
}

// Spec is the spec a plan was computed from.
type Spec struct {
	Dir      string   `json:"dir"` // absolute
	Files    []File   `json:"files"`
	Vars     []string `json:"vars,omitempty"`
	VarFiles []File   `json:"var_files,omitempty"`
	Hash     string   `json:"hash"`
}

// File binds a path (absolute) to its content, checked before the file is read as HCL.
type File struct {
	Path string `json:"path"`
	Hash string `json:"sha256"`
}

// envelope guards the payload with a checksum (SHA-256 of the payload in compact JSON), so a
// truncated or edited file is refused.
type envelope struct {
	Checksum string          `json:"checksum"`
	Payload  json.RawMessage `json:"payload"`
}

// Hash is the SHA-256 of v's JSON, as a plan records the stack and the world.
func Hash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return hashBytes(b), nil
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// SpecFiles lists the spec files specs.Load reads for dir (a directory of *.hcl files, or one
// file), absolute, with their hashes.
func SpecFiles(dir string) ([]File, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	if fi, err := os.Stat(abs); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		names = []string{abs}
	} else {
		entries, err := os.ReadDir(abs)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			n := e.Name()
			if !e.IsDir() && strings.HasSuffix(n, ".hcl") && !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "#") {
				names = append(names, filepath.Join(abs, n))
			}
		}
	}
	return HashFiles(names)
}

// HashFiles hashes each file, naming it by its absolute path.
func HashFiles(paths []string) ([]File, error) {
	out := make([]File, 0, len(paths))
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		h, err := hashFile(abs)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Path: abs, Hash: h})
	}
	return out, nil
}

// hashFile hashes a file as it streams, and at most MaxSize bytes of it: a plan may name
// /dev/zero as a var file, and must not make apply read it for ever.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, MaxSize+1))
	if err != nil {
		return "", err
	}
	if n > MaxSize {
		return "", fmt.Errorf("%s: byte %d: larger than the %s albctl hashes", path, n, sizeText(MaxSize))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Inputs are what a plan is computed from, besides the world: the spec directory and the
// stack loaded from it, and the variables given on the command line.
type Inputs struct {
	Dir      string
	Stack    *specs.Stack
	Vars     []string
	VarFiles []string
}

// New records p, planned from in against world, with the hashes that let apply refuse it
// once anything it was computed from changes. The caller fills in the target.
func New(version string, in Inputs, world *cloud.World, p *plan.Plan) (*Plan, error) {
	specHash, err := Hash(in.Stack)
	if err != nil {
		return nil, err
	}
	fp, err := Hash(world)
	if err != nil {
		return nil, err
	}
	absDir, err := filepath.Abs(in.Dir)
	if err != nil {
		return nil, fmt.Errorf("save plan: %w", err)
	}
	files, err := SpecFiles(in.Dir)
	if err != nil {
		return nil, fmt.Errorf("save plan: %w", err)
	}
	varFiles, err := HashFiles(in.VarFiles)
	if err != nil {
		return nil, fmt.Errorf("save plan: %w", err)
	}
	return &Plan{
		Format: Format, FormatVersion: FormatVersion, AlbctlVersion: version,
		Spec:             Spec{Dir: absDir, Files: files, Vars: in.Vars, VarFiles: varFiles, Hash: specHash},
		WorldFingerprint: fp,
		World:            world,
		Plan:             p,
	}, nil
}

// Encode is the file's content: the payload with its checksum, indented, with a final newline.
func Encode(sp *Plan) ([]byte, error) {
	payload, err := json.Marshal(sp)
	if err != nil {
		return nil, err
	}
	return Seal(payload)
}

// Seal wraps a payload in its checksum envelope. Anyone can: the checksum is no signature,
// which is why apply plans again and compares (tests reseal edited plans with it).
func Seal(payload json.RawMessage) ([]byte, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, payload); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(envelope{Checksum: hashBytes(compact.Bytes()), Payload: payload}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Write saves sp to path.
func Write(path string, sp *Plan) error {
	data, err := Encode(sp)
	if err != nil {
		return err
	}
	// A plan holds a snapshot of the account: 0600 when new, and written like a world file.
	if err := safefile.WriteFile(path, data); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}
