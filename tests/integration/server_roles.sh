#!/bin/sh
# fleetpatchd roles and tenant isolation against a real server and two real agents: accounts a
# and b, a user per role on a, an admin of b, an organisation-wide viewer; every route of
# fp_routes[] (parsed from src/server/router.c) called by every kind of caller, with the exact
# status and error code expected (401 for no, malformed or wrong-kind credentials, 404 for
# another account's objects, 403 for a too weak role, 2xx where allowed); B's admin sees nothing
# of A in any list and cannot change A's objects, which A's admin checks afterwards.
# The checks themselves are in lib/server_roles.py (python3, stdlib only).
set -u
[ -n "${FLEETPATCHD:-}" ] && [ -x "$FLEETPATCHD" ] || { echo "SKIP: fleetpatchd not built"; exit 77; }
[ -n "${FLEETPATCH_AGENT:-}" ] && [ -x "$FLEETPATCH_AGENT" ] || { echo "SKIP: fleetpatch-agent not built"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
[ -f "$FP_SHARED_DATA/inventory/debian12-dpkg-status" ] || { echo "SKIP: no shared data"; exit 77; }
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

"$FLEETPATCHD" --state-dir "$T/srv" --port 0 > "$T/server.log" 2>&1 &
PID=$!
i=0
while [ ! -s "$T/srv/fleetpatchd.url" ]; do
        kill -0 "$PID" 2>/dev/null || fail "fleetpatchd exited at start"
        i=$((i + 1)); [ $i -lt 600 ] || fail "fleetpatchd wrote no URL"
        sleep 0.1
done

python3 "$LIB/server_roles.py" "$T/srv" "$T" || fail "server_roles.py"
kill -0 "$PID" 2>/dev/null || fail "fleetpatchd died during the test"
if grep -E "AddressSanitizer|runtime error|internal" "$T/server.log"; then
        fail "fleetpatchd logged an error"
fi
echo "ok: server_roles"
