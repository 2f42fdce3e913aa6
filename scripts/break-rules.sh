#!/usr/bin/env bash
# Shows that the differential test against moto (TestDifferential in
# integration/differential_test.go) bites: in a temporary copy of the repository it breaks one
# simulator rule at a time, runs the test, and requires it to fail; the unbroken copy must pass.
# Nothing in the repository changes, and the simulator has no switch for this: each breakage
# is a one-line edit of the copy, found by pattern (the script stops if a pattern no longer
# matches exactly once, e.g. after the simulator was reorganised: update the pattern then).
#
#   scripts/break-rules.sh            starts moto through scripts/test.sh when
#                                     ALBCTL_MOTO_ENDPOINT is not set
#
# The rules (docs/aws-semantics.md has each with its source):
#   dereg-default    a new target group's deregistration_delay.timeout_seconds is 300
#   run-profile      RunInstances launches the instance with the IAM instance profile asked for
#   image-tags       CreateImage tags the image with its TagSpecifications
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${ALBCTL_MOTO_ENDPOINT:-}" ]; then
	exec scripts/test.sh "$PWD/scripts/break-rules.sh" "$@"
fi
export AWS_EC2_METADATA_DISABLED=true

# name|what AWS does|perl substitution (applied to simulator/*.go, tests excluded)
rules=(
	'dereg-default|a new target group deregistration delay is 300 s|s/("deregistration_delay\.timeout_seconds":\s*)"300"/$1"30"/'
	'run-profile|RunInstances gives the instance the IamInstanceProfile asked for|s/\n\t\t\tinst\.IAMProfileARN = prof\.ARN\n/\n/'
	'image-tags|CreateImage applies the image TagSpecifications|s/(\n\t\tTags:\s+)tagMap,\n/${1}func() map[string]string { _ = tagMap; return nil }(),\n/'
)

work=$(mktemp -d "${TMPDIR:-/tmp}/albctl-break.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/base"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	[ -e "$f" ] || continue
	mkdir -p "$work/base/$(dirname "$f")"
	cp -p "$f" "$work/base/$f"
done

# differential DIR runs the test in DIR; its output goes to DIR/test.log.
differential() {
	(cd "$1" && go test -count=1 -run '^TestDifferential$' ./integration/) >"$1/test.log" 2>&1
}

echo "break-rules.sh: the unbroken simulator must pass" >&2
if ! differential "$work/base"; then
	echo "break-rules.sh: TestDifferential fails without any breakage; nothing to show:" >&2
	tail -n 30 "$work/base/test.log" >&2
	exit 1
fi

bad=0
for rule in "${rules[@]}"; do
	IFS='|' read -r name what subst <<<"$rule"
	dir=$work/$name
	cp -a "$work/base" "$dir"
	files=()
	for f in "$dir"/internal/simulator/*.go; do
		case $f in *_test.go) ;; *) files+=("$f") ;; esac
	done
	if ! perl -0 -i -pe "\$n += $subst; END { exit(\$n == 1 ? 0 : 3) }" "${files[@]}"; then
		echo "break-rules.sh: $name: the pattern no longer matches exactly once in internal/simulator/; update it" >&2
		bad=1
		continue
	fi
	if differential "$dir"; then
		echo "FAIL $name: TestDifferential passed with the rule broken ($what)" >&2
		bad=1
		continue
	fi
	if grep -q -E '^(# |.*\[build failed\]|.*cannot use|.*undefined:)' "$dir/test.log"; then
		echo "FAIL $name: the broken copy does not build:" >&2
		head -n 20 "$dir/test.log" >&2
		bad=1
		continue
	fi
	echo "ok   $name: TestDifferential fails when the simulator breaks \"$what\":"
	# The failures, without the test's progress notes.
	grep -E -e '--- FAIL' -e '_test\.go:[0-9]+:' -e '^\s+[-+]\s' "$dir/test.log" |
		grep -v -E 'known difference|steps in' | head -n 12 | cut -c1-160 | sed 's/^/       /'
done
exit $bad
