package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The composite action's scripts (action/*.sh, docs/pr-workflow.md) run here against fake
// albctl, go and gh commands and a release laid out in a directory as GitHub serves it
// (file:// URLs): no test reaches the network.

// scriptRun is one run of an action script.
type scriptRun struct {
	code           int
	stdout, stderr string
	outputs        string // what the script wrote to GITHUB_OUTPUT
	log            string // what the fake commands recorded
}

// runActionScript runs action/NAME with env on top of a PATH that puts bin first.
func runActionScript(t *testing.T, name, bin string, env map[string]string) scriptRun {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "tar", "jq", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			// CI has every one of them (Debian's packages): there the action's scripts must run.
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (CI=true: the action's scripts must be tested)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	script, err := filepath.Abs(filepath.Join("..", "..", "action", name))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + dir, "RUNNER_TEMP=" + dir,
		"GITHUB_OUTPUT=" + filepath.Join(dir, "output"),
		"FAKE_LOG=" + filepath.Join(dir, "log"),
		"GITHUB_REPOSITORY=octo-org/octo-repo", "GITHUB_SERVER_URL=https://github.example", "GITHUB_RUN_ID=42",
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r := scriptRun{}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("%s: %v", name, err)
		}
		r.code = exit.ExitCode()
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	out, _ := os.ReadFile(filepath.Join(dir, "output"))
	log, _ := os.ReadFile(filepath.Join(dir, "log"))
	r.outputs, r.log = string(out), string(log)
	return r
}

// fakeBin writes executable bash scripts named after the keys into a new directory.
func fakeBin(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/usr/bin/env bash\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeRelease lays out release vVERSION of albctl for this platform under a new directory:
// VERSION/ARCHIVE and VERSION/checksums.txt, the archive holding an albctl that prints its
// version. sum overrides the checksum written for the archive ("" for the real one).
func fakeRelease(t *testing.T, version, sum string) (base, archive string) {
	t.Helper()
	archive = archiveName(t, version, runtime.GOOS, runtime.GOARCH) + ".tar.gz"
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	exe := []byte("#!/bin/sh\necho 'albctl v" + version + "'\n")
	if err := tw.WriteHeader(&tar.Header{Name: "albctl", Mode: 0o755, Size: int64(len(exe))}); err != nil {
		t.Fatal(err)
	}
	tw.Write(exe)
	tw.Close()
	gz.Close()
	if sum == "" {
		h := sha256.Sum256(buf.Bytes())
		sum = hex.EncodeToString(h[:])
	}
	base = t.TempDir()
	dir := filepath.Join(base, "v"+version)
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, archive), buf.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "checksums.txt"), []byte(sum+"  "+archive+"\n"+strings.Repeat("0", 64)+"  albctl_other.tar.gz\n"), 0o644)
	return base, archive
}

func TestActionInstall(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("release archives are for linux and darwin")
	}
	good, _ := fakeRelease(t, "0.4.2", "")
	tampered, _ := fakeRelease(t, "0.4.2", strings.Repeat("ab", 32))
	unlisted, _ := fakeRelease(t, "0.4.2", "")
	os.WriteFile(filepath.Join(unlisted, "v0.4.2", "checksums.txt"), []byte(strings.Repeat("0", 64)+"  other.tar.gz\n"), 0o644)
	cases := []struct {
		name, base, version, fallback string
		wantCode                      int
		wantInstalled                 bool
		wantOutput, wantStderr        string
	}{
		{"release verified", good, "v0.4.2", "none", 0, true, "version=v0.4.2\n", "installed v0.4.2"},
		{"version without v", good, "0.4.2", "none", 0, true, "version=v0.4.2\n", "sha256"},
		{"checksum mismatch fails even with a fallback", tampered, "v0.4.2", "go-install", 1, false, "", "checksum mismatch"},
		{"archive not in checksums.txt", unlisted, "v0.4.2", "go-install", 1, false, "", "not listed"},
		{"no such release, fallback", good, "v9.9.9", "go-install", 0, false, "go-install=true\n", "installing v9.9.9 with go install"},
		{"no such release, no fallback", good, "v9.9.9", "none", 1, false, "", "no checksums.txt in release v9.9.9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			installDir := filepath.Join(t.TempDir(), "bin")
			r := runActionScript(t, "install.sh", t.TempDir(), map[string]string{
				"ALBCTL_VERSION": c.version, "ALBCTL_FALLBACK": c.fallback,
				"ALBCTL_RELEASE_URL": "file://" + c.base, "ALBCTL_INSTALL_DIR": installDir,
			})
			if r.code != c.wantCode || r.outputs != c.wantOutput || !strings.Contains(r.stderr, c.wantStderr) {
				t.Errorf("exit %d, outputs %q, stderr %q; want exit %d, outputs %q, stderr containing %q",
					r.code, r.outputs, r.stderr, c.wantCode, c.wantOutput, c.wantStderr)
			}
			out, err := exec.Command(filepath.Join(installDir, "albctl")).Output()
			if installed := err == nil; installed != c.wantInstalled {
				t.Fatalf("albctl installed: %v, want %v", installed, c.wantInstalled)
			}
			if c.wantInstalled && string(out) != "albctl v0.4.2\n" {
				t.Errorf("installed albctl prints %q", out)
			}
		})
	}
}

