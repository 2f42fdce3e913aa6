#!/usr/bin/env bash
# The fallback of action/install.sh: builds albctl from source with the Go toolchain the
# action set up from albctl's go.mod. ALBCTL_VERSION latest is the newest version the module
# proxy knows (a pseudo-version of main while there is no tag).
set -euo pipefail

version=${ALBCTL_VERSION:-latest}
dir=${ALBCTL_INSTALL_DIR:-${RUNNER_TEMP:-/tmp}/albctl-bin}
mkdir -p "$dir"
GOBIN="$dir" go install "github.com/albctl/albctl/cmd/albctl@$version"
if [ -n "${GITHUB_PATH:-}" ]; then
	echo "$dir" >>"$GITHUB_PATH"
fi
echo "version=$("$dir/albctl" version | head -n1 | awk '{ print $2 }')" >>"${GITHUB_OUTPUT:-/dev/null}"
