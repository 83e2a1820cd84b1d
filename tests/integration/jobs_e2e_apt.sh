#!/bin/sh
# Patch execution end to end on a Debian sandbox host, through a real fleetpatchd over TLS and a
# real fleetpatch-agent driving real apt/dpkg on a sandbox root (never this machine's packages):
# scan -> install exact versions -> verify -> upgrade-approved (a new dependency pulled in) ->
# rollback to the exact previous versions -> verify; a failing postinst gives a failed job with
# the log and a consistent host; a refused removal changes nothing; a job for a version no
# repository has fails with not-found; and an agent killed with SIGKILL in the middle of a
# transaction (with its apt/dpkg children: a power loss) recovers on restart and reports it.
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
cleanup() {
        [ -n "${R:-}" ] && pkill -9 -f "$T/" 2>/dev/null
        [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
need dpkg-deb apt-ftparchive apt-get dpkg busybox pkill
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts)"; exit 77; }

# ---- the repository and the sandbox host ----
debrepo_build "$T/d" || fail "debrepo_build"
# slow-fp 1.1's postinst waits for /release inside the root: the test kills the agent while
# dpkg is configuring it (debrepo's own package builder, used for one extra package)
_debrepo_pkg "$T/d/src" "$T/d/repo" slow-fp 1.0 || fail "slow-fp 1.0"
_debrepo_pkg "$T/d/src" "$T/d/repo" slow-fp 1.1 '' \
        'touch /configuring; while [ ! -f /release ]; do sleep 0.1; done; exit 0' ||
        fail "slow-fp 1.1"
debrepo_refresh "$T/d" || fail "debrepo_refresh"
R=$T/root
debroot_new "$R" "$T/d/repo" || fail "debroot_new"
printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian sandbox"\n' \
        > "$R/etc/os-release"
echo 5555aaaa5555aaaa5555aaaa5555aaaa > "$R/etc/machine-id"
APT=$(debroot_apt_opts "$R")
# shellcheck disable=SC2086
apt-get $APT -qq update > "$T/apt-update.log" 2>&1 || { cat "$T/apt-update.log"; fail "apt-get update"; }

installed() { # NAME -> version or "-"
        dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${db:Status-Abbrev} ${Version}' "$1" 2>/dev/null |
                awk '$1 == "ii" { print $2; f = 1 } END { if (!f) print "-" }'
}
status_abbrev() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' '; }

srv_start "$T/srv" "$T/srv.log" --port 0
enroll_token "$T/tok" '{"uses":5}'
agent_conf deb "$R" "$T/tok" 'lock_wait = 30'
agent_once deb
H=$(host_id deb)

# queue TYPE PARAMS -> job id
queue() {
        api_ok POST "/v1/hosts/$H/jobs" "{\"type\":\"$1\",\"params\":$2}" | jq -r .id
}
# run_job ID: the agent runs what is queued; the job's record lands in $T/job.json
run_job() {
        agent_once deb
        api_ok GET "/v1/jobs/$1" > "$T/job.json"
}
jq_job() { jq -r "$1" "$T/job.json"; }
expect_job() { # STATUS VERDICT REASON
        got="$(jq_job .status) $(jq_job '.result.verdict // "-"') $(jq_job '.result.reason // ""')"
        [ "$got" = "$1 $2 $3" ] || { jq . "$T/job.json"; fail "job: got '$got', want '$1 $2 $3'"; }
}

# ---- scan: the server learns the host's updates ----
J=$(queue scan '{}')
run_job "$J"
expect_job succeeded not-run ""
ok "scan job succeeded"

# ---- install exact versions, verified ----
J=$(queue install '{"packages":[{"name":"hello-fp","version":"1.0"},{"name":"hello-fp-conf","version":"1.0"}]}')
run_job "$J"
expect_job succeeded verified ""
[ "$(installed hello-fp) $(installed hello-fp-conf)" = "1.0 1.0" ] ||
        fail "after the install: hello-fp $(installed hello-fp), hello-fp-conf $(installed hello-fp-conf)"
[ "$(jq_job '[.result.plan[] | .action + " " + .name + " " + .to] | sort | join(",")')" = \
  "install hello-fp 1.0,install hello-fp-conf 1.0" ] || { jq .result.plan "$T/job.json"; fail "install plan"; }
jq_job .log | grep -q "hello-fp" || fail "the job log does not show apt's output"
ok "install of exact versions: verified, plan as apt planned it, log kept"

# the same job again changes nothing: the agent reports it from its journal
api_ok POST "/v1/hosts/$H/jobs" "{\"type\":\"install\",\"params\":{\"packages\":[{\"name\":\"hello-fp\",\"version\":\"1.0\"}]}}" > /dev/null
before=$(stat -c %Y "$R/var/lib/dpkg/status")
agent_once deb
[ "$(stat -c %Y "$R/var/lib/dpkg/status")" = "$before" ] || fail "a repeated install touched dpkg"
ok "installing what is installed plans nothing and does not touch dpkg"