func TestActionGoInstall(t *testing.T) {
	bin := fakeBin(t, map[string]string{"go": `echo "GOBIN=$GOBIN go $*" >> "$FAKE_LOG"
printf '#!/bin/sh\necho "albctl v0.0.0-20261201000000-0123456789ab"\n' > "$GOBIN/albctl"
chmod +x "$GOBIN/albctl"`})
	dir := filepath.Join(t.TempDir(), "bin")
	r := runActionScript(t, "go-install.sh", bin, map[string]string{"ALBCTL_VERSION": "latest", "ALBCTL_INSTALL_DIR": dir})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := "GOBIN=" + dir + " go install github.com/albctl/albctl/cmd/albctl@latest\n"; r.log != want {
		t.Errorf("ran %q, want %q", r.log, want)
	}
	if want := "version=v0.0.0-20261201000000-0123456789ab\n"; r.outputs != want {
		t.Errorf("outputs %q, want %q", r.outputs, want)
	}
}

func TestActionPlan(t *testing.T) {
	bin := fakeBin(t, map[string]string{"albctl": `echo "albctl $*" >> "$FAKE_LOG"
echo "## plan of ${@: -1}"
exit "$FAKE_CODE"`})
	cases := []struct {
		code          string
		wantExit      int
		wantOutputs   string
		wantInSummary bool
	}{
		{"0", 0, "exitcode=0\nchanges=false\n", true},
		{"2", 0, "exitcode=2\nchanges=true\n", true},
		{"1", 1, "", false},
	}
	for _, c := range cases {
		t.Run("albctl exits "+c.code, func(t *testing.T) {
			summary := filepath.Join(t.TempDir(), "summary")
			planFile := filepath.Join(t.TempDir(), "plan.md")
			r := runActionScript(t, "plan.sh", bin, map[string]string{
				"FAKE_CODE": c.code, "ALBCTL_SPEC_DIR": "infra/alb", "ALBCTL_PLAN_FILE": planFile,
				"ALBCTL_PLAN_ARGS": "-var-file prod.tfvars", "GITHUB_STEP_SUMMARY": summary,
			})
			if want := "albctl plan -no-color -markdown -detailed-exitcode -var-file prod.tfvars infra/alb\n"; r.log != want {
				t.Errorf("ran %q, want %q", r.log, want)
			}
			if r.code != c.wantExit {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, c.wantExit, r.stderr)
			}
			if c.wantOutputs != "" && r.outputs != c.wantOutputs+"plan-file="+planFile+"\n" {
				t.Errorf("outputs %q", r.outputs)
			}
			got, _ := os.ReadFile(summary)
			if in := strings.Contains(string(got), "## plan of infra/alb"); in != c.wantInSummary {
				t.Errorf("plan in the job summary: %v, want %v", in, c.wantInSummary)
			}
			if c.wantExit == 1 && !strings.Contains(r.stdout, "## plan of infra/alb") {
				t.Errorf("a failed plan does not show its output: %q", r.stdout)
			}
		})
	}
}

// fakeGH is a gh that logs each call, records the body file it is given, and answers a
// --jq query by running the filter over the JSON in FAKE_GH_JSON, as gh does per page.
const fakeGH = `args=("$@")
echo "gh ${args[*]}" | sed 's/body=@[^ ]*/body=@FILE/' >> "$FAKE_LOG"
for ((i = 0; i < ${#args[@]}; i++)); do
	case "${args[i]}" in
	--jq) jq -r "${args[i+1]}" "$FAKE_GH_JSON" ;;
	body=@*) { echo "--- body"; cat "${args[i]#body=@}"; echo "---"; } >> "$FAKE_LOG" ;;
	esac
done`

