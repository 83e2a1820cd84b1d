#!/bin/sh
# The server half of patch execution (docs/jobs.md) against a real fleetpatchd, driven by a
# scripted agent over the real HTTP API: jobs of every type with their params checked and
# stored canonically, upgrade-approved expanded from the inventory, progress and finish with a
# result, GET of a job and its log, tenant isolation and roles on every new route, malformed
# params and results refused with field paths and nothing stored, catch-up marking and
# clearing (offline, revert, downgraded, suspend), and clone detection. The checks are in
# lib/jobs_server.py (python3, stdlib only); a second server with catchup_after = 1 s checks
# the offline mark.
set -u
[ -n "${FLEETPATCHD:-}" ] && [ -x "$FLEETPATCHD" ] || { echo "SKIP: fleetpatchd not built"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
LIB=$FP_SOURCE_ROOT/tests/integration/lib

T=$(mktemp -d) || exit 1
PID=
cleanup() {
        [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; [ -f "$T/server.log" ] && { echo "--- server log"; tail -n 30 "$T/server.log"; }; exit 1; }

start() { # STATE_DIR [options]
        _d=$1; shift
        "$FLEETPATCHD" --state-dir "$_d" --port 0 "$@" >> "$T/server.log" 2>&1 &
        PID=$!
        i=0
        while [ ! -s "$_d/fleetpatchd.url" ]; do
                kill -0 "$PID" 2>/dev/null || fail "fleetpatchd exited at start"
                i=$((i + 1)); [ $i -lt 600 ] || fail "fleetpatchd wrote no URL"
                sleep 0.1
        done
}
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }

start "$T/srv"
python3 "$LIB/jobs_server.py" main "$T/srv" || fail "jobs_server.py main"
kill -0 "$PID" 2>/dev/null || fail "fleetpatchd died during the test"
stop

# Offline: a host that comes back after more than catchup_after seconds without a check-in.
start "$T/srv2" --catchup-after 1
python3 "$LIB/jobs_server.py" offline "$T/srv2" || fail "jobs_server.py offline"
kill -0 "$PID" 2>/dev/null || fail "fleetpatchd died during the offline test"
stop
if grep -E "AddressSanitizer|runtime error|internal" "$T/server.log"; then
        fail "fleetpatchd logged an error"
fi
echo "ok: jobs_server"
