#!/bin/sh
# Patch execution end to end on an RPM sandbox host: a real fleetpatchd over TLS, a real
# fleetpatch-agent driving real dnf/rpm on an installroot (never this machine's packages):
# scan -> install exact NEVRAs -> verify -> upgrade-approved (a new dependency pulled in) ->
# rollback to the exact previous versions -> verify; a failing %post gives a failed job with the
# log; a job for a version no repository has fails with not-found and changes nothing.
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
cleanup() {
        [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/rpmrepo.sh"
need rpm rpmbuild createrepo_c dnf busybox
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (rpm --root chroots for scriptlets)"; exit 77; }
export HOME="$T/home" # rpm and dnf read ~/.rpmmacros: never the caller's
mkdir -p "$HOME"
# Debian's rpm keeps its database under ~/.rpmdb; put the installroot's where RPM
# distributions keep it (the agent inherits HOME)
echo '%_dbpath /var/lib/rpm' > "$HOME/.rpmmacros"

rpmrepo_build "$T/repo" 2> "$T/build.log" || { cat "$T/build.log"; fail "rpmrepo_build"; }
R=$T/root
rpmroot_new "$R" "$T/repo" || fail "rpmroot_new"
echo 6666bbbb6666bbbb6666bbbb6666bbbb > "$R/etc/machine-id"
DNF="--installroot=$R --setopt=reposdir=$R/etc/yum.repos.d --releasever=9 --setopt=cachedir=$R/var/cache/dnf"
# shellcheck disable=SC2086
dnf -y -q $DNF install hello-fp-1.0-1 > "$T/dnf.log" 2>&1 || { cat "$T/dnf.log"; fail "seeding hello-fp 1.0"; }
installed() { # NAME -> version-release or "-" (rpm -q says "not installed" on stdout)
        rpm --root "$R" -q --qf '%{VERSION}-%{RELEASE}' "$1" > "$T/rpmq" 2>/dev/null && cat "$T/rpmq" || echo -
}

srv_start "$T/srv" "$T/srv.log" --port 0
enroll_token "$T/tok" '{"uses":5}'
agent_conf rpm "$R" "$T/tok" 'lock_wait = 30'
agent_once rpm
H=$(host_id rpm)
queue() { api_ok POST "/v1/hosts/$H/jobs" "{\"type\":\"$1\",\"params\":$2}" | jq -r .id; }
run_job() { agent_once rpm; api_ok GET "/v1/jobs/$1" > "$T/job.json"; }
jq_job() { jq -r "$1" "$T/job.json"; }
expect_job() {
        got="$(jq_job .status) $(jq_job '.result.verdict // "-"') $(jq_job '.result.reason // ""')"
        [ "$got" = "$1 $2 $3" ] || { jq . "$T/job.json"; fail "job: got '$got', want '$1 $2 $3'"; }
}

J=$(queue scan '{}'); run_job "$J"
expect_job succeeded not-run ""
api_ok GET "/v1/hosts/$H" | jq -e '.updates >= 1' > /dev/null || fail "the server knows no updates for the RPM host"
ok "scan: the server knows the RPM host's updates"

J=$(queue install '{"packages":[{"name":"hello-fp","version":"1.1-1","arch":"noarch"}]}')
run_job "$J"
expect_job succeeded verified ""
[ "$(installed hello-fp)" = 1.1-1 ] || fail "hello-fp after install: $(installed hello-fp)"
ok "install of an exact NEVRA verified"

UJ=$(queue upgrade-approved '{}')
api_ok GET "/v1/jobs/$UJ" | jq -e '.params.packages | map(.name + "=" + .version) | index("hello-fp=2.0-1")' \
        > /dev/null || { api GET "/v1/jobs/$UJ"; fail "upgrade-approved was not expanded to hello-fp 2.0-1"; }
run_job "$UJ"
expect_job succeeded verified ""
[ "$(installed hello-fp) $(installed libhello-fp)" = "2.0-1 1.0-1" ] || fail "after upgrade-approved"
jq_job '.result.plan[] | select(.name == "libhello-fp") | .action' | grep -qx install ||
        fail "the plan does not show the dependency dnf pulled in"
ok "upgrade-approved: exact NEVRA from the server, dependency in the plan, verified"

J=$(queue rollback "{\"job\":\"$UJ\"}")
run_job "$J"
expect_job succeeded verified ""
[ "$(installed hello-fp) $(installed libhello-fp)" = "1.1-1 -" ] ||
        fail "after the rollback: hello-fp $(installed hello-fp), libhello-fp $(installed libhello-fp)"
ok "rollback to hello-fp 1.1-1, the added dependency removed; verified"

before=$(rpm --root "$R" -qa | sort)
J=$(queue install '{"packages":[{"name":"hello-fp","version":"9.9-1"}]}')
run_job "$J"
[ "$(jq_job .status) $(jq_job .result.reason)" = "failed not-found" ] || { jq . "$T/job.json"; fail "9.9-1"; }
[ "$(rpm --root "$R" -qa | sort)" = "$before" ] || fail "a not-found job changed the rpmdb"
ok "a version no repository has: failed, not-found, nothing changed"

J=$(queue install '{"packages":[{"name":"failing-fp","version":"1.1-1"}]}')
run_job "$J"
[ "$(jq_job .status) $(jq_job .result.reason)" = "failed script" ] || { jq . "$T/job.json"; fail "failing %post"; }
jq_job .log | grep -q "post fails on purpose" || fail "the job log lacks the scriptlet's output"
rpm --root "$R" -qa > /dev/null || fail "the rpmdb is not readable after the failed job"
ok "a failing %post: failed job with the scriptlet's output in the log"

echo "$PASSED passed, 0 failed"
