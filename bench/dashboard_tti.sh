#!/bin/sh
# The dashboard's overview with N hosts in the store (default 100,000): time to interactive in
# Debian's headless Chromium (navigation start to the overview's "ready" mark, every number
# from GET /v1/summary on screen), median of R page loads, plus the server time of the API
# calls the overview and the hosts table make. Measures, never asserts (docs/dashboard.md).
# The store is filled directly with the sqlite3 CLI while fleetpatchd is stopped: hosts of
# 4 accounts, 12 regions, 36 zones, tags, counts and compliance spread over the fleet.
# usage: bench/dashboard_tti.sh BUILD_DIR [N] [R]
set -eu
B=$(cd "$1" && pwd); N=${2:-100000}; R=${3:-7}
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
start() {
        rm -f "$T/s/fleetpatchd.url"
        "$B/src/server/fleetpatchd" --state-dir "$T/s" --port 0 >> "$T/srv.log" 2>&1 &
        PID=$!
        while [ ! -s "$T/s/fleetpatchd.url" ]; do sleep 0.1; done
        URL=$(cat "$T/s/fleetpatchd.url")
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }
api() { curl -sS --cacert "$T/s/tls/ca.pem" -H "Authorization: Bearer $(cat "$T/s/admin.token")" -H 'Content-Type: application/json' "$@"; }

start
for a in acme globex initech umbrella; do api -X POST "$URL/v1/accounts" --data "{\"name\":\"$a\"}" > /dev/null; done
api -X POST "$URL/v1/users" --data '{"name":"boss","password":"correct horse battery","grants":[{"account":"*","role":"viewer"}]}' > /dev/null
stop
NOW=$(date +%s)
sqlite3 "$T/s/fleetpatch.db" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO hosts (id, account, hostname, region, machine_id, os_id, os_release, facts,
                   agent_tags, created, last_seen, inventory_at, packages, updates,
                   security_updates, sev3, sev4, sev5, kev, overdue, compliance, catchup)
SELECT printf('%016x', i), (CASE i % 4 WHEN 0 THEN 'acme' WHEN 1 THEN 'globex' WHEN 2 THEN 'initech' ELSE 'umbrella' END),
       printf('host-%06d', i), printf('region-%02d', i % 12), printf('%032x', i), 'debian', '12',
       json_object('hostname', printf('host-%06d', i), 'cloud', json_object('region', printf('region-%02d', i % 12), 'zone', printf('region-%02d%s', i % 12, char(97 + i % 3)))),
       json_object('role', CASE i % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'db' ELSE 'batch' END, 'ring', CASE WHEN i % 50 = 0 THEN 'canary' ELSE 'production' END),
       $NOW - 86400, $NOW - (i % 7200), $NOW - 3600, 600 + i % 400, i % 9, i % 4, i % 5, i % 3, i % 7 = 0, i % 11 = 0, i % 13 = 0,
       CASE WHEN i % 4 = 0 OR i % 11 = 0 OR i % 13 = 0 THEN 2 ELSE 1 END, CASE WHEN i % 97 = 0 THEN '["offline"]' ELSE '[]' END
FROM n;
INSERT INTO host_tags (host, key, value) SELECT id, 'role', json_extract(agent_tags, '$.role') FROM hosts;
INSERT INTO host_tags (host, key, value) SELECT id, 'ring', json_extract(agent_tags, '$.ring') FROM hosts;
COMMIT;
SQL
start
echo "store: $(sqlite3 "$T/s/fleetpatch.db" 'SELECT COUNT(*) FROM hosts') hosts"
TOK=$(curl -sS --cacert "$T/s/tls/ca.pem" -H 'Content-Type: application/json' --data '{"user":"boss","password":"correct horse battery"}' "$URL/v1/auth/login" | jq -r .token)
t() { curl -sS -o /dev/null -w '%{time_total}' --cacert "$T/s/tls/ca.pem" -H "Authorization: Bearer $TOK" "$URL$1"; }
for p in /v1/summary '/v1/hosts?limit=50&count=1&sort=hostname' '/v1/hosts?limit=50&count=1&sort=-last_seen&offset=50000' \
         '/v1/hosts?limit=50&count=1&q=host-0999&sort=hostname' '/v1/hosts?limit=50&count=1&tag=ring=canary&zone=region-03a'; do
        printf 'server  %-70s %s s\n' "$p" "$(t "$p")"
done
FP_URL=$URL FP_RUNS=$R NODE_PATH="$SRC/tests/browser/node_modules" node "$SRC/tests/browser/dashboard_tti.js"
