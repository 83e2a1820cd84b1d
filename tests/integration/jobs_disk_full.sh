#!/bin/sh
# A full disk during a patch job, with real apt/dpkg on a sandbox root: the job fails with the
# reason disk-full and the host is left as it was. The "disk" is a small tmpfs mounted inside a
# private mount namespace (unshare -m) over a directory of the sandbox root, so nothing outside
# the test's own directory is mounted on, and the mount goes away with the namespace.
#  1. the download does not fit in apt's archives directory: apt refuses before dpkg runs;
#  2. the unpack does not fit under /opt: dpkg fails mid-transaction and puts the old version
#     back itself; the agent reports disk-full and verifies what the host has.
set -u
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
PASSED=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { PASSED=$((PASSED + 1)); echo "ok $PASSED: $*"; }
for t in dpkg-deb apt-ftparchive apt-get dpkg busybox unshare mount jq head; do
        command -v $t >/dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespace, dpkg --root)"; exit 77; }
[ -n "${FLEETPATCH_AGENT:-}" ] && [ -x "$FLEETPATCH_AGENT" ] || { echo "SKIP: agent not built"; exit 77; }
unshare -m true 2>/dev/null || { echo "SKIP: no mount namespaces here"; exit 77; }
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"

debrepo_build "$T/d" || fail "debrepo_build"
# big-fp 2.0 carries 2 MiB that does not compress: it fits neither 256 KiB tmpfs below
_debrepo_pkg "$T/d/src" "$T/d/repo" big-fp 1.0 || fail "big-fp 1.0"
_debrepo_pkg "$T/d/src" "$T/d/repo" big-fp 2.0 || fail "big-fp 2.0"
# the same tree with the blob added, built again over it
head -c 2097152 /dev/urandom > "$T/d/src/big-fp-2.0/opt/big-fp/blob"
dpkg-deb -b --root-owner-group "$T/d/src/big-fp-2.0" "$T/d/repo/big-fp_2.0_all.deb" > /dev/null ||
        fail "dpkg-deb big-fp 2.0"
debrepo_refresh "$T/d" || fail "debrepo_refresh"
R=$T/root
debroot_new "$R" "$T/d/repo" || fail "debroot_new"
printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' > "$R/etc/os-release"
# copy: (not file:) makes apt fetch the .debs into its archives directory, as from a mirror
echo "deb [trusted=yes] copy:$T/d/repo ./" > "$R/etc/apt/sources.list"
# shellcheck disable=SC2046
{ apt-get $(debroot_apt_opts "$R") -qq update && apt-get $(debroot_apt_opts "$R") -qq -y install big-fp=1.0; } \
        > "$T/apt.log" 2>&1 || { cat "$T/apt.log"; fail "preparing the root"; }
installed() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${db:Status-Abbrev}${Version}' "$1" | tr -d ' '; }
[ "$(installed big-fp)" = ii1.0 ] || fail "big-fp 1.0 not installed"

# run_full DIR ID: run-job installing big-fp 2.0 with DIR (under the root) on a 256 KiB tmpfs
run_full() {
        printf '{"id":"%s","type":"install","params":{"packages":[{"name":"big-fp","version":"2.0"}]}}\n' \
                "$2" > "$T/job.json"
        unshare -m sh -c 'mount --make-rprivate / && mount -t tmpfs -o size=256k fpfull "$1" &&
                exec "$2" --root "$3" --state-dir "$4" run-job "$5"' sh \
                "$R$1" "$FLEETPATCH_AGENT" "$R" "$T/state" "$T/job.json" > "$T/report.json" 2> "$T/agent.log"
}

mkdir -p "$R/var/cache/apt/archives"
run_full /var/cache/apt/archives 00000000000000d1
[ "$(jq -r '.status + " " + .result.reason' "$T/report.json")" = "failed disk-full" ] ||
        { cat "$T/report.json" "$T/agent.log"; fail "download into a full archives directory"; }
[ "$(installed big-fp)" = ii1.0 ] || fail "after the failed download: big-fp $(installed big-fp)"
[ -z "$(dpkg --root="$R" --audit 2>&1)" ] || fail "dpkg --audit not clean"
ok "the download does not fit: failed with disk-full before dpkg ran, big-fp 1.0 untouched"

run_full /opt/big-fp 00000000000000d2
[ "$(jq -r '.status + " " + .result.reason' "$T/report.json")" = "failed disk-full" ] ||
        { cat "$T/report.json" "$T/agent.log"; fail "unpack onto a full /opt"; }
[ "$(installed big-fp)" = ii1.0 ] || fail "after the failed unpack: big-fp $(installed big-fp)"
[ -z "$(dpkg --root="$R" --audit 2>&1)" ] || fail "dpkg --audit not clean after the failed unpack"
[ "$(cat "$R/opt/big-fp/version")" = 1.0 ] || fail "big-fp's files are not 1.0's"
jq -e '.result.missing | map(.name) | index("big-fp")' "$T/report.json" > /dev/null ||
        fail "the report does not say big-fp 2.0 is missing"
ok "the unpack does not fit: failed with disk-full, dpkg put 1.0 back, the report says 2.0 is missing"

echo "$PASSED passed, 0 failed"
