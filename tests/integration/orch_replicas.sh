#!/bin/sh
# Three fleetpatchd replicas on one PostgreSQL database (tests/tools/with_pg.sh provides the
# cluster), six real agents on Debian sandbox roots (real apt/dpkg, never this machine's
# packages) and a change request for hello-fp 2.0 + hello-fp-conf 1.1 with max_concurrent 2.
# Replica 0 starts first and leads the scheduler (the PostgreSQL session advisory lock of the
# "scheduler" lease); the agents talk to replicas 1 and 2, as behind a load balancer. Once a
# host has finished and another is in flight, the leader is killed with -9. Then one of the
# others takes the lead, and the rollout completes: every host patched with the frozen
# versions, each with exactly one install job from the scheduler (none patched twice, none
# forgotten), the request done. Writes through one replica are read at once through another.
set -u
T=$(mktemp -d) || exit 1
SRV_PID= R0= R1= R2=
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/orch.sh"
need dpkg-deb apt-ftparchive apt-get dpkg dpkg-query busybox jq
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts)"; exit 77; }
[ -n "${FP_TEST_PG:-}" ] || { echo "SKIP: run under tests/tools/with_pg.sh (FP_TEST_PG unset)"; exit 77; }
PSQL="$FP_TEST_PG_BIN/psql"
cleanup() {
        rc=$?
        if [ $rc -ne 0 ]; then
                for _l in srv.log srv1.log srv2.log; do
                        [ -f "$T/$_l" ] && { echo "--- $_l"; tail -n 30 "$T/$_l"; }
                done
        fi
        for _p in $R0 $R1 $R2; do kill "$_p" 2>/dev/null; done
        for _p in $R0 $R1 $R2; do wait "$_p" 2>/dev/null; done
        SRV_PID=
        orch_cleanup
        exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$PSQL" "$FP_TEST_PG" -qc 'CREATE DATABASE fleet' || fail "CREATE DATABASE"
DB=$(printf '%s' "$FP_TEST_PG" | sed 's|^postgresql:///postgres?|postgresql:///fleet?|')
sql() { "$PSQL" "$DB" -Atc "$1"; }

orch_fleet 0 6 --store "$DB"
R0=$SRV_PID U0=$URL ADM0=$ADM
ok "replica 0 on PostgreSQL: 6 sandbox hosts enrolled with hello-fp 1.0 and hello-fp-conf 1.0"

# Replicas 1 and 2: the same database, and replica 0's TLS material, signing key and admin
# token (what replicas behind one load balancer share); their own scheduler id.
for k in 1 2; do
        mkdir "$T/srv$k" && cp -a "$T/srv/tls" "$T/srv/keys" "$T/srv/admin.token" "$T/srv$k/" ||
                fail "replica $k state"
        srv_start "$T/srv$k" "$T/srv$k.log" --port 0 --scheduler-interval 1 --store "$DB"
        eval "R$k=\$SRV_PID U$k=\$URL"
done
SRV_PID= ADM=$ADM0
lead_id() { printf '%.20s-%s' "$(hostname)" "$(cat "$T/$1/scheduler.id")"; }
leader() { sql "SELECT holder FROM leases WHERE name = 'scheduler'"; }
URL=$U0
leads() { [ "$(leader)" = "$(lead_id "$1")" ]; }
wait_for "replica 0 to lead" leads srv
sleep 2 # two more ticks of replicas 1 and 2: they must not take the lead from a live leader
leads srv || fail "the lead moved from a live replica 0 to $(leader)"
ok "3 replicas up ($U0 $U1 $U2); replica 0 leads the scheduler ($(leader)) and keeps the lead"

# A write through replica 1 is read through replica 2 at once.
URL=$U1
api_ok POST /v1/users '{"name":"auditor2","password":"correct horse battery","grants":[{"account":"default","role":"viewer"}]}' > /dev/null
URL=$U2
[ "$(api_ok GET /v1/users | jq '[.users[] | select(.name == "auditor2")] | length')" = 1 ] ||
        fail "a user created through replica 1 is not listed by replica 2"
tok=$(api_ok POST /v1/auth/login '{"user":"auditor2","password":"correct horse battery"}' | jq -r .token)
[ -n "$tok" ] && [ "$tok" != null ] || fail "login through replica 2 with the user made through replica 1"
ok "a user created through replica 1 is listed, and logs in, through replica 2"

# The agents: alternately replica 1 and replica 2 (never the leader, which will be killed).
i=0
for h in $HOSTS; do
        i=$((i + 1))
        if [ $((i % 2)) = 1 ]; then u=$U1; else u=$U2; fi
        sed -i "s|^server = .*|server = $u|" "$T/$h.conf"
done

URL=$U1
api_ok POST /v1/accounts/default/baselines '{"name":"deb-all","family":"deb","rules":[{"classification":["security","bugfix","other"],"after_days":0}]}' > /dev/null
CR=$(api_ok POST /v1/change-requests '{"account":"default","title":"hello 2.0, two at a time","baseline":"deb-all","rollout":{"max_concurrent":2,"host_time":600,"error_budget":"0"}}' | jq -r .id)
api_ok POST "/v1/change-requests/$CR/submit" '{}' > /dev/null
URL=$U2
as "$APPROVER" POST "/v1/change-requests/$CR/approve" '{}' > /dev/null
status_is 200 "approval"
ok "change request $CR made through replica 1, approved through replica 2 (max_concurrent 2)"

count() { jq --arg s "$1" '[.hosts[] | select(.state == $s)] | length' "$T/ro.json"; }
at_most_two() {
        [ "$(count running)" -le 2 ] || { jq . "$T/ro.json"; fail "more than two hosts running with max_concurrent 2"; }
}
orch_agents_start
mid_way() { ro_get "$CR"; at_most_two; n=$(count succeeded); [ "$n" -ge 1 ] && [ "$n" -le 4 ] && [ "$(count running)" -ge 1 ]; }
wait_for "a first host to finish and another to be in flight" mid_way
kill -KILL "$R0"; wait "$R0" 2>/dev/null; R0=
ro_get "$CR"
n=$(count succeeded)
[ "$n" -ge 1 ] && [ "$n" -lt 6 ] ||
        { jq . "$T/ro.json"; fail "the kill did not land mid-rollout ($n of 6 succeeded): the test proves nothing"; }
INFLIGHT=$(jq -r '[.hosts[] | select(.state == "running") | .host] | join(" ")' "$T/ro.json")
ok "the leader (replica 0) killed (-9) mid-rollout: $n of 6 succeeded, in flight: ${INFLIGHT:-none}"

new_leader() { l=$(leader); [ "$l" = "$(lead_id srv1)" ] || [ "$l" = "$(lead_id srv2)" ]; }
wait_for "replica 1 or 2 to lead" new_leader
ok "the lead moved to $(leader) (replica 0's session and its advisory lock are gone)"

final() { case $(cr_state "$CR") in done|failed|rolled_back|cancelled) return 0 ;; esac; ro_get "$CR"; at_most_two; return 1; }
wait_for "the change request to finish under the new leader" final
orch_patched_once "$CR"
ok "the rollout completed under the new leader: 6 hosts patched, one scheduler install job each (the hosts in flight at the kill too), request done"

