#!/bin/sh
# fleetpatch feeds / vulns / exceptions / sbom end to end on real data: the real Debian 12
# inventory, the real tracker and DSA data, the real KEV catalog, and the project's per-rule
# tracker cases. Checks the answers, idempotent re-imports, failed imports keeping the previous
# data, KEV ordering, exceptions with expiry, the exit codes, and the SBOM.
set -u
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
S=$FP_SHARED_DATA
[ -d "$S" ] || { echo "SKIP: no shared data"; exit 77; }
export FLEETPATCH_DB="$T/vuln.db"
FP=$FLEETPATCH
INV="--status $S/inventory/debian12-dpkg-status --release debian:bookworm --host web-1"

# A tracker feed of our own: a KEV CVE and a non-KEV CVE of the same urgency on the same package.
cat > "$T/kev-case.json" <<'J'
{"openssl": {
  "CVE-2014-0160": {"description": "Heartbleed (KEV) as a case", "releases": {"bookworm":
    {"status": "resolved", "repositories": {}, "fixed_version": "3.0.20-1~deb12u9", "urgency": "high"}}},
  "CVE-2099-0100": {"description": "same urgency, not in KEV", "releases": {"bookworm":
    {"status": "resolved", "repositories": {}, "fixed_version": "3.0.20-1~deb12u9", "urgency": "high"}}}
}}
J

"$FP" feeds import "$S/debian/tracker-json/osvdev-debian_security_tracker_mock.json" \
        "$S/debian/dsa-list/DSA-list" "$S/kev/known_exploited_vulnerabilities.json" \
        "$FP_SOURCE_ROOT/tests/data/vuln/tracker-bookworm-cases.json" "$T/kev-case.json" \
        > "$T/import" 2> "$T/import.err" || { cat "$T/import.err"; fail "import exit $?"; }
grep -q "^dsa:DSA-list (dsa): 5383 added" "$T/import" || { cat "$T/import"; fail "DSA count"; }
grep -q "^kev:known_exploited_vulnerabilities.json (kev): 1404 entries" "$T/import" || fail "KEV count"
echo "ok: import"

# Same content again: nothing to do.
"$FP" feeds import "$S/debian/dsa-list/DSA-list" > "$T/again" || fail "re-import"
grep -q "dsa:DSA-list (dsa): unchanged" "$T/again" || fail "re-import not a no-op"
"$FP" feeds import --force "$S/debian/dsa-list/DSA-list" > "$T/again" || fail "forced re-import"
grep -q "0 added, 0 updated, 5383 unchanged" "$T/again" || { cat "$T/again"; fail "forced re-import changed records"; }
echo "ok: idempotent"

"$FP" vulns $INV --csv > "$T/v.csv" || fail "vulns exit $?"
row() { grep -E "$1" "$T/v.csv" | head -1; }
row ",CVE-2016-1585,libapparmor1," | grep -q ",unfixed," || fail "apparmor CVE-2016-1585 unfixed"
row ",CVE-2099-0009,zlib1g," | grep -q ",1:1.2.13.dfsg-1+deb12u1,.*,vulnerable," || fail "zlib epoch case"
grep -q ",CVE-2099-0002," "$T/v.csv" && fail "backported fix reported"
grep -q ",CVE-2014-1424," "$T/v.csv" && fail "never-affected CVE reported"
row ",CVE-2014-0160,libssl3," | grep -q ",yes,2022-05-25" || fail "KEV flag and due date"
# KEV outranks the same urgency without KEV: it comes first, with a higher score.
k=$(grep -n ",CVE-2014-0160,libssl3," "$T/v.csv" | cut -d: -f1)
n=$(grep -n ",CVE-2099-0100,libssl3," "$T/v.csv" | cut -d: -f1)
[ "$k" -lt "$n" ] || fail "KEV CVE ranked below the non-KEV CVE of the same severity"
echo "ok: findings"

"$FP" vulns $INV --kev-only --csv > "$T/kev.csv" || fail "kev-only"
[ "$(tail -n +2 "$T/kev.csv" | grep -vc ',CVE-2014-0160,')" -eq 0 ] || fail "--kev-only shows non-KEV"
"$FP" vulns $INV --min-severity high --csv | tail -n +2 | cut -d, -f2 | grep -Evq '^(high|critical)$' &&
        fail "--min-severity high shows lower"
