#!/usr/bin/env bash
# Mutation testing with go-gremlins: change the code in small ways (flip a comparison, negate a
# condition, swap + and -) one mutant at a time, run the package's own tests against each, and
# count the mutants no test notices. docs/testing.md explains how to read the result and records
# the current scores and the mutants that survive.
#
#   scripts/mutate.sh [PKG...]        report per package (default: plan engine cloud simulator)
#   scripts/mutate.sh --ci [PKG...]   the same for plan and engine by default, and exit 1 when a
#                                     package's efficacy is under ALBCTL_MUTATE_THRESHOLD (85)
#
# ALBCTL_MUTATE_WORKERS (default: one per CPU) and ALBCTL_MUTATE_TIMEOUT_COEFFICIENT (default 5)
# bound the work; see below.
#
# Efficacy is killed / (killed + lived): mutants no test executes ("not covered"), mutants that
# do not compile and mutants whose tests time out do not count. A mutant is tried only against
# the tests of its own package, as gremlins does.
#
# gremlins (pinned below) is installed with `go install` into bin/tools the first time. It
# runs on a copy of the files git knows (tracked and untracked, not ignored), so .venv, bin and
# edits made while it runs stay out of it. Per-package JSON reports and logs go to
# $ALBCTL_MUTATE_OUT (default: a temporary directory, removed afterwards).
set -euo pipefail
# The body is one compound command, read whole before it runs: bash reads a script as it goes,
# so editing this file during a run (which takes minutes) would otherwise break that run.
{
cd "$(dirname "$0")/.."

GREMLINS_VERSION=v0.6.0
TOOLS=$PWD/bin/tools
GREMLINS=$TOOLS/gremlins
THRESHOLD=${ALBCTL_MUTATE_THRESHOLD:-85}
WORKERS=${ALBCTL_MUTATE_WORKERS:-0} # 0: gremlins' default, one per CPU
# A mutant's test run is cut off after this many times the unmutated run (compile included),
# and counts as "timed out", neither killed nor lived. gremlins' default is 3, which on a busy
# machine cut off mutants that would have lived or been killed, so the score moved between
# runs; 5 keeps them apart while a mutant that never ends still costs a bounded time.
TIMEOUT_COEFFICIENT=${ALBCTL_MUTATE_TIMEOUT_COEFFICIENT:-5}

ci=false
if [ "${1:-}" = "--ci" ]; then
	ci=true
	shift
fi
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
	if $ci; then pkgs=(plan engine); else pkgs=(plan engine cloud simulator); fi
fi

# Install the pinned gremlins unless bin/tools already has it. `go install` builds it without a
# version stamp (it says "dev"), so the version installed is kept beside it.
if ! [ -x "$GREMLINS" ] || [ "$(cat "$GREMLINS.version" 2>/dev/null)" != "$GREMLINS_VERSION" ]; then
	echo "mutate.sh: installing gremlins $GREMLINS_VERSION into $TOOLS" >&2
	GOBIN=$TOOLS go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
	echo "$GREMLINS_VERSION" >"$GREMLINS.version"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/albctl-mutate.XXXXXX")
out=${ALBCTL_MUTATE_OUT:-$work/out}
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/src"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	[ -e "$f" ] || continue # deleted in the working tree
	mkdir -p "$work/src/$(dirname "$f")"
	cp -p "$f" "$work/src/$f"
done

# field NAME FILE prints a numeric field of gremlins' JSON report.
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }

failed=()
summary=$(printf '%-10s %7s %6s %8s %10s %10s %9s %8s\n' package killed lived timeout notviable uncovered efficacy elapsed)
for pkg in "${pkgs[@]}"; do
	pkg=${pkg#./}
	pkg=${pkg%/}
	echo "mutate.sh: $pkg (load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'))" >&2
	start=$SECONDS
	status=0
	(cd "$work/src" && "$GREMLINS" unleash --workers "$WORKERS" --timeout-coefficient "$TIMEOUT_COEFFICIENT" --output "$out/$pkg.json" "./internal/$pkg") \
		>"$out/$pkg.log" 2>&1 || status=$?
	elapsed=$((SECONDS - start))
	# The mutants that lived are the ones to read: each is a change no test noticed.
	grep -E '^ *LIVED ' "$out/$pkg.log" | sed "s|^ *LIVED |  lived: |; s| at | $pkg/|" >&2 || true
	if [ $status -ne 0 ] || ! [ -s "$out/$pkg.json" ]; then
		echo "mutate.sh: gremlins failed on $pkg (exit $status); the end of its log:" >&2
		tail -n 20 "$out/$pkg.log" >&2
		failed+=("$pkg (gremlins failed)")
		continue
	fi
	j=$out/$pkg.json
	killed=$(field mutants_killed "$j")
	lived=$(field mutants_lived "$j")
	timedout=$(grep -o '"status":"TIMED OUT"' "$j" | wc -l | tr -d ' ')
	notviable=$(field mutants_not_viable "$j")
	uncovered=$(field mutants_not_covered "$j")
	efficacy=$(awk -v k="$killed" -v l="$lived" 'BEGIN { if (k + l == 0) print "n/a"; else printf "%.2f", 100 * k / (k + l) }')
	summary+=$(printf '\n%-10s %7s %6s %8s %10s %10s %8s%% %7ss' "$pkg" "$killed" "$lived" "$timedout" "$notviable" "$uncovered" "$efficacy" "$elapsed")
	if $ci && [ "$efficacy" != n/a ] && awk -v e="$efficacy" -v t="$THRESHOLD" 'BEGIN { exit !(e < t) }'; then
		failed+=("$pkg (efficacy $efficacy% < $THRESHOLD%)")
	fi
done

echo "$summary"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'mutate.sh: FAIL %s\n' "${failed[@]}" >&2
	exit 1
fi
exit
}
