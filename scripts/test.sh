#!/usr/bin/env bash
# Runs the whole test suite, including the integration tests against moto (integration/), so
# that `make test` and CI run exactly the same thing.
#
# moto comes from PyPI into .venv (the version pinned in scripts/moto.sh) and runs on a free loopback port
# for the length of the run; the tests find it through ALBCTL_MOTO_ENDPOINT. When that is set
# already (make e2e-docker), the moto it names is used instead. When moto cannot be installed
# or started, the script fails under CI=true (CI must run the tests against moto); elsewhere
# it goes on, and those tests skip saying why.
#
# With arguments, it runs them as the command instead of `go test ./...`, with moto serving
# (scripts/break-rules.sh uses that).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/moto.sh
. scripts/moto.sh

no_moto() {
	if [ "${CI:-}" = "true" ]; then
		echo "test.sh: $1 (CI=true: the tests against moto must run)" >&2
		exit 1
	fi
	echo "test.sh: $1; the tests against moto will skip" >&2
}

if [ -n "${ALBCTL_MOTO_ENDPOINT:-}" ]; then
	echo "test.sh: using the moto at $ALBCTL_MOTO_ENDPOINT" >&2
elif ! moto_installed && ! install_moto; then
	no_moto "cannot install moto[server]==$MOTO_VERSION from PyPI into $VENV"
elif ! start_moto; then
	no_moto "cannot start moto"
fi

# Without parliament TestIAMPoliciesPassParliament skips, and fails under CI=true.
if ! parliament_installed && ! install_parliament; then
	echo "test.sh: cannot install parliament==$PARLIAMENT_VERSION from PyPI into $VENV; the IAM policy lint will skip (fail under CI=true)" >&2
fi

if [ $# -gt 0 ]; then
	"$@"
else
	# -race: the engine, the observer and the lock run goroutines; a data race is a bug here.
	go test -race -count=1 ./...
fi
