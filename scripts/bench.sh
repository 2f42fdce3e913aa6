#!/usr/bin/env bash
# make bench: measures plan and apply cost and rewrites docs/benchmarks.md. Where moto can be
# installed and started (scripts/moto.sh, as for make test), the page gains the plans made
# through the SDK against it; elsewhere those rows are skipped, and the page says so.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/moto.sh
. scripts/moto.sh

if [ -z "${ALBCTL_MOTO_ENDPOINT:-}" ]; then
	if { moto_installed || install_moto; } && start_moto; then
		:
	else
		echo "bench.sh: no moto; the rows against moto are skipped" >&2
	fi
fi

args=(bench -markdown docs/benchmarks.md)
if [ -n "${ALBCTL_MOTO_ENDPOINT:-}" ]; then
	args+=(-moto "$ALBCTL_MOTO_ENDPOINT")
fi
go run ./cmd/albctl "${args[@]}"
