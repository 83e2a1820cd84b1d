#!/bin/sh
# The orchestration commands of the CLI against a real fleetpatchd, with hosts in three time
# zones (New York, Kathmandu +5:45, Lord Howe with its 30-minute DST): `windows next` gives
# each host's next openings in its local time and in UTC, checked against Python's zoneinfo
# (an independent implementation of the same IANA data); `baseline explain` says why;
# `rollout plan` starts each host at its own window's opening, rolling around the globe;
# the author's own approval is refused with the server's reason.
set -u
[ -n "${FLEETPATCHD:-}" ] && [ -x "$FLEETPATCHD" ] || { echo "SKIP: fleetpatchd not built"; exit 77; }
[ -n "${FLEETPATCH:-}" ] && [ -x "$FLEETPATCH" ] || { echo "SKIP: fleetpatch not built"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
python3 -c 'import zoneinfo' 2>/dev/null || { echo "SKIP: python3 zoneinfo missing"; exit 77; }
T=$(mktemp -d) || exit 1
PID=
cleanup() {
        [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && sed 's/^/  stderr: /' "$T/err"; tail -n 20 "$T/server.log"; exit 1; }
expect() { # CODE CMD...: stdout in $T/out, stderr in $T/err
        want=$1; shift
        "$@" > "$T/out" 2> "$T/err"
        rc=$?
        [ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want"
}
LIB=$FP_SOURCE_ROOT/tests/integration/lib
unset FLEETPATCH_SERVER FLEETPATCH_TOKEN FLEETPATCH_CACERT XDG_CONFIG_HOME
export FLEETPATCH_CLI_CONFIG="$T/cli.json"

"$FLEETPATCHD" --state-dir "$T/srv" --port 0 > "$T/server.log" 2>&1 &
PID=$!
i=0
while [ ! -s "$T/srv/fleetpatchd.url" ]; do
        i=$((i + 1)); [ $i -gt 300 ] && fail "fleetpatchd did not start"
        sleep 0.1
done
export FLEETPATCH_SERVER="$(cat "$T/srv/fleetpatchd.url")" FLEETPATCH_CACERT="$T/srv/tls/ca.pem"
export FLEETPATCH_TOKEN="$(cat "$T/srv/admin.token")"
python3 "$LIB/fakehosts.py" "$T/srv" ny=America/New_York ktm=Asia/Kathmandu lhi=Australia/Lord_Howe \
        > "$T/hosts" || fail "enroll"
KTM=$(awk '$1 == "ktm" { print $2 }' "$T/hosts")

cat > "$T/window.json" <<'J'
{"name": "sat", "mode": "local", "rrule": "FREQ=WEEKLY;BYDAY=SA",
 "start": "2026-01-03T02:00:00", "duration": 14400, "cutoff": 3600}
J
expect 0 "$FLEETPATCH" windows create --account default "$T/window.json"
expect 0 "$FLEETPATCH" windows next default/sat --count 3 --json
cp "$T/out" "$T/next.json"
expect 0 "$FLEETPATCH" windows next default/sat --count 1
grep -q "OPENS (LOCAL)" "$T/out" || fail "windows next: no local column: $(cat "$T/out")"
grep -q "+05:45" "$T/out" || fail "windows next: Kathmandu's offset missing: $(cat "$T/out")"

cat > "$T/baseline.json" <<'J'
{"name": "all", "family": "deb",
 "rules": [{"classification": ["security", "bugfix", "other"], "after_days": 0}]}
J
expect 0 "$FLEETPATCH" baseline create --account default "$T/baseline.json"
expect 0 "$FLEETPATCH" baseline explain "$KTM" hello --json
cp "$T/out" "$T/explain.json"
expect 0 "$FLEETPATCH" baseline explain "$KTM" hello
grep -q "rule 1" "$T/out" || fail "explain names no rule: $(cat "$T/out")"

cat > "$T/cr.json" <<'J'
{"account": "default", "title": "hello 1.1", "baseline": "all", "window": "sat",
 "rollout": {"host_time": 600}}
J
expect 0 "$FLEETPATCH" cr create "$T/cr.json" --json
CR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/out")
expect 0 "$FLEETPATCH" rollout plan "$CR" --json
cp "$T/out" "$T/plan.json"
expect 0 "$FLEETPATCH" cr submit "$CR"
expect 6 "$FLEETPATCH" cr approve "$CR"
grep -q "self_approval\|author" "$T/err" || fail "self-approval: $(cat "$T/err")"

python3 - "$T" <<'PY' || fail "checks against zoneinfo"
import json, sys, datetime as dt, zoneinfo, time
T = sys.argv[1]
nxt = json.load(open(T + "/next.json"))
explain = json.load(open(T + "/explain.json"))
plan = json.load(open(T + "/plan.json"))
now = time.time()
bad = 0
def opens(tz, count):
    """Saturdays at 02:00 local from 2026-01-03, the next ones still open or to come."""
    z = zoneinfo.ZoneInfo(tz)
    d = dt.date(2026, 1, 3)
    out = []
    while len(out) < count:
        t = dt.datetime(d.year, d.month, d.day, 2, 0, tzinfo=z).timestamp()
        if t + 14400 > now:
            out.append(int(t))
        d += dt.timedelta(days=7)
    return out
hosts = {h["hostname"]: h for h in nxt["hosts"]}
for name, tz in (("ny", "America/New_York"), ("ktm", "Asia/Kathmandu"), ("lhi", "Australia/Lord_Howe")):
    h = hosts.get(name)
    if not h or h["tz"] != tz:
        print("host %s: %s" % (name, h)); bad += 1; continue
    want = opens(tz, 3)
    got = [o["open"] for o in h["next"]]
    if got != want:
        print("%s: openings %s, zoneinfo says %s" % (name, got, want)); bad += 1
    for o in h["next"]:
        local = dt.datetime.fromtimestamp(o["open"], zoneinfo.ZoneInfo(tz))
        if not o["open_local"].startswith(local.strftime("%Y-%m-%dT%H:%M:%S")) or local.hour != 2:
            print("%s: open_local %s, zoneinfo %s" % (name, o["open_local"], local)); bad += 1
        if o["close"] - o["open"] != 14400 or o["start_until"] != o["close"] - 3600:
            print("%s: close/start_until %s" % (name, o)); bad += 1
# explain: approved, by the rule
u = explain["updates"]
if len(u) != 1 or not u[0]["approved"] or explain["baseline"] != "all":
    print("explain: %s" % explain); bad += 1
# the plan: each host starts at its own zone's next opening (one wave, no limits)
byid = {h["host"]: h for h in nxt["hosts"]}
for p in plan["hosts"]:
    h = byid[p["host"]]
    if p["planned"] != opens(h["tz"], 1)[0]:
        print("plan: %s planned %s, its window opens %s" % (h["hostname"], p["planned"], opens(h["tz"], 1)[0])); bad += 1
starts = sorted(p["planned"] for p in plan["hosts"])
if len(set(starts)) != 3:
    print("plan: hosts in three zones should start at three instants: %s" % starts); bad += 1
if plan["mode"] != "local":
    print("plan mode %s" % plan["mode"]); bad += 1
sys.exit(1 if bad else 0)
PY
echo "orch_cli: ok"
