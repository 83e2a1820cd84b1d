#!/bin/sh
# fleetpatch scan on the captured Debian 12 host (shared data) must equal the oracle
# expected-upgradable.tsv row for row, and --security-only its bookworm-security subset.
set -u
D=${FP_SHARED_DATA:-}/apt
S=${FP_SHARED_DATA:-}/inventory/debian12-dpkg-status
[ -n "${FP_SHARED_DATA:-}" ] && [ -d "$D" ] && [ -f "$S" ] || { echo "SKIP: no shared data"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
mkdir "$T/root"   # empty root: no host apt.conf or preferences leak into the answer

tsv() {
        python3 -c 'import json,sys
d=json.load(sys.stdin)
for u in d["updates"]: print("\t".join([u["name"],u["arch"],u["installed"],u["candidate"],u["suites"]]))'
}
"$FLEETPATCH" scan --root "$T/root" --status "$S" --lists-dir "$D" --json > "$T/all.json" || { echo "FAIL: scan exit $?"; exit 1; }
tsv < "$T/all.json" > "$T/ours.tsv" || exit 1
tail -n +2 "$D/expected-upgradable.tsv" > "$T/expected.tsv"
if ! diff -u "$T/expected.tsv" "$T/ours.tsv"; then echo "FAIL: differs from expected-upgradable.tsv"; exit 1; fi
rows=$(wc -l < "$T/ours.tsv")
[ "$rows" -eq 131 ] || { echo "FAIL: $rows rows, want 131"; exit 1; }
if grep -q '^nodejs	' "$T/ours.tsv"; then echo "FAIL: nodejs (newer than Debian's) reported"; exit 1; fi

"$FLEETPATCH" scan --root "$T/root" --status "$S" --lists-dir "$D" --json --security-only | tsv > "$T/sec.tsv" || exit 1
awk -F'\t' '$5 ~ /(^|,)bookworm-security(,|$)/' "$T/expected.tsv" > "$T/sec-expected.tsv"
if ! diff -u "$T/sec-expected.tsv" "$T/sec.tsv"; then echo "FAIL: --security-only differs"; exit 1; fi
# the security flag in JSON agrees with the suites
python3 - "$T/all.json" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
bad = [u["name"] for u in d["updates"] if u["security"] != ("bookworm-security" in u["suites"].split(","))]
assert not bad, bad
assert d["count"] == 131 and d["installed_count"] == 823, (d["count"], d["installed_count"])
PY
# the table view lists the same packages
n=$("$FLEETPATCH" scan --root "$T/root" --status "$S" --lists-dir "$D" | tail -1)
case "$n" in "131 upgradable (81 security) of 823 installed packages") ;; *) echo "FAIL: table summary '$n'"; exit 1;; esac
echo "PASS: 131 rows equal the oracle, $(wc -l < "$T/sec.tsv") security rows equal --security-only"
exit 0
