#!/bin/sh
# Installs every Debian package that the build, the tests, the fuzzers and the
# benchmarks need. Idempotent: packages already present are skipped by apt.
# Usage: scripts/deps.sh   (as root, or with sudo available)
set -eu

PKGS="
  meson ninja-build gcc clang pkg-config libclang-rt-14-dev
  zlib1g-dev liblzma-dev liblz4-dev libzstd-dev libexpat1-dev libjansson-dev libsqlite3-dev libcurl4-gnutls-dev libsodium-dev nettle-dev sqlite3
  libical-dev tzdata
  libmicrohttpd-dev libgnutls28-dev gnutls-bin iproute2 procps
  gzip xz-utils lz4 zstd
  dpkg-dev apt-utils busybox-static
  rpm dnf createrepo-c
  libdpkg-dev librpm-dev
  time diffutils
  curl jq python3 gpg gpgv util-linux mount
  python3-aiosmtpd
  cppcheck clang-tidy
  chromium
  postgresql libpq-dev
"

# The browser tests' driver: playwright-core pinned in tests/browser/package-lock.json, run
# against Debian's chromium (it never downloads a browser). Node.js comes with the machine;
# Debian's nodejs is the fallback.
browser_deps() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm; }
  dir=$(dirname "$0")/../tests/browser
  pinned=$(sed -n 's/.*"playwright-core": "\([0-9.]*\)".*/\1/p' "$dir/package.json")
  if ! grep -qs "\"version\": \"$pinned\"" "$dir/node_modules/playwright-core/package.json"; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || {
      echo "deps: npm ci in tests/browser failed"; exit 1; }
  fi
}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "deps: all packages present"
  browser_deps
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "deps: installed$missing"
browser_deps
