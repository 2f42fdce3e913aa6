#!/usr/bin/env bash
# Plans the spec directory as a Markdown review (docs/pr-workflow.md) into ALBCTL_PLAN_FILE
# and writes it to the job summary. Outputs exitcode (0 no changes, 2 changes) and changes
# (true/false); an error (albctl exit 1) fails the step with the plan's output in the log.
#
# Environment: ALBCTL_SPEC_DIR, ALBCTL_PLAN_FILE, ALBCTL_PLAN_ARGS (extra flags, split on
# spaces, e.g. "-var-file prod.tfvars").
set -euo pipefail

spec=${ALBCTL_SPEC_DIR:?ALBCTL_SPEC_DIR is not set}
file=${ALBCTL_PLAN_FILE:-${RUNNER_TEMP:-/tmp}/albctl-plan.md}
read -r -a extra <<<"${ALBCTL_PLAN_ARGS:-}"

code=0
albctl plan -no-color -markdown -detailed-exitcode "${extra[@]}" "$spec" >"$file" || code=$?
if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then
	cat "$file"
	echo "albctl plan failed (exit $code)" >&2
	exit "$code"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	cat "$file" >>"$GITHUB_STEP_SUMMARY"
fi
{
	echo "exitcode=$code"
	echo "changes=$([ "$code" -eq 2 ] && echo true || echo false)"
	echo "plan-file=$file"
} >>"${GITHUB_OUTPUT:-/dev/null}"
