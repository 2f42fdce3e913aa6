#!/usr/bin/env bash
# Posts the plan on the pull request as one comment per spec directory, edited on every
# push: the comment carries a hidden marker naming the directory, so two albctl plans of two
# directories, or another bot's comment, are never overwritten.
#
# Environment: ALBCTL_SPEC_DIR, ALBCTL_PLAN_FILE, ALBCTL_PR (the pull request number),
# GITHUB_REPOSITORY, GH_TOKEN.
set -euo pipefail
# shellcheck source=action/lib.sh
. "$(dirname "$0")/lib.sh"

spec=${ALBCTL_SPEC_DIR:?ALBCTL_SPEC_DIR is not set}
plan=${ALBCTL_PLAN_FILE:?ALBCTL_PLAN_FILE is not set}
pr=${ALBCTL_PR:?ALBCTL_PR is not set: comment works on pull_request events}
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}

marker="<!-- albctl plan: $spec -->"
body=$(mktemp)
trap 'rm -f "$body"' EXIT
body_file "$marker" "" "$plan" "$body"

id=$(gh api --paginate "repos/$repo/issues/$pr/comments?per_page=100" \
	--jq ".[] | select(.body | startswith($(json_string "$marker"))) | .id" | tail -n 1)
if [ -n "$id" ]; then
	gh api --method PATCH "repos/$repo/issues/comments/$id" -F "body=@$body" >/dev/null
	echo "albctl: updated the plan comment $id on #$pr" >&2
else
	gh api --method POST "repos/$repo/issues/$pr/comments" -F "body=@$body" >/dev/null
	echo "albctl: commented the plan on #$pr" >&2
fi
