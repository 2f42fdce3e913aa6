#!/usr/bin/env bash
# Installs albctl from a release archive after checking it against the release's
# checksums.txt (docs/release.md, "Verifying a download"). When there is no release archive
# for the version and platform, it says so and, if ALBCTL_FALLBACK=go-install, leaves the
# install to `go install` (action/go-install.sh) by printing go-install=true to GITHUB_OUTPUT.
# A checksum that does not match is never a reason to fall back: it fails.
#
# Environment: ALBCTL_VERSION (vX.Y.Z or latest), ALBCTL_REPOSITORY (owner/name),
# ALBCTL_FALLBACK (go-install or none), ALBCTL_INSTALL_DIR, and ALBCTL_RELEASE_URL, the base
# of the download URLs (a file:// directory in tests and in make release-snapshot).
set -euo pipefail

version=${ALBCTL_VERSION:-latest}
repo=${ALBCTL_REPOSITORY:-albctl/albctl}
fallback=${ALBCTL_FALLBACK:-go-install}
dir=${ALBCTL_INSTALL_DIR:-${RUNNER_TEMP:-/tmp}/albctl-bin}
base=${ALBCTL_RELEASE_URL:-https://github.com/$repo/releases/download}
out=${GITHUB_OUTPUT:-/dev/null}

no_release() {
	echo "albctl: $1" >&2
	if [ "$fallback" = "go-install" ]; then
		echo "albctl: installing $version with go install instead" >&2
		echo "go-install=true" >>"$out"
		exit 0
	fi
	exit 1
}

case "$(uname -s)" in
Linux) os=linux ;;
Darwin) os=darwin ;;
*) no_release "no release archive for $(uname -s)" ;;
esac
case "$(uname -m)" in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) no_release "no release archive for $(uname -m)" ;;
esac

if [ "$version" = "latest" ]; then
	# GitHub redirects releases/latest to releases/tag/TAG; with no release, to releases.
	url=$(curl -fsSL -o /dev/null -w '%{url_effective}' "https://github.com/$repo/releases/latest" || true)
	case "$url" in
	*/releases/tag/v*) version=${url##*/} ;;
	*) no_release "$repo has no release yet" ;;
	esac
fi
case "$version" in
v*) ;;
*) version="v$version" ;;
esac

archive="albctl_${version#v}_${os}_${arch}.tar.gz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! curl -fsSL -o "$tmp/checksums.txt" "$base/$version/checksums.txt"; then
	no_release "no checksums.txt in release $version of $repo"
fi
if ! curl -fsSL -o "$tmp/$archive" "$base/$version/$archive"; then
	no_release "no $archive in release $version of $repo"
fi

want=$(awk -v f="$archive" '$2 == f { print $1 }' "$tmp/checksums.txt")
if [ -z "$want" ]; then
	echo "albctl: $archive is not listed in the checksums.txt of release $version" >&2
	exit 1
fi
if command -v sha256sum >/dev/null; then
	got=$(sha256sum "$tmp/$archive" | awk '{ print $1 }')
else
	got=$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')
fi
if [ "$got" != "$want" ]; then
	echo "albctl: checksum mismatch for $archive: checksums.txt says $want, the download is $got" >&2
	exit 1
fi

tar -xzf "$tmp/$archive" -C "$tmp" albctl
mkdir -p "$dir"
install -m 0755 "$tmp/albctl" "$dir/albctl"
if [ -n "${GITHUB_PATH:-}" ]; then
	echo "$dir" >>"$GITHUB_PATH"
fi
echo "albctl: installed $version ($archive, sha256 $got) into $dir" >&2
echo "version=$version" >>"$out"
