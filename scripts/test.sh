#!/usr/bin/env bash
# Runs the whole test suite, including the integration tests against moto (integration/), so
# that `make test` and CI run exactly the same thing.
#
# moto comes from PyPI into .venv (the version pinned below) and runs on a free loopback port
# for the length of the run; the tests find it through ALBCTL_MOTO_ENDPOINT. When that is set
# already (make e2e-docker), the moto it names is used instead. When moto cannot be installed
# or started, the script fails under CI=true (CI must run the tests against moto); elsewhere
# it goes on, and those tests skip saying why.
#
# With arguments, it runs them as the command instead of `go test ./...`, with moto serving
# (scripts/break-rules.sh uses that).
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.5
VENV=.venv
PY=$VENV/bin/python

moto_pid=""
moto_log=""

stop_moto() {
	if [ -n "$moto_pid" ]; then
		kill "$moto_pid" 2>/dev/null || true
		wait "$moto_pid" 2>/dev/null || true
		moto_pid=""
	fi
}
cleanup() {
	stop_moto
	if [ -n "$moto_log" ]; then rm -f "$moto_log"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

no_moto() {
	if [ "${CI:-}" = "true" ]; then
		echo "test.sh: $1 (CI=true: the tests against moto must run)" >&2
		exit 1
	fi
	echo "test.sh: $1; the tests against moto will skip" >&2
}

# moto_installed: .venv has the pinned moto with its server extra.
moto_installed() {
	[ -x "$PY" ] && "$PY" - "$MOTO_VERSION" 2>/dev/null <<'EOF'
import importlib.metadata, sys
import moto.server  # needs the [server] extra (flask)
sys.exit(0 if importlib.metadata.version("moto") == sys.argv[1] else 1)
EOF
}

install_moto() {
	echo "test.sh: installing moto[server]==$MOTO_VERSION into $VENV" >&2
	{ [ -x "$PY" ] || python3 -m venv "$VENV"; } &&
		"$PY" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" &&
		moto_installed
}

# start_moto runs moto on a free loopback port and waits (at most 20 s a try, three tries)
# until it answers; it exports ALBCTL_MOTO_ENDPOINT.
start_moto() {
	local port url
	moto_log=$(mktemp "${TMPDIR:-/tmp}/albctl-moto.XXXXXX")
	for _ in 1 2 3; do
		port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
		url="http://127.0.0.1:$port"
		"$PY" -m moto.server -H 127.0.0.1 -p "$port" >"$moto_log" 2>&1 &
		moto_pid=$!
		for _ in $(seq 100); do
			kill -0 "$moto_pid" 2>/dev/null || break # exited, e.g. the port was taken meanwhile
			if "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url/moto-api/data.json" 2>/dev/null; then
				export ALBCTL_MOTO_ENDPOINT="$url"
				echo "test.sh: moto $MOTO_VERSION is serving on $url" >&2
				return 0
			fi
			sleep 0.2
		done
		stop_moto
	done
	echo "test.sh: moto did not answer; the end of its log:" >&2
	tail -n 20 "$moto_log" >&2
	return 1
}

if [ -n "${ALBCTL_MOTO_ENDPOINT:-}" ]; then
	echo "test.sh: using the moto at $ALBCTL_MOTO_ENDPOINT" >&2
elif ! moto_installed && ! install_moto; then
	no_moto "cannot install moto[server]==$MOTO_VERSION from PyPI into $VENV"
elif ! start_moto; then
	no_moto "cannot start moto"
fi

if [ $# -gt 0 ]; then
	"$@"
else
	# -race: the engine, the observer and the lock run goroutines; a data race is a bug here.
	go test -race -count=1 ./...
fi