func TestActionComment(t *testing.T) {
	bin := fakeBin(t, map[string]string{"gh": fakeGH})
	plan := filepath.Join(t.TempDir(), "plan.md")
	os.WriteFile(plan, []byte("### albctl plan: 3 steps\n"), 0o644)
	longPlan := filepath.Join(t.TempDir(), "long.md")
	os.WriteFile(longPlan, bytes.Repeat([]byte("| step | call |\n"), 10000), 0o644)
	comments := `[{"id": 11, "body": "LGTM"},
 {"id": 13, "body": "<!-- albctl plan: infra/alb -->\nyesterday's plan"},
 {"id": 14, "body": "<!-- albctl plan: infra/other -->\nplan of another directory"}]`
	cases := []struct {
		name, json, plan string
		wantCall         string
	}{
		{"first plan", `[{"id": 11, "body": "LGTM"}]`, plan, "gh api --method POST repos/octo-org/octo-repo/issues/7/comments -F body=@FILE"},
		{"edits its own comment", comments, plan, "gh api --method PATCH repos/octo-org/octo-repo/issues/comments/13 -F body=@FILE"},
		{"long plan", comments, longPlan, "gh api --method PATCH repos/octo-org/octo-repo/issues/comments/13 -F body=@FILE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := filepath.Join(t.TempDir(), "comments.json")
			os.WriteFile(j, []byte(c.json), 0o644)
			r := runActionScript(t, "comment.sh", bin, map[string]string{
				"FAKE_GH_JSON": j, "ALBCTL_SPEC_DIR": "infra/alb", "ALBCTL_PLAN_FILE": c.plan, "ALBCTL_PR": "7",
			})
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.log, "\n"+c.wantCall+"\n") {
				t.Errorf("gh calls:\n%s\nwant %q", r.log, c.wantCall)
			}
			body := r.log[strings.Index(r.log, "--- body\n")+len("--- body\n"):]
			if !strings.HasPrefix(body, "<!-- albctl plan: infra/alb -->\n") {
				t.Errorf("body does not start with the marker: %.80q", body)
			}
			if len(body) > 65536 {
				t.Errorf("body is %d characters, over GitHub's 65536", len(body))
			}
			if c.plan == longPlan && !strings.Contains(body, "cut here: the whole plan is in the summary of run https://github.example/octo-org/octo-repo/actions/runs/42") {
				t.Errorf("a cut plan does not say where the whole plan is")
			}
		})
	}
}

func TestActionDrift(t *testing.T) {
	bin := fakeBin(t, map[string]string{"gh": fakeGH})
	plan := filepath.Join(t.TempDir(), "plan.md")
	os.WriteFile(plan, []byte("### albctl plan: 1 step\n"), 0o644)
	open := `[{"number": 4, "title": "albctl drift: infra/alb", "body": "opened by hand", "pull_request": null},
 {"number": 5, "title": "albctl drift: infra/alb", "body": "<!-- albctl drift: infra/alb -->\nold plan", "pull_request": {"url": "x"}},
 {"number": 6, "title": "albctl drift: infra/alb", "body": "<!-- albctl drift: infra/alb -->\nold plan"}]`
	none := `[{"number": 4, "title": "albctl drift: infra/alb", "body": "opened by hand"}]`
	cases := []struct {
		name, json, code string
		wantExit         int
		wantCalls        []string
	}{
		{"drift, no issue: open one", none, "2", 0, []string{"gh api --method POST repos/octo-org/octo-repo/issues -f title=albctl drift: infra/alb -F body=@FILE"}},
		{"drift, issue open: update it", open, "2", 0, []string{"gh api --method PATCH repos/octo-org/octo-repo/issues/6 -F body=@FILE"}},
		{"no drift, issue open: close it", open, "0", 0, []string{
			"gh api --method POST repos/octo-org/octo-repo/issues/6/comments -F body=@FILE",
			"gh api --method PATCH repos/octo-org/octo-repo/issues/6 -f state=closed -f state_reason=completed"}},
		{"no drift, no issue: nothing", none, "0", 0, nil},
		{"plan error", none, "1", 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := filepath.Join(t.TempDir(), "issues.json")
			os.WriteFile(j, []byte(c.json), 0o644)
			r := runActionScript(t, "drift.sh", bin, map[string]string{
				"FAKE_GH_JSON": j, "ALBCTL_SPEC_DIR": "infra/alb", "ALBCTL_PLAN_FILE": plan, "ALBCTL_EXITCODE": c.code,
			})
			if r.code != c.wantExit {
				t.Fatalf("exit %d, want %d: %s", r.code, c.wantExit, r.stderr)
			}
			var writes []string
			for _, l := range strings.Split(r.log, "\n") {
				if strings.HasPrefix(l, "gh api --method") {
					writes = append(writes, l)
				}
			}
			if !slices.Equal(writes, c.wantCalls) {
				t.Errorf("gh writes:\n%s\nwant:\n%s", strings.Join(writes, "\n"), strings.Join(c.wantCalls, "\n"))
			}
			if c.code == "2" && !strings.Contains(r.log, "--- body\n<!-- albctl drift: infra/alb -->\n") {
				t.Errorf("the issue body does not start with the marker:\n%s", r.log)
			}
		})
	}
}

