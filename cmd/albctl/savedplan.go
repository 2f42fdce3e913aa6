package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

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
	savedFormat        = "albctl-plan"
	savedFormatVersion = 3 // 3: the target records what flags, environment and spec resolved to
	// maxSavedPlanSize bounds what apply and show read: a plan of thousands of instances,
	// with its world, is a few MiB. Decoding costs a few times the size in memory.
	maxSavedPlanSize = 64 << 20
)

type savedPlan struct {
	Format           string       `json:"format"`
	FormatVersion    int          `json:"format_version"`
	AlbctlVersion    string       `json:"albctl_version"`
	Target           savedTarget  `json:"target"`
	Spec             savedSpec    `json:"spec"`
	WorldFingerprint string       `json:"world_fingerprint"`
	World            *cloud.World `json:"world"`
	Plan             *plan.Plan   `json:"plan"`
}

type savedTarget struct {
	Kind     string `json:"kind"`
	Identity string `json:"identity"`
	Header   string `json:"header"`
	World    string `json:"world,omitempty"` // absolute
	Region   string `json:"region,omitempty"`
	Profile  string `json:"profile,omitempty"`
	Endpoint string `json:"endpoint,omitempty"` // credentials redacted
}

type savedSpec struct {
	Dir      string      `json:"dir"` // absolute
	Files    []savedFile `json:"files"`
	Vars     []string    `json:"vars,omitempty"`
	VarFiles []savedFile `json:"var_files,omitempty"`
	Hash     string      `json:"hash"`
}

// savedFile binds a path (absolute) to its content, checked before the file is read as HCL.
type savedFile struct {
	Path string `json:"path"`
	Hash string `json:"sha256"`
}

// envelope guards the payload with a checksum (SHA-256 of the payload in compact JSON), so a truncated or edited file is refused.
type envelope struct {
	Checksum string          `json:"checksum"`
	Payload  json.RawMessage `json:"payload"`
}

func sha(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return shaBytes(b), nil
}

func shaBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// planSpecFiles lists the spec files Load reads for dir (a directory of *.hcl files, or one
// file), absolute, with their hashes.
func planSpecFiles(dir string) ([]savedFile, error) {
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
	return hashFiles(names)
}

func hashFiles(paths []string) ([]savedFile, error) {
	out := make([]savedFile, 0, len(paths))
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		h, err := hashFile(abs)
		if err != nil {
			return nil, err
		}
		out = append(out, savedFile{Path: abs, Hash: h})
	}
	return out, nil
}

