#!/bin/sh
# Orchestration end to end (docs/orchestration.md): a real fleetpatchd over TLS (scheduler every
# second) and five real fleetpatch-agents, each on its own Debian sandbox root driving real
# apt/dpkg (never this machine's packages): c1 tagged ring=canary, p1..p4 production.
#   - a window (absolute, daily, open now) and a baseline approving every classification; the
#     host explanation says why hello-fp 2.0 is approved;
#   - a change request (rings canary/production, waves ["1"], error budget 0, rollback-host,
#     host_time 600) freezes hello-fp 2.0 + hello-fp-conf 1.1 per host; hello-fp 3.0 published
#     afterwards does not change what is installed; the plan lists every host with a wave and
#     a planned start before approval;
#   - states: draft -> submitted; the author cannot approve (403 self_approval), a viewer
#     cannot (403), the approver can -> scheduled -> running;
#   - the first production wave's host has a health-check hook that fails while hello-fp 2.0
#     is installed: its job fails, the rollout halts (the later wave stays pending and gets no
#     job while halted), the host gets a rollback job and ends rolled_back with 1.0 back;
#   - resume: the rollout finishes; every other host has exactly the frozen versions; each host
#     got exactly one install job from the scheduler; rollout and request end rolled_back (one
#     host rolled back, none failed: src/core/rollout/tick.c "the end").
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/orch.sh"
need dpkg-deb apt-ftparchive apt-get dpkg dpkg-query busybox
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts; hooks must be root's)"; exit 77; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -f "$T/srv.log" ] && { echo "--- server log"; tail -n 40 "$T/srv.log"; }; orch_cleanup; exit $rc' EXIT

orch_fleet 1 4
ok "5 sandbox hosts enrolled (c1 canary, p1..p4 production) with hello-fp 1.0 and hello-fp-conf 1.0"
for h in $HOSTS; do eval "ID_$h=$(host_id "$h")"; done
name_of() { for _h in $HOSTS; do [ "$(host_id "$_h")" = "$1" ] && echo "$_h"; done; }

# ---- window and baseline ----
START=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:00)
api_ok POST /v1/accounts/default/windows "{\"name\":\"all-day\",\"mode\":\"absolute\",\"tz\":\"UTC\",\"rrule\":\"FREQ=DAILY\",\"start\":\"$START\",\"duration\":86400,\"cutoff\":3600}" > /dev/null
api_ok POST /v1/accounts/default/baselines '{"name":"deb-all","family":"deb","selector":{},"rules":[{"classification":["security","bugfix","other"],"after_days":0}]}' > /dev/null
api_ok GET "/v1/hosts/$ID_p1/baseline?package=hello-fp" > "$T/explain.json"
jq -e '.baseline == "deb-all" and (.attached_by | length > 0) and (.updates | length == 1) and
       .updates[0].name == "hello-fp" and .updates[0].candidate == "2.0" and
       .updates[0].approved == true and (.updates[0].explain | length > 0)' "$T/explain.json" > /dev/null ||
        { jq . "$T/explain.json"; fail "explain of hello-fp on p1"; }
ok "explain: hello-fp 2.0 on p1 approved by deb-all ($(jq -r '.updates[0].classification' "$T/explain.json"); $(jq -r '.updates[0].explain' "$T/explain.json" | head -n 1))"

# ---- the change request: the set frozen at creation ----
CRBODY='{"account":"default","title":"hello 2.0","baseline":"deb-all","window":"all-day",
 "rollout":{"rings":[{"name":"canary","tags":{"ring":"canary"}},{"name":"production","tags":{}}],
            "waves":["1"],"error_budget":"0","on_failure":"rollback-host","host_time":600}}'
api_ok POST /v1/change-requests "$CRBODY" > "$T/cr.json"
[ "$(cat "$T/http_status")" = 201 ] || fail "create: HTTP $(cat "$T/http_status")"
CR=$(jq -r .id "$T/cr.json")
jq -e '.state == "draft" and .update_set.hosts == 5 and .update_set.updates == 10 and .author != ""' "$T/cr.json" > /dev/null ||
        { jq . "$T/cr.json"; fail "the created change request"; }
ok "change request $CR created: draft, 10 updates frozen on 5 hosts"

# hello-fp 3.0 is published afterwards: the hosts now see 3.0 as their candidate
_debrepo_pkg "$T/d/src" "$T/d/repo" hello-fp 3.0 || fail "hello-fp 3.0"
debrepo_refresh "$T/d" || fail "debrepo_refresh"
for h in $HOSTS; do
        # shellcheck disable=SC2046
        apt-get $(debroot_apt_opts "$T/$h.root") -qq update > "$T/$h.apt.log" 2>&1 || fail "apt-get update $h"
        agent_once "$h"
