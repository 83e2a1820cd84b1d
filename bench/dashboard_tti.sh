#!/bin/sh
# The dashboard's overview with N hosts in the store (default 100,000): time to interactive in
# Debian's headless Chromium (navigation start to the overview's "ready" mark, every number
# from GET /v1/summary on screen), median of R page loads, plus the server time of the API
# calls the overview and the hosts table make. Measures, never asserts (docs/dashboard.md).
# The store is filled directly with the sqlite3 CLI while fleetpatchd is stopped: hosts of
# 4 accounts, 12 regions, 36 zones, tags, counts and compliance spread over the fleet.
# GET /v1/vulns at scale: one real agent (a sandbox root with the shared Debian 12 dpkg status
# and apt lists) reports a real inventory; its document is copied to V of the synthetic hosts
# (default 500), its open exposures (the rows GET /v1/vulns reads) to E of them (default V; E
# may exceed V: the exposures table is all /v1/vulns needs, the inventory only scores), and the
# vulnerability database holds the shared Debian tracker mock and CISA KEV feeds.
# usage: bench/dashboard_tti.sh BUILD_DIR [N] [R] [V] [E]
set -eu
B=$(cd "$1" && pwd); N=${2:-100000}; R=${3:-7}; V=${4:-500}; E=${5:-$V}
S=$(cd "$(dirname "$0")/../../shared/data" && pwd)
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

mkdir -m 700 "$T/s"
FLEETPATCH_DB="$T/s/vuln.db" "$B/src/cli/fleetpatch" feeds import "$S/debian/tracker-json/osvdev-debian_security_tracker_mock.json" \
        "$S/kev/known_exploited_vulnerabilities.json" > /dev/null
start
for a in acme globex initech umbrella; do api -X POST "$URL/v1/accounts" --data "{\"name\":\"$a\"}" > /dev/null; done
# one real agent: a root with the shared status and apt lists (read only, never this machine's)
mkdir -p "$T/r/var/lib/dpkg" "$T/r/etc" "$T/r/var/lib/apt/lists"
cp "$S/inventory/debian12-dpkg-status" "$T/r/var/lib/dpkg/status"
printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' > "$T/r/etc/os-release"
echo 0123456789abcdef0123456789abcdef > "$T/r/etc/machine-id"
for f in Packages_bookworm-security_main_binary-amd64 Release_bookworm-security Packages_bookworm-updates_main_binary-amd64 Release_bookworm-updates; do
        cp "$S/apt/$f" "$T/r/var/lib/apt/lists/$f"
done
api -X POST "$URL/v1/accounts/acme/enroll-tokens" --data '{"uses":1}' | jq -r .token > "$T/etok"
printf 'server = %s\nca_file = %s\nstate_dir = %s\nenroll_token_file = %s\nroot = %s\nhostname = real-1\n' \
        "$URL" "$T/s/tls/ca.pem" "$T/a" "$T/etok" "$T/r" > "$T/a.conf"
"$B/src/agent/daemon/fleetpatch-agent" --config "$T/a.conf" --once > /dev/null 2>&1
REAL=$(cat "$T/a/host_id")
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
INSERT INTO host_tags (host, key, value) SELECT id, 'role', json_extract(agent_tags, '$.role') FROM hosts WHERE json_extract(agent_tags, '$.role') IS NOT NULL;
INSERT INTO host_tags (host, key, value) SELECT id, 'ring', json_extract(agent_tags, '$.ring') FROM hosts WHERE json_extract(agent_tags, '$.ring') IS NOT NULL;
INSERT INTO host_inventory (host, document)
  SELECT id, (SELECT document FROM host_inventory WHERE host = '$REAL') FROM hosts
  WHERE id != '$REAL' AND CAST(substr(hostname, 6) AS INTEGER) <= $V;
INSERT INTO exposures (host, account, vuln, package, arch, installed, fixed_version, advisories,
                       severity, scheme, kev, sla_due, exception, track, first_seen)
  SELECT h.id, h.account, e.vuln, e.package, e.arch, e.installed, e.fixed_version, e.advisories,
         e.severity, e.scheme, e.kev, e.sla_due, e.exception, '', e.first_seen
  FROM hosts h JOIN exposures e ON e.host = '$REAL' AND e.fixed_at = 0
  WHERE h.id != '$REAL' AND CAST(substr(h.hostname, 6) AS INTEGER) <= $E;
UPDATE hosts SET sev4 = MAX(sev4, 1) WHERE id IN (SELECT host FROM host_inventory)
  OR id IN (SELECT DISTINCT host FROM exposures);
COMMIT;
SQL
start
echo "store: $(sqlite3 "$T/s/fleetpatch.db" 'SELECT COUNT(*) FROM hosts') hosts, $(sqlite3 "$T/s/fleetpatch.db" 'SELECT COUNT(*) FROM exposures WHERE fixed_at = 0') open exposures"
TOK=$(curl -sS --cacert "$T/s/tls/ca.pem" -H 'Content-Type: application/json' --data '{"user":"boss","password":"correct horse battery"}' "$URL/v1/auth/login" | jq -r .token)
t() { curl -sS -o /dev/null -w '%{time_total}' --cacert "$T/s/tls/ca.pem" -H "Authorization: Bearer $TOK" "$URL$1"; }
for p in /v1/summary '/v1/hosts?limit=50&count=1&sort=hostname' '/v1/hosts?limit=50&count=1&sort=-last_seen&offset=50000' \
         '/v1/hosts?limit=50&count=1&q=host-0999&sort=hostname' '/v1/hosts?limit=50&count=1&tag=ring=canary&zone=region-03a'; do
        printf 'server  %-70s %s s\n' "$p" "$(t "$p")"
done
for p in '/v1/vulns?limit=100' '/v1/vulns?limit=100&account=acme' "/v1/hosts/$REAL/vulns"; do
        printf 'server  %-70s %s s\n' "$p" "$(t "$p")"
done
curl -sS --cacert "$T/s/tls/ca.pem" -H "Authorization: Bearer $TOK" "$URL/v1/vulns?limit=1" |
        jq -c '{total, hosts_matched, hosts_evaluated, hosts_without_findings, hosts_scored, partial}'
FP_SHOTS=${FP_SHOTS:-} FP_URL=$URL FP_RUNS=$R NODE_PATH="$SRC/tests/browser/node_modules" node "$SRC/tests/browser/dashboard_tti.js"
