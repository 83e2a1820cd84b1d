#!/bin/sh
# Bad input to fleetpatch scan: every case must exit 3 (or 2 for usage) with a message that
# names the file (and line and field where there is one), never crash, never answer.
set -u
command -v gzip >/dev/null 2>&1 || { echo "SKIP: gzip missing"; exit 77; }
T=$(mktemp -d) || exit 1
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

R=$T/root
mkdir -p "$R/var/lib/dpkg" "$R/var/lib/apt/lists" "$R/etc/apt/preferences.d"
cat > "$R/var/lib/dpkg/status" <<'S'
Package: foo
Status: install ok installed
Architecture: all
Version: 1.0

S
L=$R/var/lib/apt/lists
P=_srv_repo_._Packages
printf 'Origin: t\nSuite: s\nCodename: c\n' > "$L/_srv_repo_._Release"
printf 'Package: foo\nVersion: 1.1\nArchitecture: all\n\n' > "$T/Packages"

# expect CODE PATTERN -- run scan, check exit code and that stderr matches PATTERN
expect() {
        code=$1; pat=$2; shift 2
        "$FLEETPATCH" scan "$@" > "$T/out" 2> "$T/err"; rc=$?
        [ $rc -eq "$code" ] || { cat "$T/err"; fail "exit $rc, want $code ($pat)"; }
        grep -Eq "$pat" "$T/err" || { cat "$T/err"; fail "stderr does not match '$pat'"; }
        echo "ok: $pat"
}

cp "$T/Packages" "$L/$P"
"$FLEETPATCH" scan --root "$R" > "$T/out" || fail "good sandbox rc $?"
grep -q '^foo ' "$T/out" || fail "good sandbox: foo 1.1 not found"

# truncated gzip
gzip -c "$T/Packages" > "$T/p.gz"; rm -f "$L/$P"
head -c 20 "$T/p.gz" > "$L/$P.gz"
expect 3 "$P\.gz.*(truncat|corrupt)" --root "$R"
# corrupt gzip (bytes flipped in the middle)
{ head -c 10 "$T/p.gz"; printf 'XXXXXXXXXXXXXXXXXXXX'; tail -c +31 "$T/p.gz"; } > "$L/$P.gz"
expect 3 "$P\.gz" --root "$R"
rm -f "$L/$P.gz"
# unknown compression (bzip2 magic)
printf 'BZh91AY&SY' > "$L/$P.bz2"
expect 3 "$P\.bz2.*(bzip2|unsupported|compression)" --root "$R"
rm -f "$L/$P.bz2"
# a bad version in the status file: dpkg's own reason, with line and field
cp "$T/Packages" "$L/$P"
cp "$R/var/lib/dpkg/status" "$T/status.good"
printf 'Package: bar\nStatus: install ok installed\nVersion: 1:\n' >> "$R/var/lib/dpkg/status"
expect 3 "status:8: field Version: nothing after colon in version number" --root "$R"
# a bad Status field
printf 'Package: foo\nStatus: install ok sideways\nVersion: 1.0\n' > "$R/var/lib/dpkg/status"
expect 3 "status:2: field Status: unknown package status" --root "$R"
# an enormous field (past FP_MAX_FIELD_LEN = 16 MiB) in a Packages stanza we keep
cp "$T/status.good" "$R/var/lib/dpkg/status"
python3 -c 'import sys
sys.stdout.write("Package: foo\nVersion: 1.2\nArchitecture: all\nDescription: x\n")
line = " " + "y" * 1023 + "\n"
sys.stdout.write(line * (17 * 1024))' > "$L/$P" 2>/dev/null || { echo "SKIP part: python3"; }
expect 3 "$P:4: field Description: .*FP_MAX_FIELD_LEN" --root "$R"
cp "$T/Packages" "$L/$P"
# a line that is not a field
printf 'Package: foo\nVersion: 1.3\nthis is not a field\n\n' > "$L/$P"
expect 3 "$P:3: .*no colon" --root "$R"
cp "$T/Packages" "$L/$P"
# missing status file
expect 3 "nonexistent-status" --root "$R" --status "$T/nonexistent-status"
# unreadable lists dir (as root chmod does not stop us: use a file instead of a directory)
: > "$T/not-a-dir"
expect 3 "not-a-dir.*(apt lists|directory)" --root "$R" --lists-dir "$T/not-a-dir"
expect 3 "no-such-lists" --root "$R" --lists-dir "$T/no-such-lists"
# bad preferences
printf 'Package: foo\nPin: release a=s\nPin-Priority: lots\n' > "$R/etc/apt/preferences.d/bad"
expect 3 "preferences.d/bad:3: field Pin-Priority" --root "$R"
rm -f "$R/etc/apt/preferences.d/bad"
# a Release file with a broken clear-sign armour
printf -- '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: t\n' > "$L/_srv_repo_._InRelease"
expect 3 "_InRelease.*PGP SIGNATURE" --root "$R"
rm -f "$L/_srv_repo_._InRelease"
# usage errors
expect 2 "unknown option" --root "$R" --frobnicate
expect 2 "needs a value" --root
# a root with no package database
mkdir -p "$T/empty"
expect 3 "no package database" --root "$T/empty"
echo "PASS"
exit 0