done
api_ok GET "/v1/hosts/$ID_p1/baseline?package=hello-fp" | jq -e '.updates[0].candidate == "3.0"' > /dev/null ||
        fail "p1 does not report hello-fp 3.0 as its candidate"

# ---- the plan before approval ----
api_ok GET "/v1/change-requests/$CR/plan" > "$T/plan.json"
jq -e '.hosts_total == 5 and (.hosts | length == 5) and all(.hosts[]; .planned > 0 and (.planned_utc | length > 0) and .wave >= 0)
       and .mode == "absolute" and .not_before_horizon == 0' "$T/plan.json" > /dev/null ||
        { jq . "$T/plan.json"; fail "the plan"; }
[ "$(jq -r --arg c "$ID_c1" '.hosts[] | select(.host == $c) | "\(.ring) \(.wave)"' "$T/plan.json")" = "canary 0" ] ||
        { jq . "$T/plan.json"; fail "c1 is not the canary wave 0"; }
[ "$(jq '[.hosts[] | select(.ring == "production" and .wave == 1)] | length' "$T/plan.json") $(jq '[.hosts[] | select(.ring == "production" and .wave == 2)] | length' "$T/plan.json")" = "1 3" ] ||
        { jq . "$T/plan.json"; fail "production waves are not 1 + 3 hosts"; }
FAIL_ID=$(jq -r '.hosts[] | select(.wave == 1) | .host' "$T/plan.json")
FAIL=$(name_of "$FAIL_ID")
LATE_IDS=$(jq -r '.hosts[] | select(.wave == 2) | .host' "$T/plan.json")
ok "plan before approval: 5 hosts with wave and planned start; c1 wave 0, $FAIL wave 1, 3 hosts wave 2"

# ---- votes ----
as "$APPROVER" POST "/v1/change-requests/$CR/approve" '{}' > /dev/null
status_is 409 "approving a draft"
api POST "/v1/change-requests/$CR/submit" '{"comment":"please"}' > /dev/null
status_is 200 "submit by the author"
[ "$(cr_state "$CR")" = submitted ] || fail "state after submit: $(cr_state "$CR")"
api POST "/v1/change-requests/$CR/approve" '{}' > /dev/null
status_is 403 "approval by the author"; code_is self_approval "approval by the author"
as "$VIEWER" POST "/v1/change-requests/$CR/approve" '{}' > /dev/null
status_is 403 "approval by a viewer"
[ "$(cr_state "$CR")" = submitted ] || fail "refused votes changed the state: $(cr_state "$CR")"
ok "submitted; the author's approval is refused (403 self_approval), a viewer's too (403)"

# the first production wave's host becomes unhealthy with hello-fp 2.0 (healthy after rollback)
printf '#!/bin/sh\nread v < %s/opt/hello-fp/version\n[ "$v" = 2.0 ] || exit 0\necho "health-check: hello-fp $v breaks the service" >&2\nexit 1\n' \
        "$T/$FAIL.root" > "$T/$FAIL.hooks/health-check"
chmod 755 "$T/$FAIL.hooks/health-check"

as "$APPROVER" POST "/v1/change-requests/$CR/approve" '{"comment":"ok"}' > "$T/approved.json"
status_is 200 "approval by the approver"
jq -e '.state == "scheduled" and .approvals == 1 and .rollout.status == "scheduled"' "$T/approved.json" > /dev/null ||
        { jq . "$T/approved.json"; fail "after the approval"; }
running_cr() { [ "$(cr_state "$CR")" = running ]; }
wait_for "the change request to run" running_cr
ok "approved by the approver: scheduled, then running"

# ---- the rollout: halt on the failing host, rollback ----
orch_agents_start
halted() { [ "$(ro_status "$CR")" = halted ]; }
wait_for "the rollout to halt" halted
rolled_back() { [ "$(ro_hstate "$CR" "$FAIL_ID")" = rolled_back ]; }
wait_for "$FAIL to be rolled back" rolled_back
ro_get "$CR"
[ "$(jq -r --arg c "$ID_c1" '.hosts[] | select(.host == $c) | .state' "$T/ro.json")" = succeeded ] ||
        { jq . "$T/ro.json"; fail "c1 did not succeed"; }
