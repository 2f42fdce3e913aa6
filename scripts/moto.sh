# Sourced by scripts/test.sh and scripts/bench.sh: installs moto[server] (the version pinned
# below) into .venv and runs it on a free loopback port. After start_moto, ALBCTL_MOTO_ENDPOINT
# names it; the EXIT trap set here stops it. The caller decides what a missing moto means.
# shellcheck shell=bash

# 5.2.6 is the first moto that speaks the Smithy RPC v2 CBOR protocol the SDK's CloudWatch
# client uses, so the gate tests read moto's alarms (docs/testing.md, "CloudWatch on moto").
MOTO_VERSION=5.2.6
# The AWS clients integration/clients runs against sim serve (docs/sim-serve.md), pinned and
# installed into .venv beside moto (boto3 is moto's dependency too: this pin is the one moto
# 5.2.6 resolves with; awscli v1 brings its own botocore).
VENV_CLIENTS=(boto3==1.44.18 awscli==1.46.3)
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


# moto_installed: .venv has the pinned moto with its server extra, and the pinned clients.
moto_installed() {
	[ -x "$PY" ] && "$PY" - "moto==$MOTO_VERSION" "${VENV_CLIENTS[@]}" 2>/dev/null <<'EOF'
import importlib.metadata, sys
import moto.server  # needs the [server] extra (flask)
pins = [a.split("==") for a in sys.argv[1:]]
sys.exit(0 if all(importlib.metadata.version(n) == v for n, v in pins) else 1)
EOF
}

install_moto() {
	echo "moto.sh: installing moto[server]==$MOTO_VERSION ${VENV_CLIENTS[*]} into $VENV" >&2
	{ [ -x "$PY" ] || python3 -m venv "$VENV"; } &&
		"$PY" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" \
			"${VENV_CLIENTS[@]}" &&
		moto_installed
}

# parliament, the IAM policy linter TestIAMPoliciesPassParliament runs on docs/iam-policy-*.json
# (docs/security.md), goes into the same .venv; it needs no network once installed.
PARLIAMENT_VERSION=1.6.4

parliament_installed() {
	[ -x "$VENV/bin/parliament" ] && [ "$("$PY" -c 'import importlib.metadata as m; print(m.version("parliament"))' 2>/dev/null)" = "$PARLIAMENT_VERSION" ]
}

install_parliament() {
	echo "moto.sh: installing parliament==$PARLIAMENT_VERSION into $VENV" >&2
	{ [ -x "$PY" ] || python3 -m venv "$VENV"; } &&
		"$PY" -m pip install --quiet --disable-pip-version-check "parliament==$PARLIAMENT_VERSION" &&
		parliament_installed
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
				echo "moto.sh: moto $MOTO_VERSION is serving on $url" >&2
				return 0
			fi
			sleep 0.2
		done
		stop_moto
	done
	echo "moto.sh: moto did not answer; the end of its log:" >&2
	tail -n 20 "$moto_log" >&2
	return 1
}
