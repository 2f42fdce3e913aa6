package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/specs"
)

// The checks below are what apply runs, in this order, before it does anything with a saved
// plan: each refuses a plan that something it was computed from no longer matches. path names
// the plan file in the messages.

// CheckVersion refuses a plan made by another albctl version.
func (sp *Plan) CheckVersion(path, version string) error {
	if sp.AlbctlVersion != version {
		return fmt.Errorf("plan %s was made by albctl %s; this is %s. Make a new plan", path, strconv.Quote(excerpt(sp.AlbctlVersion)), version)
	}
	return nil
}

// CheckFiles checks the spec and var files the plan names against their recorded hashes,
// before anything parses them, and returns the var files' paths: a plan must not make apply
// read (and print in a diagnostic) another file.
func (sp *Plan) CheckFiles(path string) ([]string, error) {
	files, err := SpecFiles(sp.Spec.Dir)
	if err != nil {
		return nil, fmt.Errorf("stale plan %s: the spec in %s cannot be read: %w", path, sp.Spec.Dir, err)
	}
	if err := compareFiles(path, "spec file", sp.Spec.Files, files); err != nil {
		return nil, err
	}
	varPaths := make([]string, len(sp.Spec.VarFiles))
	for i, vf := range sp.Spec.VarFiles {
		varPaths[i] = vf.Path
	}
	varFiles, err := HashFiles(varPaths)
	if err != nil {
		return nil, fmt.Errorf("stale plan %s: a var file cannot be read: %w", path, err)
	}
	if err := compareFiles(path, "var file", sp.Spec.VarFiles, varFiles); err != nil {
		return nil, err
	}
	return varPaths, nil
}

// compareFiles refuses files whose content is not what the plan recorded, and files that
// are gone or new.
func compareFiles(planPath, what string, want []File, got []File) error {
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

// CheckSpec refuses a plan whose spec, as loaded now, is not the one it was made from.
func (sp *Plan) CheckSpec(path string, stack *specs.Stack) error {
	h, err := Hash(stack)
	if err != nil {
		return err
	}
	if h != sp.Spec.Hash {
		return fmt.Errorf("stale plan %s: the spec in %s changed since the plan was made; make a new plan", path, sp.Spec.Dir)
	}
	return nil
}

// CheckTarget refuses a plan made for another target than here, the one the operator's
// flags, environment, shared config and spec name. A saved plan never chooses where requests
// go; this runs before anything is resolved or dialled.
func (sp *Plan) CheckTarget(path string, here Target) error {
	if diff := TargetDiff(sp.Target, here); len(diff) > 0 {
		return fmt.Errorf("plan %s was made for another target than this apply's flags and configuration name (%s). Nothing was resolved or contacted. A saved plan never chooses where requests go: give apply the same --cloud, --world, --region, --profile and --endpoint as the plan, or make a new plan",
			path, strings.Join(diff, "; "))
	}
	return nil
}

// CheckIdentity refuses a plan made for another account, region or endpoint than the one the
// opened cloud answers as.
func (sp *Plan) CheckIdentity(path, identity, header string) error {
	if identity != sp.Target.Identity {
		return fmt.Errorf("plan %s was made for %q, but this apply talks to %q; make a new plan for this target", path, clip(sp.Target.Header, maxHeader), header)
	}
	return nil
}

// TargetDiff lists, for people, how the target a plan recorded differs from this command's;
// the recorded values are the file's word, so they are quoted in short, printable excerpts.
func TargetDiff(recorded, here Target) []string {
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

// StaleError is a plan whose world is not the one observed now; Changes lists every
// difference (apply -json prints them all), Error says them in a few lines.
type StaleError struct {
	Path    string
	Changes []Change
}

func (e *StaleError) Error() string {
	// The recorded world is the file's word: its names and values are quoted in short.
	return clipLines(staleMessage(e.Path, e.Changes), 4*maxExcerpt)
}

// CheckWorld refuses, with a *StaleError, a plan whose world is not the one observed now.
func (sp *Plan) CheckWorld(path string, world *cloud.World) error {
	// Compare with the world in the file, not with its recorded fingerprint: both are the
	// file's word, and only the world is what the steps are checked against.
	now, err := Hash(world)
	if err != nil {
		return err
	}
	was, err := Hash(sp.World)
	if err != nil {
		return err
	}
	if now != was || now != sp.WorldFingerprint {
		return &StaleError{Path: path, Changes: WorldChanges(sp.World, world)}
	}
	return nil
}

// CheckSteps refuses a plan whose steps are not again, what albctl plans now for its spec and
// world: an edited, resealed plan stops here, before anything is done.
func (sp *Plan) CheckSteps(path string, again *plan.Plan) error {
	x, err1 := json.Marshal(again)
	y, err2 := json.Marshal(sp.Plan)
	if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
		return errors.New("plan " + path + " does not hold the steps albctl plans for its spec and world: the file was edited, or made by another build of albctl. Nothing was done; make a new plan")
	}
	return nil
}