// hashFile hashes a file as it streams, and at most maxSavedPlanSize bytes of it: a plan may
// name /dev/zero as a var file, and must not make apply read it for ever.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, maxSavedPlanSize+1))
	if err != nil {
		return "", err
	}
	if n > maxSavedPlanSize {
		return "", fmt.Errorf("%s: byte %d: larger than the %s albctl hashes", path, n, sizeText(maxSavedPlanSize))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func writeSavedPlan(ctx context.Context, path string, be *backend, c *common, dir string, stack *specs.Stack, world *cloud.World, p *plan.Plan) error {
	specHash, err := sha(stack)
	if err != nil {
		return err
	}
	fp, err := sha(world)
	if err != nil {
		return err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	files, err := planSpecFiles(dir)
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	varFiles, err := hashFiles(c.varFiles)
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	target, err := operatorTarget(ctx, c.target, stack)
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	target.Identity, target.Header = be.identity, be.header
	sp := savedPlan{
		Format: savedFormat, FormatVersion: savedFormatVersion, AlbctlVersion: Version,
		Target:           target,
		Spec:             savedSpec{Dir: absDir, Files: files, Vars: c.vars, VarFiles: varFiles, Hash: specHash},
		WorldFingerprint: fp,
		World:            world,
		Plan:             p,
	}
	payload, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(envelope{Checksum: shaBytes(payload), Payload: payload}, "", "  ")
	if err != nil {
		return err
	}
	// A plan holds a snapshot of the account: 0600 when new, and written like a world file.
	if err := safefile.WriteFile(path, append(data, '\n')); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}

func readSavedPlan(path string) (*savedPlan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	defer f.Close()
	// A regular file says its size: one over the limit is refused before a byte is read
	// (a sparse 1 GB file costs nothing to make and must cost nothing to refuse).
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > maxSavedPlanSize {
		return nil, fmt.Errorf("%s: byte %d: larger than the %s a saved albctl plan may have (the file has %d bytes)", path, maxSavedPlanSize+1, sizeText(maxSavedPlanSize), fi.Size())
	}
	data, err := readBounded(path, f, maxSavedPlanSize)
	if err != nil {
		return nil, err
	}
	return parseSavedPlan(path, data)
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

// maxLeadingSpace bounds the white space read before a plan's first '{'.
const maxLeadingSpace = 4096

// parseSavedPlan decodes a saved plan; it never panics, whatever the bytes (fuzzed).
func parseSavedPlan(path string, data []byte) (*savedPlan, error) {
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
	if env.Checksum != shaBytes(compact.Bytes()) {
		return nil, fmt.Errorf("%s is corrupt: its checksum does not match its content", path)
	}
	var sp savedPlan
	pdec := json.NewDecoder(bytes.NewReader(env.Payload))
	pdec.DisallowUnknownFields()
	if err := pdec.Decode(&sp); err != nil {
		return nil, fmt.Errorf("%s: %w", path, clipErr(err))
	}
	if sp.Format != savedFormat {
		return nil, fmt.Errorf("%s is not a saved albctl plan (format %s)", path, strconv.Quote(excerpt(sp.Format)))
	}
	if sp.FormatVersion != savedFormatVersion {
		return nil, fmt.Errorf("%s has plan format version %d; this albctl reads version %d. Make a new plan", path, sp.FormatVersion, savedFormatVersion)
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
	if err := checkLengths(&sp); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := plan.Validate(sp.Plan); err != nil {
		return nil, fmt.Errorf("%s: %w", path, clipErr(err))
	}
	return &sp, nil
}

// maxPath bounds every path a saved plan names (Linux's PATH_MAX): a longer one is forged,
// and would otherwise be quoted whole by the messages that name it.
const maxPath = 4096

// checkLengths refuses the fields that later messages quote when they are longer than any
// real value: paths, the target's fields, albctl's version.
func checkLengths(sp *savedPlan) error {
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

// clippedError is an error whose message quotes the input it refuses, cut to a short
// excerpt: a decoder's "unknown field" or a step ID may be hundreds of megabytes long.
type clippedError struct{ err error }

func (e clippedError) Error() string { return clip(shortenTokens(e.err.Error()), 8*maxExcerpt) }

// shortenTokens cuts every run of characters without a space or a quote that is longer than
// maxExcerpt to an excerpt, so that a message keeps its words around a huge value.
func shortenTokens(msg string) string {
	var b strings.Builder
	for len(msg) > 0 {
		i := strings.IndexAny(msg, " \"'`\n")
		if i < 0 {
			i = len(msg)
		}
		b.WriteString(excerpt(msg[:i]))
		if i < len(msg) {
			b.WriteByte(msg[i])
			i++
		}
		msg = msg[i:]
	}
	return b.String()
}
func (e clippedError) Unwrap() error { return e.err }

func clipErr(err error) error { return clippedError{err} }

// clipLines clips each line of a message to n runes.
func clipLines(msg string, n int) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = clip(l, n)
	}
	return strings.Join(lines, "\n")
}

// checkFiles refuses files whose content is not what the plan recorded, before any is read
// as HCL: a plan must not make apply read (and print in a diagnostic) another file.
func checkFiles(planPath, what string, want []savedFile, got []savedFile) error {
	byPath := map[string]string{}
	for _, f := range got {
		byPath[f.Path] = f.Hash
	}
	for _, f := range want {
		h, ok := byPath[f.Path]
		switch {
		case !ok:
			return fmt.Errorf("stale plan %s: %s %s is gone; make a new plan", planPath, what, f.Path)
		case h != f.Hash:
			return fmt.Errorf("stale plan %s: %s %s changed since the plan was made; make a new plan", planPath, what, f.Path)
		}
		delete(byPath, f.Path)
	}
	for p := range byPath {
		return fmt.Errorf("stale plan %s: %s %s is new since the plan was made; make a new plan", planPath, what, p)
	}
	return nil
}

// checkSavedFiles checks the spec and var files a plan names against their recorded hashes,
// before anything parses them, and returns the var files' paths.
func checkSavedFiles(path string, sp *savedPlan) ([]string, error) {
	// The files first, by hash, before anything parses them.
	files, err := planSpecFiles(sp.Spec.Dir)
	if err != nil {
		return nil, fmt.Errorf("stale plan %s: the spec in %s cannot be read: %w", path, sp.Spec.Dir, err)
	}
	if err := checkFiles(path, "spec file", sp.Spec.Files, files); err != nil {
		return nil, err
	}
	varPaths := make([]string, len(sp.Spec.VarFiles))
	for i, vf := range sp.Spec.VarFiles {
		varPaths[i] = vf.Path
	}
	varFiles, err := hashFiles(varPaths)
	if err != nil {
		return nil, fmt.Errorf("stale plan %s: a var file cannot be read: %w", path, err)
	}
	if err := checkFiles(path, "var file", sp.Spec.VarFiles, varFiles); err != nil {
		return nil, err
	}
	return varPaths, nil
}

// applySaved carries out exactly the saved steps, after checking that nothing they were
// computed from has changed and that planning again gives the same steps.
func (m *Main) applySaved(ctx context.Context, path string, f *applyFlags) error {
	sp, err := readSavedPlan(path)
	if err != nil {
		return err
	}
	if sp.AlbctlVersion != Version {
		return fmt.Errorf("plan %s was made by albctl %s; this is %s. Make a new plan", path, strconv.Quote(excerpt(sp.AlbctlVersion)), Version)
	}
	if len(f.vars) > 0 || len(f.varFiles) > 0 {
		return errors.New("a saved plan carries its variables: -var and -var-file cannot be used with it")
	}
	varPaths, err := checkSavedFiles(path, sp)
	if err != nil {
		return err
	}
	// Where requests go is the operator's: this apply's flags, environment and shared config,
	// and the spec the plan is bound to. The file's target is only compared with them.
	c := common{vars: sp.Spec.Vars, varFiles: varPaths}
	c.target = f.target
	l, err := m.loadStack(sp.Spec.Dir, &c)
	if err != nil {
		return fmt.Errorf("plan %s: the spec in %s no longer loads: %w", path, sp.Spec.Dir, err)
	}
	if h, err := sha(l.stack); err != nil {
		return err
	} else if h != sp.Spec.Hash {
		return fmt.Errorf("stale plan %s: the spec in %s changed since the plan was made; make a new plan", path, sp.Spec.Dir)
	}
	// Before anything is resolved or dialled: a plan made for another target stops here.
	here, err := operatorTarget(ctx, c.target, l.stack)
	if err != nil {
		return err
	}
	if diff := targetDiff(sp.Target, here); len(diff) > 0 {
		return fmt.Errorf("plan %s was made for another target than this apply's flags and configuration name (%s). Nothing was resolved or contacted. A saved plan never chooses where requests go: give apply the same --cloud, --world, --region, --profile and --endpoint as the plan, or make a new plan",
			path, strings.Join(diff, "; "))
	}
	abs, _ := filepath.Abs(path)
	c.target.lockFlags.operation = "apply"
	c.target.lockFlags.plan = "saved plan " + abs
	be, err := m.openBackend(ctx, c.target, l.stack, true)
	if err != nil {
		return err
	}
	if be.identity != sp.Target.Identity {
		return fmt.Errorf("plan %s was made for %q, but this apply talks to %q; make a new plan for this target", path, clip(sp.Target.Header, maxHeader), be.header)
	}
	world, err := be.observe(ctx, l.stack)
	if err != nil {
		return fmt.Errorf("observe: %w", err)
	}
	if err := m.checkWorld(path, sp, world, f.json); err != nil {
		return err
	}
	// The steps must be what albctl plans for this spec and world: an edited, resealed plan
	// is refused here, before anything is done.
	again, err := plan.Build(l.stack, world)
	if err != nil {
		return m.reportPlanError(l, err)
	}
	if !sameSteps(again, sp.Plan) {
		return fmt.Errorf("plan %s does not hold the steps albctl plans for its spec and world: the file was edited, or made by another build of albctl. Nothing was done; make a new plan", path)
	}
	out := m.applyView(f.json)
	out.plan(be.header, sp.Plan)
	if sp.Plan.Empty() {
		return nil
	}
	return m.execute(ctx, be, l, again, world, out, f.chart)
}

// checkWorld refuses a plan whose world is not the one observed now.
func (m *Main) checkWorld(path string, sp *savedPlan, world *cloud.World, jsonOut bool) error {
	// Compare with the world in the file, not with its recorded fingerprint: both are the
	// file's word, and only the world is what applySaved checks the steps against.
	now, err := sha(world)
	if err != nil {
		return err
	}
	if was, err := sha(sp.World); err != nil {
		return err
	} else if now != was || now != sp.WorldFingerprint {
		changes := worldChanges(sp.World, world)
		if jsonOut {
			m.staleJSON(path, changes)
		}
		// The recorded world is the file's word: its names and values are quoted in short.
		return errors.New(clipLines(staleMessage(path, changes), 4*maxExcerpt))
	}
	return nil
}

func sameSteps(a, b *plan.Plan) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// operatorTarget is where this command's requests go, as the operator's flags, environment
// and shared config and the spec decide it, in the form a saved plan records: the cloud,
// the world file (absolute, symlink-free), and for AWS the region, the profile and the
// endpoint (credentials redacted). It makes no DNS query and no connection: loading the
// SDK's configuration reads files and the environment only, with the metadata service off.
func operatorTarget(ctx context.Context, t targetFlags, stack *specs.Stack) (savedTarget, error) {
	kind, err := resolveCloud(t.cloud, stack)
	if err != nil {
		return savedTarget{}, err
	}
	st := savedTarget{Kind: kind}
	if kind == "sim" {
		if t.world != "" {
			if st.World, err = worldIdentity(t.world); err != nil {
				return savedTarget{}, fmt.Errorf("world %s: %w", t.world, err)
			}
		}
		return st, nil
	}
	if t.world != "" {
		return savedTarget{}, errors.New("--world is for the simulator; it cannot be used with --cloud aws")
	}
	region, profile, endpoint, _ := awsSettings(t, stack)
	opts := []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return savedTarget{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	for _, src := range cfg.ConfigSources {
		if ec, ok := src.(config.EnvConfig); ok && profile == "" {
			profile = ec.SharedConfigProfile
		}
	}
	if profile == "" {
		profile = "default"
	}
	if endpoint == "" {
		endpoint = aws.ToString(cfg.BaseEndpoint)
	}
	st.Region, st.Profile, st.Endpoint = cfg.Region, profile, redactURL(endpoint)
	return st, nil
}

// targetDiff lists, for people, how the target a plan recorded differs from this command's;
// the recorded values are the file's word, so they are quoted in short, printable excerpts.
func targetDiff(recorded, here savedTarget) []string {
	var out []string
	for _, f := range []struct{ name, was, now string }{
		{"cloud", recorded.Kind, here.Kind},
		{"world", recorded.World, here.World},
		{"region", recorded.Region, here.Region},
		{"profile", recorded.Profile, here.Profile},
		{"endpoint", recorded.Endpoint, here.Endpoint},
	} {
		if f.was != f.now {
			out = append(out, fmt.Sprintf("%s: the plan says %s, this apply %s", f.name, describe(clip(f.was, maxHeader)), describe(f.now)))
		}
	}
	return out
}

func describe(s string) string {
	if s == "" {
		return "none"
	}
	return strconv.Quote(s)
}

// maxExcerpt bounds what an error message quotes of a value it refuses: a forged field may be
// hundreds of megabytes long.
const maxExcerpt = 80

// maxHeader bounds the recorded target show prints: long enough for any real world path.
const maxHeader = 4096

// excerpt is at most maxExcerpt runes of s, with the length of what was cut.
func excerpt(s string) string { return clip(s, maxExcerpt) }

// clip is at most n runes of s, with the length of what was cut.
func clip(s string, n int) string {
	r := []rune(s[:min(len(s), 4*n)])
	if len(r) <= n && len(s) <= 4*n {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes in all)", string(r[:min(len(r), n)]), len(s))
}

// printable replaces control characters (a forged header could move the cursor or clear the
// screen) with U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// applyCommand is the apply of a saved plan with the target flags the plan was made with: a
// plan never names its target to apply, the operator does (docs/security.md). An endpoint is
// shown redacted; one with credentials in it must be typed again.
func applyCommand(t targetFlags, path string) string {
	var args []string
	for _, f := range []struct{ name, value string }{
		{"--cloud", t.cloud}, {"--world", t.world}, {"--region", t.region}, {"--profile", t.profile}, {"--endpoint", redactURL(t.endpoint)},
	} {
		if f.value != "" {
			args = append(args, f.name, shellQuote(f.value))
		}
	}
	return strings.Join(append(args, shellQuote(path)), " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