# Every replica serves the same, and the audit chain written by three processes verifies.
a=$(URL=$U1 api_ok GET "/v1/change-requests/$CR/rollout" | jq -S .)
b=$(URL=$U2 api_ok GET "/v1/change-requests/$CR/rollout" | jq -S .)
[ "$a" = "$b" ] || fail "replicas 1 and 2 answer differently for the rollout"
v=$(api_ok GET /v1/audit/verify)
[ "$(printf '%s' "$v" | jq -r .ok)" = true ] || { echo "$v"; fail "the audit log does not verify"; }
ok "replicas 1 and 2 agree on the rollout; the audit log (entries from three replicas) verifies"

orch_agents_stop

# An agent long-polling replica 2 hears at once of a job queued through replica 1: replica 1
# signals the others (PostgreSQL NOTIFY) and replica 2 wakes its waiter. Without the signal
# the poll would end only at its deadline; replica 2's count of signals heard proves it.
h1=$(set -- $HOSTS; echo "$1")
id1=$(host_id "$h1")
metric_on() { curl -sS --cacert "$CA" "$1/metrics" | awk '$1 == "fleetpatchd_replica_wake_signals_total" { print $2; f = 1 } END { if (!f) print 0 }'; }
before=$(metric_on "$U2")
curl -sS --cacert "$CA" -H "Authorization: Bearer $(cat "$T/$h1.state/credential")" \
        "$U2/v1/agent/jobs?wait=60" > "$T/poll.json" 2> "$T/poll.err" &
POLL=$!
sleep 0.5 # let the poll reach replica 2 first (if not, it is answered at once: still correct)
URL=$U1
JOB=$(api_ok POST "/v1/hosts/$id1/jobs" '{"type":"rescan","params":{}}' | jq -r .id)
wait "$POLL" || { cat "$T/poll.err"; fail "the long poll on replica 2 failed"; }
[ "$(jq --arg j "$JOB" '[.jobs[] | select(.id == $j)] | length' "$T/poll.json")" = 1 ] ||
        { cat "$T/poll.json"; fail "the long poll on replica 2 did not return job $JOB"; }
after=$(metric_on "$U2")
[ "$after" -gt "$before" ] ||
        fail "replica 2 heard no wake signal (fleetpatchd_replica_wake_signals_total $before -> $after): the poll ended at its deadline"
ok "a job queued through replica 1 woke the long poll held by replica 2 (wake signals heard by replica 2: $before -> $after)"

for k in 1 2; do
        eval "p=\$R$k"
        kill -0 "$p" 2>/dev/null || fail "replica $k died"
done
if grep -E "AddressSanitizer|runtime error" "$T/srv.log" "$T/srv1.log" "$T/srv2.log"; then fail "a replica logged an error"; fi
echo "$PASSED passed, 0 failed"
