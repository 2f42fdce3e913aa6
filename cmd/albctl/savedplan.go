package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/albctl/albctl/cloud"
	"github.com/albctl/albctl/plan"
	"github.com/albctl/albctl/specs"
)

// A saved plan carries what it was computed from — the spec's hash, the observed world (and
// its fingerprint, absences included), the target and albctl's version — so that apply can
// refuse it once any of these changed, instead of re-planning silently.
const (
	savedFormat        = "albctl-plan"
	savedFormatVersion = 1
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
	World    string `json:"world,omitempty"`
	Region   string `json:"region,omitempty"`
	Profile  string `json:"profile,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
}

type savedSpec struct {
	Dir      string   `json:"dir"`
	Vars     []string `json:"vars,omitempty"`
	VarFiles []string `json:"var_files,omitempty"`
	Hash     string   `json:"hash"`
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
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func writeSavedPlan(path string, be *backend, c *common, dir string, stack *specs.Stack, world *cloud.World, p *plan.Plan) error {
	specHash, err := sha(stack)
	if err != nil {
		return err
	}
	fp, err := sha(world)
	if err != nil {
		return err
	}
	sp := savedPlan{
		Format: savedFormat, FormatVersion: savedFormatVersion, AlbctlVersion: Version,
		Target: savedTarget{
			Kind: be.kind, Identity: be.identity, Header: be.header, World: be.worldPath,
			Region: c.target.region, Profile: c.target.profile, Endpoint: c.target.endpoint,
		},
		Spec:             savedSpec{Dir: dir, Vars: c.vars, VarFiles: c.varFiles, Hash: specHash},
		WorldFingerprint: fp,
		World:            world,
		Plan:             p,
	}
	payload, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(payload)
	data, err := json.MarshalIndent(envelope{Checksum: "sha256:" + hex.EncodeToString(sum[:]), Payload: payload}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".albctl-plan-*")
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("save plan: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save plan: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

func readSavedPlan(path string) (*savedPlan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("%s is not a saved albctl plan, or it is truncated: %w", path, err)
	}
	// The checksum covers the compact payload, so re-indenting the file does not break it.
	var compact bytes.Buffer
	if err := json.Compact(&compact, env.Payload); err != nil {
		return nil, fmt.Errorf("%s is not a saved albctl plan, or it is truncated: %w", path, err)
	}
	sum := sha256.Sum256(compact.Bytes())
	if env.Checksum != "sha256:"+hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("%s is corrupt: its checksum does not match its content", path)
	}
	var sp savedPlan
	if err := json.Unmarshal(env.Payload, &sp); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sp.Format != savedFormat {
		return nil, fmt.Errorf("%s is not a saved albctl plan (format %q)", path, sp.Format)
	}
	if sp.FormatVersion != savedFormatVersion {
		return nil, fmt.Errorf("%s has plan format version %d; this albctl reads version %d", path, sp.FormatVersion, savedFormatVersion)
	}
	if sp.Plan == nil || sp.World == nil {
		return nil, fmt.Errorf("%s has no plan or no world", path)
	}
	return &sp, nil
}

// applySaved carries out exactly the saved steps, after checking that nothing they were
// computed from has changed.
func (m *Main) applySaved(ctx context.Context, path string, f *applyFlags) error {
	sp, err := readSavedPlan(path)
	if err != nil {
		return err
	}
	if sp.AlbctlVersion != Version {
		return fmt.Errorf("plan %s was made by albctl %s; this is %s. Make a new plan", path, sp.AlbctlVersion, Version)
	}
	if len(f.vars) > 0 || len(f.varFiles) > 0 {
		return errors.New("a saved plan carries its variables: -var and -var-file cannot be used with it")
	}
	c := common{vars: sp.Spec.Vars, varFiles: sp.Spec.VarFiles}
	c.target = f.target
	if c.target.cloud == "" {
		c.target.cloud = sp.Target.Kind
	}
	if c.target.world == "" {
		c.target.world = sp.Target.World
	}
	if c.target.region == "" {
		c.target.region = sp.Target.Region
	}
	if c.target.profile == "" {
		c.target.profile = sp.Target.Profile
	}
	if c.target.endpoint == "" {
		c.target.endpoint = sp.Target.Endpoint
	}
	l, err := m.loadStack(sp.Spec.Dir, &c)
	if err != nil {
		return fmt.Errorf("plan %s: the spec in %s no longer loads: %w", path, sp.Spec.Dir, err)
	}
	if h, err := sha(l.stack); err != nil {
		return err
	} else if h != sp.Spec.Hash {
		return fmt.Errorf("stale plan %s: the spec in %s changed since the plan was made; make a new plan", path, sp.Spec.Dir)
	}
	be, err := m.openBackend(ctx, c.target, l.stack, true)
	if err != nil {
		return err
	}
	if be.identity != sp.Target.Identity {
		return fmt.Errorf("plan %s was made for %q, but this apply talks to %q; make a new plan for this target", path, sp.Target.Header, be.header)
	}
	world, err := be.observe(ctx, l.stack)
	if err != nil {
		return fmt.Errorf("observe: %w", err)
	}
	if fp, err := sha(world); err != nil {
		return err
	} else if fp != sp.WorldFingerprint {
		changes := worldChanges(sp.World, world)
		msg := fmt.Sprintf("stale plan %s: the world changed since the plan was made:", path)
		for _, c := range changes {
			msg += "\n  - " + c
		}
		return errors.New(msg + "\nMake a new plan: albctl never re-plans silently")
	}
	out := m.applyView(f.json)
	out.plan(be.header, sp.Plan)
	if sp.Plan.Empty() {
		return nil
	}
	return m.execute(ctx, be, l, sp.Plan, world, out)
}
