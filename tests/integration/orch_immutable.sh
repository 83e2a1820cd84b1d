#!/bin/sh
# Immutable groups: replaced from a rebuilt image, never patched in place; the image
# pipeline's webhook is signed and retried (checks in lib/orch_immutable.py).
set -u
[ -n "${FLEETPATCHD:-}" ] && [ -x "$FLEETPATCHD" ] || { echo "SKIP: fleetpatchd not built"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d) || exit 1
PID= PY=
cleanup() {
        [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
        [ -n "$PY" ] && kill "$PY" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret"
python3 "$FP_SOURCE_ROOT/tests/integration/lib/orch_immutable.py" "$T/srv" "$T/secret" "$T/port" &
PY=$!
i=0
while [ ! -s "$T/port" ]; do
        i=$((i + 1)); [ $i -gt 300 ] && { echo "FAIL: receiver did not start"; exit 1; }
        sleep 0.1
done
"$FLEETPATCHD" --state-dir "$T/srv" --port 0 --scheduler_interval 1 \
        --image_webhook_url "http://127.0.0.1:$(cat "$T/port")/hook" \
        --image_webhook_secret_file "$T/secret" > "$T/server.log" 2>&1 &
PID=$!
wait "$PY"
rc=$?
PY=
[ $rc -eq 0 ] || { echo "--- server log"; tail -n 30 "$T/server.log"; }
exit $rc
