#!/usr/bin/env bash
# What `make release-snapshot` checks in goreleaser's dist/ (docs/release.md, "Rehearsing a
# release"): the four archives and checksums.txt, every checksum right, the binary for this
# machine printing the version goreleaser stamped, and action/install.sh installing that
# archive from a release laid out as GitHub serves it, and refusing it once tampered with.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}

fail() {
	echo "check-release: $*" >&2
	exit 1
}

version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$dist/metadata.json")
[ -n "$version" ] || fail "no version in $dist/metadata.json"
[ -f "$dist/checksums.txt" ] || fail "no $dist/checksums.txt"
for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
	archive="albctl_${version}_${platform}.tar.gz"
	[ -f "$dist/$archive" ] || fail "no $archive in $dist"
	grep -q " $archive\$" "$dist/checksums.txt" || fail "$archive is not in checksums.txt"
	tar -tzf "$dist/$archive" | grep -qx albctl || fail "$archive has no albctl at its top"
done
(cd "$dist" && sha256sum --check --strict checksums.txt) || fail "a checksum in $dist/checksums.txt is wrong"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
os=$(uname -s | tr '[:upper:]' '[:lower:]')
case "$(uname -m)" in
x86_64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) fail "no archive for $(uname -m)" ;;
esac
tar -xzf "$dist/albctl_${version}_${os}_${arch}.tar.gz" -C "$tmp" albctl
got=$("$tmp/albctl" version | head -n 1)
case "$got" in
"albctl v$version" | "albctl v$version "*) ;;
*) fail "albctl version printed '$got', want 'albctl v$version'" ;;
esac

# A release as GitHub serves it: BASE/vVERSION/ASSET.
mkdir -p "$tmp/releases/v$version" "$tmp/bin"
cp "$dist/checksums.txt" "$dist"/albctl_"${version}"_*.tar.gz "$tmp/releases/v$version/"
ALBCTL_VERSION="v$version" ALBCTL_FALLBACK=none ALBCTL_INSTALL_DIR="$tmp/bin" \
	ALBCTL_RELEASE_URL="file://$tmp/releases" GITHUB_OUTPUT="$tmp/out" action/install.sh
[ "$("$tmp/bin/albctl" version | head -n 1 | cut -d' ' -f2)" = "v$version" ] ||
	fail "action/install.sh installed an albctl that does not print v$version"
grep -qx "version=v$version" "$tmp/out" || fail "action/install.sh did not output version=v$version"

# The same release with one byte of the archive changed: install.sh must refuse it.
rm -f "$tmp/bin/albctl"
printf 'x' | dd of="$tmp/releases/v$version/albctl_${version}_${os}_${arch}.tar.gz" bs=1 seek=100 conv=notrunc 2>/dev/null
if ALBCTL_VERSION="v$version" ALBCTL_FALLBACK=go-install ALBCTL_INSTALL_DIR="$tmp/bin" \
	ALBCTL_RELEASE_URL="file://$tmp/releases" GITHUB_OUTPUT="$tmp/out2" action/install.sh 2>"$tmp/err"; then
	fail "action/install.sh accepted a tampered archive"
fi
grep -q "checksum mismatch" "$tmp/err" || fail "action/install.sh failed, but not on the checksum: $(cat "$tmp/err")"
[ ! -e "$tmp/bin/albctl" ] || fail "action/install.sh installed a tampered archive"
echo "check-release: v$version: 4 archives, checksums.txt right, albctl version and action/install.sh checked"
