#!/bin/sh
# fleetpatchd against bad input, with a real server and a real agent: oversized bodies
# (declared and chunked), malformed JSON, wrong types, unknown members, wrong content types,
# bodies on GET, replayed check-ins (409 with last_seq), revoked, expired and used-up
# credentials, a deleted host's credential, tag limits, slow clients beside normal requests.
# Every error must be {"error":{"code","message"}}, a refused request writes nothing, and the
# store is intact afterwards. The checks are in lib/server_bad_input.py (python3, stdlib only).
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

# A short connection timeout so the slow clients are cut while the test still runs.
"$FLEETPATCHD" --state-dir "$T/srv" --port 0 --threads 2 --connection-timeout 5 \
        > "$T/server.log" 2>&1 &
PID=$!
i=0
while [ ! -s "$T/srv/fleetpatchd.url" ]; do
        kill -0 "$PID" 2>/dev/null || fail "fleetpatchd exited at start"
        i=$((i + 1)); [ $i -lt 600 ] || fail "fleetpatchd wrote no URL"
        sleep 0.1
done

python3 "$LIB/server_bad_input.py" "$T/srv" "$T" || fail "server_bad_input.py"
kill -0 "$PID" 2>/dev/null || fail "fleetpatchd died during the test"
if grep -E "AddressSanitizer|runtime error|fleetpatchd: .*: internal" "$T/server.log"; then
        fail "fleetpatchd logged an error"
fi
echo "ok: server_bad_input"
