#!/bin/sh
# fleetpatchd restarted on the same state directory and port: after a SIGTERM every host,
# token, account, tag and job is still there, and an agent daemon that kept running through the
# outage re-syncs by itself (same host id, no re-enrollment). Then a kill -9 in the middle of a
# burst of writes: the store (SQLite WAL) recovers and passes PRAGMA integrity_check.
set -u
T=$(mktemp -d) || exit 1
SRV_PID= DAEMON_PID= BURST_PID=
cleanup() {
        for p in $BURST_PID $DAEMON_PID $SRV_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
need sqlite3

srv_start "$T/srv" "$T/srv.log" --port 0
PORT=${URL##*:}
api_ok POST /v1/accounts '{"name":"acme","display":"Acme"}' > /dev/null
enroll_token "$T/tok" '{"uses":5,"region":"eu-west","tags":{"env":"prod"}}'
enroll_token "$T/tok-acme" '{"uses":3,"tags":{"env":"stage"}}' acme
USER_TOKEN=$(api_ok POST /v1/tokens '{"name":"ci","ttl":86400}' | jq -r .token)
first_stanzas 200 > "$T/status-200"
deb_root "$T/r-a" "$T/status-200" debian 12 bookworm aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
deb_root "$T/r-b" "$STATUS" debian 12 bookworm bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
deb_root "$T/r-c" "$T/status-200" ubuntu 22.04 jammy cccccccccccccccccccccccccccccccc
# a: the daemon that lives through the outages (checks in every 2 s, backs off up to that)
agent_conf a "$T/r-a" "$T/tok" 'checkin_interval = 2'
agent_conf b "$T/r-b" "$T/tok"
agent_conf c "$T/r-c" "$T/tok-acme"
for n in a b c; do agent_once $n; done
A=$(host_id a) B=$(host_id b) C=$(host_id c)
api_ok PUT "/v1/hosts/$B/tags" '{"tags":{"owner":"alice"}}' > /dev/null
JOB=$(api_ok POST "/v1/hosts/$B/jobs" '{"type":"rescan"}' | jq -r .id) # b is not running: stays queued

# what must survive
snapshot() { # FILE
        { api_ok GET /v1/hosts | jq -c '[.hosts[] | {id, hostname, account, region, os, os_release, tags, packages, updates, compliance}] | sort_by(.id)'
          api_ok GET /v1/accounts | jq -c '[.accounts[].name] | sort'
          api_ok GET /v1/tokens | jq -c '[.tokens[].id] | sort'
          api_ok GET "/v1/hosts/$B" | jq -c '{agent_tags, api_tags, inventory_hash, machine_id}'
          sqlite3 "$T/srv/fleetpatch.db" "SELECT id, host, type, status, finished FROM jobs ORDER BY id"
          sqlite3 "$T/srv/fleetpatch.db" "SELECT id, kind, hash, account, host, tags, expires, uses_left, revoked FROM tokens ORDER BY id"
        } > "$1"
}
snapshot "$T/before"
grep -q "$JOB" "$T/before" || fail "the queued job is not in the store"

"$FLEETPATCH_AGENT" --config "$T/a.conf" > "$T/a.daemon.out" 2> "$T/a.daemon.log" &
DAEMON_PID=$!
seq_above() { [ "$(host "$A" | jq .last_seq)" -gt "$1" ]; }
wait_for "the daemon's first check-in" seq_above 1

# ---- SIGTERM: a clean stop, the agent daemon keeps running through the outage ----
srv_stop TERM
grep -q "stopping" "$T/srv.log" || fail "no clean stop in the log"
lines=$(wc -l < "$T/a.daemon.log")
outage_seen() { tail -n +"$((lines + 1))" "$T/a.daemon.log" | grep -q "retrying in"; }
wait_for "the agent to notice the outage" outage_seen
kill -0 "$DAEMON_PID" || fail "the agent daemon exited during the outage"
[ "$(sqlite3 "$T/srv/fleetpatch.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity after SIGTERM"
last_seq=$(sqlite3 "$T/srv/fleetpatch.db" "SELECT last_seq FROM hosts WHERE id = '$A'")
restart_at=$(date +%s)
srv_start "$T/srv" "$T/srv.log" --port "$PORT"
[ "${URL##*:}" = "$PORT" ] || fail "restarted on port ${URL##*:}, not $PORT"
snapshot "$T/after"
diff -u "$T/before" "$T/after" || fail "the state changed across the restart"
ok "after SIGTERM and a restart on port $PORT: hosts, tags, accounts, tokens and the queued job are unchanged"

# the user's API token and the enrollment token still work
curl -sS --cacert "$CA" -H "Authorization: Bearer $USER_TOKEN" "$URL/v1/whoami" | jq -e '.user == "admin"' > /dev/null ||
        fail "the API token made before the restart is refused"
deb_root "$T/r-d" "$T/status-200" debian 12 bookworm dddddddddddddddddddddddddddddddd
agent_conf d "$T/r-d" "$T/tok"
agent_once d
api_ok GET /v1/hosts | jq -e '.hosts | length == 4' > /dev/null || fail "a new host with the old enrollment token"
# the job queued before the restart reaches its agent
agent_once b
grep -q "1 job(s) done" "$T/b.out" || { cat "$T/b.out"; fail "the queued job did not survive"; }
[ "$(sqlite3 "$T/srv/fleetpatch.db" "SELECT finished > 0 FROM jobs WHERE id = '$JOB'")" = 1 ] || fail "job not finished"
ok "tokens made before the restart work; the job queued before it was delivered and finished"

# the daemon re-syncs by itself: same host, a check-in after the restart, no enrollment
resynced() {
        host "$A" > "$T/a.json"
        [ "$(jq .last_seq "$T/a.json")" -gt "$last_seq" ] && [ "$(jq .last_seen "$T/a.json")" -ge "$restart_at" ]
}
wait_for "the daemon to re-sync after the restart" resynced
[ "$(cat "$T/a.state/host_id")" = "$A" ] || fail "the agent changed its host id"
[ "$(grep -c "enrolled as host" "$T/a.daemon.log")" -eq 0 ] || fail "the daemon enrolled again"
[ "$(metric enrollments_total)" -eq 1 ] || fail "enrollments after the restart: $(metric enrollments_total), want 1 (d)"
api_ok GET /v1/hosts | jq -e '.hosts | length == 4' > /dev/null || fail "host count changed"
ok "the agent daemon re-synced by itself after the restart (host $A, seq $last_seq -> $(jq .last_seq "$T/a.json"))"

# ---- kill -9 during a burst of writes: WAL recovery ----
(
        i=0
        while :; do
                i=$((i + 1))
                curl -sS --cacert "$CA" -o /dev/null -X PUT -H "Authorization: Bearer $ADM" \
                        -H 'Content-Type: application/json' --data "{\"tags\":{\"burst\":\"$i\"}}" \
                        "$URL/v1/hosts/$C/tags" 2>/dev/null
                "$FLEETPATCH_AGENT" --config "$T/d.conf" --once > /dev/null 2>&1
        done
) &
BURST_PID=$!
burst_going() { [ "$(metric checkins_total)" -ge 5 ]; }
wait_for "the burst of writes" burst_going
srv_stop KILL
kill "$BURST_PID" 2>/dev/null; wait "$BURST_PID" 2>/dev/null; BURST_PID=
[ -f "$T/srv/fleetpatch.db-wal" ] || echo "note: no WAL file left behind by the kill"
restart_at=$(date +%s)
last_seq=$(sqlite3 "$T/srv/fleetpatch.db" "SELECT last_seq FROM hosts WHERE id = '$A'")
srv_start "$T/srv" "$T/srv.log" --port "$PORT"
[ "$(sqlite3 "$T/srv/fleetpatch.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity after kill -9"
curl -sS --cacert "$CA" "$URL/readyz" > /dev/null || fail "readyz after kill -9"
api_ok GET /v1/hosts | jq -e --arg a "$A" --arg b "$B" --arg c "$C" \
        '.hosts | length == 4 and any(.id == $a) and any(.id == $b) and any(.id == $c)' > /dev/null ||
        fail "hosts lost by kill -9"
host "$C" | jq -e '.tags.env == "stage" and (.api_tags.burst | test("^[0-9]+$"))' > /dev/null ||
        fail "host c's tags after kill -9: $(host "$C" | jq -c .tags)"
host "$B" | jq -e '.tags.owner == "alice"' > /dev/null || fail "host b's tags after kill -9"
wait_for "the daemon to re-sync after kill -9" resynced
[ "$(grep -c "enrolled as host" "$T/a.daemon.log")" -eq 0 ] || fail "the daemon enrolled again"
agent_once d
ok "after kill -9 mid-burst: integrity_check ok, every host and tag there, the daemon re-synced"

kill "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=
srv_stop TERM
[ "$(sqlite3 "$T/srv/fleetpatch.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity at the end"
echo "PASS: $PASSED checks"
exit 0
