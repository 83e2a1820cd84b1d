#!/bin/sh
# The audit log (docs/audit.md) against a real fleetpatchd, a real agent and the sqlite3 CLI:
# real actions and their entries (actor, source, before/after, no secret), a rolled-back
# request that leaves none, tenant isolation, verify, export -> offline verify and every byte
# flipped refused; then the stopped server's store copied and tampered (edited entry and column,
# rewritten chain, deleted, swapped and truncated rows, rewound head, anchor file removed or
# edited): fleetpatchd on each copy names the seq and what. The checks are in lib/audit.py.
set -u
[ -n "${FLEETPATCHD:-}" ] && [ -x "$FLEETPATCHD" ] || { echo "SKIP: fleetpatchd not built"; exit 77; }
[ -n "${FLEETPATCH_AGENT:-}" ] && [ -x "$FLEETPATCH_AGENT" ] || { echo "SKIP: fleetpatch-agent not built"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: sqlite3 CLI missing"; exit 77; }
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
mkdir "$T/work"
python3 "$LIB/audit.py" live "$T/srv" "$T/work" || fail "audit.py live"
kill -0 "$PID" 2>/dev/null || fail "fleetpatchd died during the test"
kill "$PID"; wait "$PID"; PID=
if grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$T/server.log"; then
        fail "fleetpatchd logged an error"
fi
rm -f "$T/srv/fleetpatchd.url"
python3 "$LIB/audit.py" tamper "$T/srv" "$T/work" || fail "audit.py tamper"
if grep -l -E "AddressSanitizer|runtime error|LeakSanitizer" "$T"/work/tamper*.log; then
        fail "a fleetpatchd on a tampered store logged an error"
fi
echo "ok: audit"
