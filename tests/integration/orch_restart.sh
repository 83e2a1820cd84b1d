#!/bin/sh
# A rollout survives fleetpatchd being killed (SIGKILL) in the middle: five real agents on
# Debian sandbox roots (real apt/dpkg, never this machine's packages), a change request for
# hello-fp 2.0 + hello-fp-conf 1.1 with max_concurrent 1 (one host at a time, several ticks);
# once a host has finished and before all have, fleetpatchd is killed with -9 and started again
# on the same state directory and port while the agents keep running. Then the rollout
# completes: every host patched with the frozen versions, each with exactly one install job
# from the scheduler (none started twice), none forgotten, the request done.
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/orch.sh"
need dpkg-deb apt-ftparchive apt-get dpkg dpkg-query busybox
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts)"; exit 77; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -f "$T/srv.log" ] && { echo "--- server log"; tail -n 40 "$T/srv.log"; }; orch_cleanup; exit $rc' EXIT

orch_fleet 0 5
PORT=${URL##*:}
ok "5 sandbox hosts enrolled with hello-fp 1.0 and hello-fp-conf 1.0"

api_ok POST /v1/accounts/default/baselines '{"name":"deb-all","family":"deb","rules":[{"classification":["security","bugfix","other"],"after_days":0}]}' > /dev/null
CR=$(api_ok POST /v1/change-requests '{"account":"default","title":"hello 2.0, one at a time","baseline":"deb-all","rollout":{"max_concurrent":1,"host_time":600,"error_budget":"0"}}' | jq -r .id)
api_ok POST "/v1/change-requests/$CR/submit" '{}' > /dev/null
as "$APPROVER" POST "/v1/change-requests/$CR/approve" '{}' > /dev/null
status_is 200 "approval"
ok "change request $CR approved (max_concurrent 1, no window)"

succeeded() { ro_get "$CR"; jq '[.hosts[] | select(.state == "succeeded")] | length' "$T/ro.json"; }
running_at_most_one() {
        [ "$(jq '[.hosts[] | select(.state == "running")] | length' "$T/ro.json")" -le 1 ] ||
                { jq . "$T/ro.json"; fail "more than one host running with max_concurrent 1"; }
}
orch_agents_start
# kill it once a host has finished and the next one's job is queued or running
running() { jq '[.hosts[] | select(.state == "running")] | length' "$T/ro.json"; }
mid_way() { n=$(succeeded); running_at_most_one; [ "$n" -ge 1 ] && [ "$n" -lt 4 ] && [ "$(running)" = 1 ]; }
wait_for "a first host to finish and the next to start" mid_way
srv_stop KILL
ok "fleetpatchd killed (-9) with $n host(s) finished and one running"

srv_start "$T/srv" "$T/srv.log" --port "$PORT" --scheduler-interval 1
[ "${URL##*:}" = "$PORT" ] || fail "the server came back on another port"
n=$(succeeded)
[ "$n" -ge 1 ] && [ "$n" -lt 5 ] ||
        { jq . "$T/ro.json"; fail "the kill did not land mid-rollout ($n of 5 succeeded): the test proves nothing"; }
INFLIGHT=$(jq -r '[.hosts[] | select(.state == "running") | .host] | join(" ")' "$T/ro.json")
ok "fleetpatchd restarted on the same state: the rollout is mid-way ($n of 5 succeeded, status $(jq -r .status "$T/ro.json"), in flight: ${INFLIGHT:-none})"

final() { case $(cr_state "$CR") in done|failed|rolled_back|cancelled) return 0 ;; esac; running_at_most_one; return 1; }
wait_for "the change request to finish after the restart" final
orch_patched_once "$CR"
ok "after the restart the rollout completed: 5 hosts patched, one scheduler install job each (the host in flight at the kill too), request done"

orch_agents_stop
kill -0 "$SRV_PID" 2>/dev/null || fail "fleetpatchd died"
if grep -E "AddressSanitizer|runtime error" "$T/srv.log"; then fail "fleetpatchd logged an error"; fi
echo "$PASSED passed, 0 failed"
