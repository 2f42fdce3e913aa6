# Shared by action/comment.sh and action/drift.sh: bodies that fit GitHub's limit and the
# hidden marker that finds albctl's own comment or issue again.
# shellcheck shell=bash

# GitHub refuses a comment or issue body over 65536 characters; a long plan is cut with a
# pointer to the job summary, which has it whole.
max_body=60000

# body_file MARKER HEADER PLAN OUT: writes the marker, a header line and the plan (cut to
# max_body bytes) to OUT.
body_file() {
	local marker=$1 header=$2 plan=$3 outfile=$4
	{
		echo "$marker"
		if [ -n "$header" ]; then
			printf '%s\n\n' "$header"
		fi
		if [ "$(wc -c <"$plan")" -gt "$max_body" ]; then
			head -c "$max_body" "$plan"
			printf '\n\n… cut here: the whole plan is in the summary of run %s.\n' "$(run_url)"
		else
			cat "$plan"
		fi
	} >"$outfile"
}

run_url() {
	echo "${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"
}

# json_string S: S as a JSON string literal, to put into a --jq filter.
json_string() {
	jq -Rn --arg s "$1" '$s'
}