// TestActionMetadata: every input action.yml uses is declared, every script it runs exists
// and is executable, and every run step names its shell (a composite action requires it).
func TestActionMetadata(t *testing.T) {
	text := readRepoFile(t, "action.yml")
	inputs := yamlSection(t, text, "inputs")
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z-]+):$`).FindAllStringSubmatch(inputs, -1) {
		declared[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(text, -1) {
		if !declared[m[1]] {
			t.Errorf("action.yml uses inputs.%s, which it does not declare", m[1])
		}
	}
	steps := strings.Split(yamlSection(t, text, "runs"), "\n    - ")
	runs := 0
	for _, step := range steps[1:] {
		m := regexp.MustCompile(`run: '"\$GITHUB_ACTION_PATH/(action/[a-z-]+\.sh)"'`).FindStringSubmatch(step)
		if !strings.Contains(step, "run:") {
			continue
		}
		runs++
		if m == nil {
			t.Errorf("step runs something other than one script of action/:\n%s", step)
			continue
		}
		if !strings.Contains(step, "shell: bash") {
			t.Errorf("step running %s names no shell", m[1])
		}
		info, err := os.Stat(filepath.Join("..", "..", m[1]))
		if err != nil || info.Mode()&0o111 == 0 {
			t.Errorf("%s: missing or not executable (%v)", m[1], err)
		}
	}
	if runs != 5 {
		t.Errorf("found %d run steps, want 5 (install, go install, plan, comment, drift)", runs)
	}
}

// TestTrustPoliciesMatchExamples: the trust policies of docs/pr-workflow.md parse, match the
// subject exactly, and accept the tokens of the jobs in examples/ci that assume each role:
// an environment changes the subject (docs/pr-workflow.md, "OIDC trust").
func TestTrustPoliciesMatchExamples(t *testing.T) {
	doc := readRepoFile(t, "docs/pr-workflow.md")
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(doc, -1)
	if len(blocks) != 2 {
		t.Fatalf("docs/pr-workflow.md has %d JSON blocks, want 2 (plan role, apply role)", len(blocks))
	}
	subjects := func(block string) []string {
		var policy struct {
			Statement []struct {
				Action    string
				Condition map[string]map[string]any
			}
		}
		if err := json.Unmarshal([]byte(block), &policy); err != nil {
			t.Fatalf("trust policy does not parse: %v\n%s", err, block)
		}
		if len(policy.Statement) != 1 || policy.Statement[0].Action != "sts:AssumeRoleWithWebIdentity" {
			t.Fatalf("want one sts:AssumeRoleWithWebIdentity statement:\n%s", block)
		}
		eq := policy.Statement[0].Condition["StringEquals"]
		if eq["token.actions.githubusercontent.com:aud"] != "sts.amazonaws.com" {
			t.Errorf("audience is not sts.amazonaws.com:\n%s", block)
		}
		var subs []string
		switch v := eq["token.actions.githubusercontent.com:sub"].(type) {
		case string:
			subs = []string{v}
		case []any:
			for _, s := range v {
				subs = append(subs, s.(string))
			}
		default:
			t.Fatalf("no StringEquals on the subject:\n%s", block)
		}
		slices.Sort(subs)
		return subs
	}
	// The subject each example job's token carries, from how the job is triggered.
	pr := readRepoFile(t, "examples/ci/github-actions.yml")
	drift := readRepoFile(t, "examples/ci/drift.yml")
	env := regexp.MustCompile(`(?m)^    environment: (\S+)`).FindAllStringSubmatch(pr, -1)
	if len(env) != 1 || !strings.Contains(pr, "ALBCTL_APPLY_ROLE_ARN") {
		t.Fatalf("examples/ci/github-actions.yml: want one job with an environment (apply), got %v", env)
	}
	if !strings.Contains(pr, "secrets.ALBCTL_PLAN_ROLE_ARN") || !strings.Contains(drift, "secrets.ALBCTL_PLAN_ROLE_ARN") ||
		!strings.Contains(drift, "schedule:") || regexp.MustCompile(`(?m)^\s+environment:`).MatchString(drift) {
		t.Fatal("the examples no longer plan with the plan role on pull requests and on a schedule without environment")
	}
	wantPlan := []string{"repo:OWNER/REPO:pull_request", "repo:OWNER/REPO:ref:refs/heads/main"}
	wantApply := []string{"repo:OWNER/REPO:environment:" + env[0][1]}
	if got := subjects(blocks[0][1]); !slices.Equal(got, wantPlan) {
		t.Errorf("plan role trusts %q, want %q (pull requests, and the drift job on main)", got, wantPlan)
	}
	if got := subjects(blocks[1][1]); !slices.Equal(got, wantApply) {
		t.Errorf("apply role trusts %q, want %q (the apply job names environment %s)", got, wantApply, env[0][1])
	}
}