"$FP" vulns $INV --json > "$T/v.json" || fail "json"
grep -q '"CISA KEV, due 2022-05-25: +35"' "$T/v.json" || fail "score reasons in JSON"
"$FP" vulns $INV --fail-on high > /dev/null; [ $? -eq 4 ] || fail "--fail-on high must exit 4"
"$FP" vulns $INV --fail-on high --min-severity critical > /dev/null; [ $? -eq 4 ] || fail "--fail-on ignores display filters"
echo "ok: filters and exit codes"

# Exceptions: accepted until expiry, then the finding is back; history kept.
export FP_NOW=2026-06-01
"$FP" exceptions add --vuln CVE-2099-0001 --hosts 'web-*' --owner alice --reason "compensating control" \
        --expires 2026-07-01 --by bob > "$T/ex" || fail "exceptions add"
"$FP" vulns $INV --csv | grep -q ",CVE-2099-0001," && fail "accepted finding still listed"
"$FP" vulns $INV --all --csv | grep ",CVE-2099-0001," | grep -q ",accepted," || fail "--all shows accepted"
"$FP" vulns --status "$S/inventory/debian12-dpkg-status" --release debian:bookworm --host db-1 --csv |
        grep -q ",CVE-2099-0001," || fail "exception applied to a host outside its glob"
"$FP" exceptions add --vuln CVE-1 --owner a --reason r --expires 2020-01-01; [ $? -eq 2 ] || fail "past expiry accepted"
"$FP" exceptions add --vuln CVE-1 --reason r --expires 2027-01-01; [ $? -eq 2 ] || fail "missing owner accepted"
FP_NOW=2026-07-02 "$FP" vulns $INV --csv | grep ",CVE-2099-0001," | grep -q ",vulnerable," ||
        fail "expired exception still hides the finding"
"$FP" exceptions history 1 | grep -q "expired" || fail "expiry not in the history"
FP_NOW=2026-07-02 "$FP" exceptions ls --all | grep -q "expired" || fail "ls --all"
unset FP_NOW
echo "ok: exceptions"

# A broken feed: exit 5, previous data kept, status says why.
head -c 3000 "$FP_SOURCE_ROOT/tests/data/vuln/tracker-bookworm-cases.json" > "$T/cut.json"
"$FP" feeds import --name debian-tracker:tracker-bookworm-cases.json --kind debian-tracker "$T/cut.json" 2> "$T/err"
[ $? -eq 5 ] || fail "broken feed must exit 5"
grep -q "previous data kept" "$T/err" || fail "message"
"$FP" feeds status | grep "^debian-tracker:tracker-bookworm-cases.json" | grep -q "JSON" || fail "status error"
"$FP" vulns $INV --csv | grep -q ",CVE-2099-0009,zlib1g," || fail "previous data lost"
"$FP" feeds import --kind nonsense "$T/cut.json"; [ $? -eq 2 ] || fail "unknown kind"
"$FP" feeds import "$T/does-not-exist"; [ $? -eq 5 ] || fail "missing file"
echo "ok: broken feeds"

# file:// URLs go through the downloader.
"$FP" feeds import --name url-kev "file://$S/kev/known_exploited_vulnerabilities.csv" > "$T/u" || fail "file URL"
grep -q "url-kev (kev): 1404 entries" "$T/u" || { cat "$T/u"; fail "KEV CSV by URL"; }
echo "ok: url"

"$FP" sbom $INV -o "$T/bom.json" || fail "sbom"
grep -q '"specVersion": "1.5"' "$T/bom.json" || fail "sbom version"
grep -q '"purl": "pkg:deb/debian/libssl3@3.0.19-1~deb12u2?arch=amd64&distro=debian-bookworm&upstream=openssl"' \
        "$T/bom.json" || fail "sbom purl"
grep -q '"id": "CVE-2014-0160"' "$T/bom.json" || fail "sbom vulnerabilities"
[ "$(grep -c '"type": "library"' "$T/bom.json")" -eq 823 ] || fail "sbom components"
echo "ok: sbom"
echo "PASS"
