#!/bin/sh
# fleetpatch scan of this machine (/) against `apt list --upgradable` on the same lists.
# Read-only: never runs apt-get update or installs anything.
set -u
command -v apt >/dev/null 2>&1 || { echo "SKIP: apt missing"; exit 77; }
[ -f /var/lib/dpkg/status ] || { echo "SKIP: not a dpkg host"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

# "name/suite1,suite2 cand arch [upgradable from: inst]" -> "name arch inst cand"
apt list --upgradable 2>/dev/null | sed -n -E \
        's|^([^/]+)/[^ ]* ([^ ]+) ([^ ]+) \[upgradable from: ([^]]+)\].*|\1 \3 \4 \2|p' |
        sort > "$T/apt" || exit 1
"$FLEETPATCH" scan --json > "$T/json" || { echo "FAIL: fleetpatch scan exit $?"; exit 1; }
python3 -c 'import json,sys
for u in json.load(sys.stdin)["updates"]: print(u["name"], u["arch"], u["installed"], u["candidate"])' \
        < "$T/json" | sort > "$T/fp" || exit 1
if ! diff -u "$T/apt" "$T/fp"; then echo "FAIL: fleetpatch scan differs from apt list --upgradable"; exit 1; fi
echo "PASS: $(wc -l < "$T/apt") upgradable packages, identical"
exit 0
