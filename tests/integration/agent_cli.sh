#!/bin/sh
# fleetpatch-agent against a real fleetpatchd on 127.0.0.1: enrollment (credential 0600 in a
# 0700 state directory), a check-in that sends only the hash when nothing changed, a changed
# inventory sent again, a queued rescan job done, a sequence number behind the server's
# recovered, a deleted host's agent refused with 401, and an agent started while the server
# is down that enrolls and syncs by itself once the server is back. Sandbox roots are made
# from the shared dpkg status of a real Debian 12 host.
set -u
for v in FLEETPATCHD FLEETPATCH_AGENT FP_SHARED_DATA; do
        eval "val=\${$v:-}"
        [ -n "$val" ] || { echo "SKIP: $v not set"; exit 77; }
done
[ -x "$FLEETPATCHD" ] || { echo "SKIP: $FLEETPATCHD not built"; exit 77; }
[ -x "$FLEETPATCH_AGENT" ] || { echo "SKIP: $FLEETPATCH_AGENT not built"; exit 77; }
for t in curl python3; do
        command -v $t >/dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done
STATUS=$FP_SHARED_DATA/inventory/debian12-dpkg-status
[ -f "$STATUS" ] || { echo "SKIP: $STATUS missing"; exit 77; }

T=$(mktemp -d) || exit 1
SRV_PID=
DAEMON_PID=
cleanup() {
        [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
        [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
        [ -n "$DAEMON_PID" ] && wait "$DAEMON_PID" 2>/dev/null
        [ -n "$SRV_PID" ] && wait "$SRV_PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
        echo "FAIL: $*"
        for f in "$T"/srv.log "$T"/out "$T"/err "$T"/daemon.log; do
                [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
        done
        exit 1
}
json() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"; }
mode() { stat -c %a "$1"; }

# start_server [PORT]: fleetpatchd on 127.0.0.1 (port 0 = any free one), waits until it answers
start_server() {
        rm -f "$T/srv/fleetpatchd.url"
        "$FLEETPATCHD" --state_dir "$T/srv" --listen 127.0.0.1 --port "${1:-0}" \
                --checkin_interval 5 >>"$T/srv.log" 2>&1 &
        SRV_PID=$!
        i=0
        while [ ! -s "$T/srv/fleetpatchd.url" ]; do
                kill -0 "$SRV_PID" 2>/dev/null || fail "fleetpatchd exited at start"
                i=$((i + 1)); [ $i -lt 600 ] || fail "fleetpatchd did not start"
                sleep 0.1
        done
        URL=$(cat "$T/srv/fleetpatchd.url")
        CA=$T/srv/tls/ca.pem
        until curl -sf --cacert "$CA" "$URL/healthz" >/dev/null; do
                i=$((i + 1)); [ $i -lt 600 ] || fail "fleetpatchd does not answer"
                sleep 0.1
        done
}
stop_server() {
        kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null; SRV_PID=
}
# api METHOD PATH [BODY]: as the bootstrap admin; the body of the answer on stdout
api() {
        if [ $# -ge 3 ]; then
                curl -sS --cacert "$CA" -H "Authorization: Bearer $(cat "$T/srv/admin.token")" \
                        -H 'Content-Type: application/json' -X "$1" -d "$3" "$URL$2"
        else
                curl -sS --cacert "$CA" -H "Authorization: Bearer $(cat "$T/srv/admin.token")" \
                        -X "$1" "$URL$2"
        fi
}
# queue_rescan HOST: a rescan job for HOST; its id in JOB
queue_rescan() {
        ans=$(api POST "/v1/hosts/$1/jobs" '{"type":"rescan"}')
        JOB=$(printf '%s' "$ans" | json id 2>/dev/null) || fail "cannot queue a job: $ans"
}
# mkroot NAME MACHINE_ID: a Debian 12 root with the shared host's installed packages
mkroot() {
        r=$T/$1
        mkdir -p "$r/etc" "$r/var/lib/dpkg" "$r/var/lib/apt/lists"
        cp "$STATUS" "$r/var/lib/dpkg/status"
        printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' \
                > "$r/etc/os-release"
        echo "$2" > "$r/etc/machine-id"
        echo "Europe/Berlin" > "$r/etc/timezone"
}
# conf NAME: the agent's configuration file for root NAME, state T/NAME.state
conf() {
        cat > "$T/$1.conf" <<CONF
# agent $1 of the integration test
server = $URL
ca_file = $CA
state_dir = $T/$1.state
root = $T/$1
enroll_token_file = $T/enroll.token
hostname = $1
tags = role=test,agent=$1
checkin_interval = 5
log_level = debug
CONF
}
# once NAME: one --once run; its exit code in RC, its output in T/out and T/err
once() {
        "$FLEETPATCH_AGENT" --config "$T/$1.conf" --once >"$T/out" 2>"$T/err"
        RC=$?
}

start_server
TOKEN=$(api POST /v1/accounts/default/enroll-tokens '{"ttl":3600,"uses":10}' | json token) ||
        fail "no enrollment token"
printf '%s\n' "$TOKEN" > "$T/enroll.token"
mkroot h1 11111111111111111111111111111111
mkroot h2 22222222222222222222222222222222
conf h1; conf h2

# --- enrollment and the first check-in send everything
for h in h1 h2; do
        once $h
        [ $RC = 0 ] || fail "$h: first --once exit $RC"
        grep -q "enrolled as host" "$T/err" || fail "$h: no enrollment"
        grep -q "inventory accepted" "$T/out" || fail "$h: inventory not accepted"
        [ "$(mode "$T/$h.state")" = 700 ] || fail "$h: state dir mode $(mode "$T/$h.state")"
        [ "$(mode "$T/$h.state/credential")" = 600 ] || fail "$h: credential mode"
        grep -Eq '^fpa_[0-9a-f]{16}_[0-9a-f]{64}$' "$T/$h.state/credential" || fail "$h: credential"
done
H1=$(cat "$T/h1.state/host_id"); H2=$(cat "$T/h2.state/host_id")
[ "$H1" != "$H2" ] || fail "two hosts share an id"
npk=$(grep -c '^Package:' "$STATUS")
[ "$(api GET "/v1/hosts/$H1" | json packages)" -gt 100 ] || fail "server has no packages of h1"
[ "$(api GET "/v1/hosts/$H1" | json hostname)" = h1 ] || fail "hostname of h1"
[ "$(api GET "/v1/hosts/$H1" | json tags.agent)" = h1 ] || fail "tags of h1"
[ "$(api GET "/v1/hosts/$H1" | json facts.timezone)" = Europe/Berlin ] || fail "facts of h1"

# --- nothing changed: only the hash goes
once h1
[ $RC = 0 ] || fail "second --once exit $RC"
grep -q "inventory unchanged" "$T/out" || fail "second check-in not unchanged"
grep -q ", sent)" "$T/err" && fail "second check-in sent the inventory again"

# --- a changed inventory is sent (a package installed on h1)
HASH1=$(cat "$T/h1.state/inventory_hash")
printf '\nPackage: fp-added\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0-1\n' \
        >> "$T/h1/var/lib/dpkg/status"
before=$(api GET "/v1/hosts/$H1" | json packages)
once h1
[ $RC = 0 ] || fail "changed --once exit $RC"
grep -q "inventory accepted" "$T/out" || fail "changed inventory not accepted"
grep -q ", sent)" "$T/err" || fail "changed inventory not sent"
[ "$(cat "$T/h1.state/inventory_hash")" != "$HASH1" ] || fail "inventory hash not updated"
[ "$(api GET "/v1/hosts/$H1" | json packages)" = $((before + 1)) ] || fail "server count"
[ "$(api GET "/v1/hosts/$H1" | json inventory_hash)" = "$(cat "$T/h1.state/inventory_hash")" ] ||
        fail "server and agent disagree on the hash"

# --- a queued rescan job is done
queue_rescan "$H1"
once h1
[ $RC = 0 ] || fail "rescan --once exit $RC"
grep -q "1 job(s) done" "$T/out" || fail "rescan job not done"
grep -q "job $JOB: rescan" "$T/err" || fail "rescan job $JOB not run"
once h1
grep -q "0 job(s) done" "$T/out" || fail "rescan job done twice"

# --- a sequence number behind the server's (a restored snapshot) is recovered from
last=$(api GET "/v1/hosts/$H1" | json last_seq)
echo 0 > "$T/h1.state/seq"
once h1
[ $RC = 0 ] || fail "regressed --once exit $RC"
grep -q "sequence_regressed" "$T/err" || fail "regression not logged"
[ "$(cat "$T/h1.state/seq")" = $((last + 1)) ] || fail "seq not continued from last_seq+1"

# --- a deleted host's agent is refused
api DELETE "/v1/hosts/$H2" >/dev/null
once h2
[ $RC = 3 ] || fail "deleted host: exit $RC, expected 3"
grep -q "refused" "$T/err" || fail "deleted host: no clear message"
grep -q "HTTP 401" "$T/err" || fail "deleted host: not a 401"
once h1
[ $RC = 0 ] || fail "h1 affected by the deletion of h2"

# --- an agent started while the server is down syncs once it is back
PORT=${URL##*:}
stop_server
mkroot h3 33333333333333333333333333333333
conf h3
"$FLEETPATCH_AGENT" --config "$T/h3.conf" --foreground >"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
i=0
until grep -q "retrying in" "$T/daemon.log"; do
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "agent daemon exited while the server was down"
        i=$((i + 1)); [ $i -lt 600 ] || fail "agent daemon does not retry"
        sleep 0.1
done
[ -f "$T/h3.state/credential" ] && fail "enrolled without a server"
start_server "$PORT"
i=0
until [ -s "$T/h3.state/inventory_hash" ]; do
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "agent daemon exited"
        i=$((i + 1)); [ $i -lt 1200 ] || fail "agent daemon did not sync after the server came back"
        sleep 0.1
done
H3=$(cat "$T/h3.state/host_id")
[ "$(api GET "/v1/hosts/$H3" | json inventory_hash)" = "$(cat "$T/h3.state/inventory_hash")" ] ||
        fail "h3's inventory not on the server"
# a job reaches the waiting daemon through the long poll
queue_rescan "$H3"
i=0
until grep -q "job $JOB: rescan" "$T/daemon.log"; do
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "agent daemon exited"
        i=$((i + 1)); [ $i -lt 1200 ] || fail "daemon did not run job $JOB"
        sleep 0.1
done
# SIGTERM: the daemon finishes and exits 0
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
rc=$?
DAEMON_PID=
[ $rc = 0 ] || fail "agent daemon exit $rc after SIGTERM"
grep -q "stopping" "$T/daemon.log" || fail "no stop message"
echo "PASS: agent_cli ($npk packages per host)"
