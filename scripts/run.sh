#!/bin/sh
# The main job: install dependencies, build, and scan this host for missing updates
# (read-only: it reads dpkg/apt or rpm/dnf state, changes nothing).
# Extra arguments go to `fleetpatch scan` (e.g. --security-only, --json).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh >/dev/null
[ -d build ] || meson setup build -Dbuildtype=release >/dev/null
ninja -C build >/dev/null
exec ./build/src/cli/fleetpatch scan "$@"
