#!/bin/sh
# Installs every Debian package that the build, the tests, the fuzzers and the
# benchmarks need. Idempotent: packages already present are skipped by apt.
# Usage: scripts/deps.sh   (as root, or with sudo available)
set -eu

PKGS="
  meson ninja-build gcc clang pkg-config libclang-rt-14-dev
  zlib1g-dev liblzma-dev liblz4-dev libzstd-dev libexpat1-dev libjansson-dev libsqlite3-dev libcurl4-gnutls-dev libsodium-dev sqlite3
  libical-dev tzdata
  libmicrohttpd-dev libgnutls28-dev gnutls-bin iproute2 procps
  gzip xz-utils lz4 zstd
  dpkg-dev apt-utils busybox-static
  rpm dnf createrepo-c
  libdpkg-dev librpm-dev
  time diffutils
  curl jq python3 gpg gpgv util-linux mount
  cppcheck clang-tidy
"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "deps: all packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "deps: installed$missing"
