#!/bin/sh
# The APIs the dashboard added, at their limits, against a real fleetpatchd over TLS (hosts
# enrolled and checked in over the agent protocol by lib/dashboard_api.py, findings from a real
# feed import): GET /v1/vulns reads the exposures of every matching host (501 hosts are
# whole, never partial), groups by vulnerability with affected hosts, fixed version and
# reasons; GET
# /v1/hosts searches, sorts, offsets and counts on the server; bad parameters are 400.
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
command -v python3 > /dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -f "$T/srv.log" ] && { echo "--- server log"; tail -n 30 "$T/srv.log"; }; srv_stop; rm -rf "$T"; exit $rc' EXIT

mkdir -m 700 "$T/srv"
cat > "$T/tracker.json" <<'J'
{"hello": {"CVE-2099-4242": {"description": "a test vulnerability fixed in 2.0",
  "releases": {"bookworm": {"status": "resolved", "repositories": {}, "fixed_version": "2.0",
                            "urgency": "high"}}}}}
J
FLEETPATCH_DB="$T/srv/vuln.db" "$FLEETPATCH" feeds import "$T/tracker.json" > "$T/import" 2>&1 ||
        { cat "$T/import"; fail "feeds import"; }
srv_start "$T/srv" "$T/srv.log" --port 0
python3 "$FP_SOURCE_ROOT/tests/integration/lib/dashboard_api.py" "$T/srv" || fail "dashboard_api.py"
kill -0 "$SRV_PID" 2>/dev/null || fail "fleetpatchd died"
if grep -E "AddressSanitizer|runtime error" "$T/srv.log"; then fail "fleetpatchd logged an error"; fi
ok "dashboard APIs at their limits"
echo "$PASSED passed, 0 failed"