# a local change to the conffile is kept when 1.1 comes (conffile policy: keep the admin's)
echo "greeting=local" > "$R/etc/hello-fp.conf"
J=$(queue install '{"packages":[{"name":"hello-fp","version":"1.1"},{"name":"hello-fp-conf","version":"1.1"}]}')
run_job "$J"
expect_job succeeded verified ""
[ "$(cat "$R/etc/hello-fp.conf")" = "greeting=local" ] || fail "the local conffile was replaced"
[ -f "$R/etc/hello-fp.conf.dpkg-dist" ] || fail "the new default conffile is not kept as .dpkg-dist"
ok "upgrade to 1.1 verified; the modified conffile kept, the new one as .dpkg-dist"

# ---- upgrade-approved: the server's exact pairs; 2.0 pulls in a dependency ----
J=$(queue scan '{}'); run_job "$J"
api_ok GET "/v1/hosts/$H" | jq -e '.updates >= 1' > /dev/null || fail "the server knows no updates"
UJ=$(queue upgrade-approved '{"packages":["hello-fp"]}')
api_ok GET "/v1/jobs/$UJ" | jq -e '.params.packages == [{"name":"hello-fp","arch":"all","version":"2.0"}]' \
        > /dev/null || { api GET "/v1/jobs/$UJ"; fail "upgrade-approved not expanded to the exact pair"; }
run_job "$UJ"
expect_job succeeded verified ""
[ "$(installed hello-fp) $(installed libhello-fp)" = "2.0 1.0" ] || fail "after upgrade-approved"
jq_job '.result.plan[] | select(.name == "libhello-fp") | .action' | grep -qx install ||
        fail "the plan does not show the dependency pulled in"
[ "$(jq_job .result.rollback)" = available ] || fail "rollback not available: $(jq_job .result.rollback)"
ok "upgrade-approved: exact pair from the server, dependency in the plan, verified"

# ---- rollback to the exact previous versions, itself verified ----
J=$(queue rollback "{\"job\":\"$UJ\"}")
run_job "$J"
expect_job succeeded verified ""
[ "$(installed hello-fp) $(installed libhello-fp)" = "1.1 -" ] ||
        fail "after the rollback: hello-fp $(installed hello-fp), libhello-fp $(installed libhello-fp)"
ok "rollback restored hello-fp 1.1 and removed the dependency the upgrade added; verified"

# ---- what must fail, with the host left as it was ----
J=$(queue install '{"packages":[{"name":"conflict-fp","version":"1.0"}]}')
run_job "$J"
expect_job failed not-run removals
[ "$(installed hello-fp) $(installed conflict-fp)" = "1.1 -" ] || fail "a refused removal changed the host"
ok "a plan that removes hello-fp is refused without allow_remove; nothing changed"

J=$(queue install '{"packages":[{"name":"hello-fp","version":"9.9"}]}')
run_job "$J"
[ "$(jq_job .status) $(jq_job .result.reason)" = "failed not-found" ] || { jq . "$T/job.json"; fail "version 9.9"; }
ok "a version no repository has: failed, not-found"

J=$(queue install '{"packages":[{"name":"failing-fp","version":"1.0"}]}'); run_job "$J"
expect_job succeeded verified ""
J=$(queue install '{"packages":[{"name":"failing-fp","version":"1.1"}]}')
run_job "$J"
[ "$(jq_job .status) $(jq_job .result.reason)" = "failed script" ] || { jq . "$T/job.json"; fail "failing postinst"; }
jq_job .log | grep -q "postinst fails on purpose" || fail "the job log lacks the postinst's output"
audit=$(dpkg --root="$R" --audit 2>&1)
[ -z "$audit" ] || { echo "$audit"; fail "dpkg --audit is not clean after the failed job"; }
[ "$(installed failing-fp)" = 1.0 ] || fail "failing-fp is $(installed failing-fp) ($(status_abbrev failing-fp)), want 1.0 put back"
api_ok GET "/v1/hosts/$H" > "$T/host.json"
ok "a failing postinst: failed job with the log, the previous version put back, dpkg consistent"

# ---- SIGKILL in the middle of a transaction (agent and its children: a power loss) ----
J=$(queue install '{"packages":[{"name":"slow-fp","version":"1.0"}]}'); run_job "$J"
expect_job succeeded verified ""
KJ=$(queue install '{"packages":[{"name":"slow-fp","version":"1.1"}]}')
"$FLEETPATCH_AGENT" --config "$T/deb.conf" --once > "$T/kill.out" 2> "$T/kill.err" &
APID=$!
wait_for "dpkg to configure slow-fp 1.1" test -f "$R/configuring"
kill -9 "$APID"
pkill -9 -f "$R" # apt-get, dpkg and the postinst run with the root on their command line
wait "$APID" 2>/dev/null
api_ok GET "/v1/jobs/$KJ" | jq -r .status | grep -qvx succeeded || fail "the job finished before the kill"
[ "$(status_abbrev slow-fp)" != ii ] || fail "slow-fp is configured although its postinst was killed"
touch "$R/release"
run_job "$KJ"
expect_job succeeded verified ""
[ "$(jq_job .result.resumed)" = true ] || fail "the job is not reported as resumed"
[ "$(installed slow-fp)" = 1.1 ] || fail "slow-fp after recovery: $(installed slow-fp)"
[ -z "$(dpkg --root="$R" --audit 2>&1)" ] || fail "dpkg --audit not clean after recovery"
ok "killed mid-transaction: on restart the agent recovered dpkg, verified, and reported it resumed"

echo "$PASSED passed, 0 failed"
