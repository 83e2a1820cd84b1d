#!/bin/sh
# A new advisory reaches a running fleetpatchd without a restart. The vulnerability database
# (a SQLite file in WAL mode that the server holds open) gets a record by `fleetpatch feeds
# import` while the server runs; the server re-opens it when vuln.db or a non-empty
# vuln.db-wal changed (src/server/findings.c). The host's live findings (GET
# /v1/hosts/{id}/vulns, evaluated at each request) show the new record, and a changed record
# (its fixed version raised) shows too. Whether the import's pages are still in the WAL or
# already checkpointed into vuln.db when the server looks is up to SQLite: this test covers
# the outcome, and the benchmark (bench/agent_load, docs/scaling.md) found the WAL case.
# The stored fleet view (GET /v1/vulns: exposures, written when an inventory arrives) follows
# without a new inventory: the scheduler's leader judges every host again from its stored
# inventory (src/server/refresh.c), and the host's counts and tracking records with it.
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
[ -n "${FLEETPATCH:-}" ] && [ -x "$FLEETPATCH" ] || { echo "SKIP: fleetpatch not built"; exit 77; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -f "$T/srv.log" ] && { echo "--- server log"; tail -n 30 "$T/srv.log"; cat "$T/v.json" "$T/import"; }; srv_stop; rm -rf "$T"; exit $rc' EXIT
trap 'exit 1' INT TERM

# tracker JSON for bash in bookworm: CVE, fixed version (the host has 5.2.15-2+b8)
tracker() {
        printf '{"bash": {"%s": {"description": "a test record", "releases": {"bookworm": {"status": "resolved", "repositories": {}, "fixed_version": "%s", "urgency": "high"}}}}}\n' "$1" "$2"
}
import() {
        FLEETPATCH_DB="$T/srv/vuln.db" "$FLEETPATCH" feeds import "$@" > "$T/import" 2>&1 ||
                { cat "$T/import"; fail "feeds import $*"; }
}
mkdir -m 700 "$T/srv"
tracker CVE-2099-0001 5.2.15-1 > "$T/old.json" # fixed before the host's version: not affected
import "$T/old.json"
srv_start "$T/srv" "$T/srv.log" --port 0 --scheduler-interval 1
enroll_token "$T/tok" '{"uses":1}'
deb_root "$T/r" "$STATUS" debian 12 bookworm 5e1f00000000000000000000000000aa
agent_conf h1 "$T/r" "$T/tok"
agent_once h1
ID=$(host_id h1)
cves() { api_ok GET "/v1/hosts/$ID/vulns" > "$T/v.json"; jq -r '[.findings[].vuln | select(startswith("CVE-2099-"))] | unique | join(" ")' "$T/v.json"; }
[ "$(cves)" = "" ] || fail "before the import the host shows $(cves)"
ok "a host on a running server with a database where bash is not affected"

pid0=$SRV_PID
tracker CVE-2099-0002 99.0 > "$T/new.json"
import "$T/new.json"
has() { [ "$(cves)" = "$1" ]; }
wait_for "the new record in the host's live findings" has CVE-2099-0002
kill -0 "$pid0" || fail "the server is gone"
ok "a record imported while the server runs is in the host's findings (no restart)"
fleet() { api_ok GET /v1/vulns > "$T/f.json"; jq -r '[.vulns[] | select(.vuln | startswith("CVE-2099-")) | "\(.vuln)=\(.hosts)"] | sort | join(" ")' "$T/f.json"; }
in_fleet() { [ "$(fleet)" = "$1" ]; }
wait_for "the new record in the fleet view" in_fleet "CVE-2099-0002=1"
api_ok GET /v1/tracking > "$T/t.json"
jq -e '[.records[]? // .tracking[]? | select(.vuln == "CVE-2099-0002")] | length == 1' "$T/t.json" > /dev/null ||
        { cat "$T/t.json"; fail "no tracking record for the new advisory"; }
[ "$(metric exposure_refresh_hosts_total)" -ge 1 ] || fail "no host counted as refreshed"
ok "the fleet view (stored exposures) and a tracking record follow without a new inventory"

tracker CVE-2099-0001 99.0 > "$T/raised.json" # the old record now affects the host too
import "$T/raised.json"
wait_for "the changed record in the host's live findings" has "CVE-2099-0001 CVE-2099-0002"
wait_for "the changed record in the fleet view" in_fleet "CVE-2099-0001=1 CVE-2099-0002=1"
ok "a changed record (fixed version raised) shows as well, live and in the fleet view"