IJ=$(jq -r --arg h "$FAIL_ID" '.hosts[] | select(.host == $h) | .job' "$T/ro.json")
RJ=$(jq -r --arg h "$FAIL_ID" '.hosts[] | select(.host == $h) | .rollback_job' "$T/ro.json")
api_ok GET "/v1/jobs/$IJ" | jq -e '.status == "failed" and .result.reason == "hook" and .type == "install"' > /dev/null ||
        { api GET "/v1/jobs/$IJ"; fail "the install job on $FAIL"; }
api_ok GET "/v1/jobs/$RJ" | jq -e --arg j "$IJ" '.status == "succeeded" and .type == "rollback" and .params.job == $j and .created_by == "scheduler"' > /dev/null ||
        { api GET "/v1/jobs/$RJ"; fail "the rollback job on $FAIL"; }
[ "$(installed "$T/$FAIL.root" hello-fp) $(installed "$T/$FAIL.root" hello-fp-conf) $(installed "$T/$FAIL.root" libhello-fp)" = "1.0 1.0 -" ] ||
        fail "$FAIL after the rollback: hello-fp $(installed "$T/$FAIL.root" hello-fp), hello-fp-conf $(installed "$T/$FAIL.root" hello-fp-conf), libhello-fp $(installed "$T/$FAIL.root" libhello-fp)"
ok "$FAIL's health-check failed its job (hook): halted; rollback job $RJ put 1.0/1.0 back, libhello-fp removed"

late_untouched() {
        ro_get "$CR"
        [ "$(jq -r .status "$T/ro.json")" = halted ] || fail "the rollout left halted: $(jq -r .status "$T/ro.json")"
        for id in $LATE_IDS; do
                st=$(jq -r --arg h "$id" '.hosts[] | select(.host == $h) | .state' "$T/ro.json")
                [ "$st" = pending ] || { jq . "$T/ro.json"; fail "$(name_of "$id") is $st while halted"; }
                [ "$(sched_jobs "$id" install)" = 0 ] || fail "$(name_of "$id") got a job while halted"
                [ "$(installed "$T/$(name_of "$id").root" hello-fp)" = 1.0 ] || fail "$(name_of "$id") changed while halted"
        done
}
late_untouched
sleep 4 # several scheduler ticks (interval 1 s): still nothing starts
late_untouched
ok "while halted the 3 hosts of the last wave stay pending, with no job, through several ticks"

# ---- resume: the rollout finishes ----
api POST "/v1/change-requests/$CR/resume" '{}' > /dev/null
status_is 200 "resume"
final() { case $(cr_state "$CR") in done|failed|rolled_back|cancelled) return 0 ;; esac; return 1; }
wait_for "the change request to finish" final
ro_get "$CR"
[ "$(jq -r .status "$T/ro.json") $(cr_state "$CR")" = "rolled_back rolled_back" ] ||
        { jq . "$T/ro.json"; fail "end: rollout $(jq -r .status "$T/ro.json"), request $(cr_state "$CR"); want rolled_back (one host rolled back, none failed)"; }
for h in $HOSTS; do
        id=$(host_id "$h")
        st=$(jq -r --arg h "$id" '.hosts[] | select(.host == $h) | .state' "$T/ro.json")
        [ "$(sched_jobs "$id" install)" = 1 ] || fail "$h got $(sched_jobs "$id" install) install jobs from the scheduler"
        if [ "$h" = "$FAIL" ]; then
                [ "$st" = rolled_back ] && [ "$(sched_jobs "$id" rollback)" = 1 ] || fail "$FAIL: $st"
                continue
        fi
        [ "$st" = succeeded ] || fail "$h ended $st"
        [ "$(sched_jobs "$id" rollback)" = 0 ] || fail "$h got a rollback job"
        got="$(installed "$T/$h.root" hello-fp) $(installed "$T/$h.root" hello-fp-conf) $(installed "$T/$h.root" libhello-fp)"
        [ "$got" = "2.0 1.1 1.0" ] || fail "$h has hello-fp/hello-fp-conf/libhello-fp $got, want the frozen 2.0 1.1 (+ libhello-fp 1.0), not 3.0"
done
ok "resumed: the rollout ended (rolled_back); 4 hosts have exactly the frozen versions (not 3.0); one scheduler install job per host"

api POST "/v1/change-requests/$CR/resume" '{}' > /dev/null
status_is 409 "resume of a finished rollout"
orch_agents_stop
kill -0 "$SRV_PID" 2>/dev/null || fail "fleetpatchd died"
if grep -E "AddressSanitizer|runtime error" "$T/srv.log"; then fail "fleetpatchd logged an error"; fi
echo "$PASSED passed, 0 failed"
