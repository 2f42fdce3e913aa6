#!/usr/bin/env bash
# Keeps one issue per spec directory in step with drift (docs/pr-workflow.md, "Drift"):
# albctl plan -detailed-exitcode said 2 (the account differs from the spec) → open the issue,
# or update its body with tonight's plan; said 0 → close the issue if one is open, with a
# comment saying when the drift was gone.
#
# Environment: ALBCTL_SPEC_DIR, ALBCTL_PLAN_FILE, ALBCTL_EXITCODE (0 or 2),
# GITHUB_REPOSITORY, GH_TOKEN.
set -euo pipefail
# shellcheck source=action/lib.sh
. "$(dirname "$0")/lib.sh"

spec=${ALBCTL_SPEC_DIR:?ALBCTL_SPEC_DIR is not set}
plan=${ALBCTL_PLAN_FILE:?ALBCTL_PLAN_FILE is not set}
code=${ALBCTL_EXITCODE:?ALBCTL_EXITCODE is not set}
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}

title="albctl drift: $spec"
marker="<!-- albctl drift: $spec -->"
# Issues only (the issues API lists pull requests too), by exact title and marker.
number=$(gh api --paginate "repos/$repo/issues?state=open&per_page=100" \
	--jq ".[] | select(.pull_request == null and .title == $(json_string "$title") and ((.body // \"\") | startswith($(json_string "$marker")))) | .number" | head -n 1)

body=$(mktemp)
trap 'rm -f "$body"' EXIT
case "$code" in
2)
	body_file "$marker" "The account no longer matches \`$spec\` (run $(run_url)). Applying this plan would bring it back; or change the spec to accept the account as it is." "$plan" "$body"
	if [ -n "$number" ]; then
		gh api --method PATCH "repos/$repo/issues/$number" -F "body=@$body" >/dev/null
		echo "albctl: drift: updated issue #$number" >&2
	else
		gh api --method POST "repos/$repo/issues" -f "title=$title" -F "body=@$body" >/dev/null
		echo "albctl: drift: opened an issue" >&2
	fi
	;;
0)
	if [ -n "$number" ]; then
		echo "No drift any more: the plan of run $(run_url) has no changes." >"$body"
		gh api --method POST "repos/$repo/issues/$number/comments" -F "body=@$body" >/dev/null
		gh api --method PATCH "repos/$repo/issues/$number" -f state=closed -f state_reason=completed >/dev/null
		echo "albctl: drift: closed issue #$number" >&2
	else
		echo "albctl: no drift" >&2
	fi
	;;
*)
	echo "albctl: drift: ALBCTL_EXITCODE is $code, want 0 or 2" >&2
	exit 1
	;;
esac
