#!/bin/sh
# The README's main job (scripts/run.sh) end to end on a temporary state directory: it starts
# fleetpatchd, enrolls this machine's agent (read-only) and prints the fleet summary; a second
# run reuses the running server and the enrollment (no second host).
set -u
: "${FP_SOURCE_ROOT:?}" "${FP_BUILD_ROOT:?}"
STATE=$(mktemp -d)
cleanup() {
  [ -f "$STATE/fleetpatchd.pid" ] && kill "$(cat "$STATE/fleetpatchd.pid")" 2>/dev/null
  rm -rf "$STATE"
}
trap cleanup EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

run() {
  FLEETPATCH_STATE=$STATE FLEETPATCH_PORT=0 FP_BUILD_DIR=$FP_BUILD_ROOT \
    sh "$FP_SOURCE_ROOT/scripts/run.sh" >"$STATE/out" 2>"$STATE/err"
}

if run; then ok; else bad "scripts/run.sh exited $?"; cat "$STATE/out" "$STATE/err"; fi
grep -q '^hosts: *1$' "$STATE/out" && ok || { bad "summary does not show 1 host"; cat "$STATE/out"; }
grep -q '^fleetpatchd: https://127.0.0.1:' "$STATE/out" && ok || bad "no server address printed"
[ "$(stat -c %a "$STATE/agent/credential" 2>/dev/null)" = 600 ] && ok || bad "credential not 0600"
# The dashboard address answers with the page, and its printed sign-in works.
durl=$(sed -n 's|^dashboard: *\(https://[^ ]*/\) .*|\1|p' "$STATE/out")
[ -n "$durl" ] && ok || { bad "no dashboard address printed"; cat "$STATE/out"; }
curl -sf --cacert "$STATE/server/tls/ca.pem" "$durl" | grep -qi '<html' && ok ||
  bad "the dashboard address does not serve the page"
[ "$(stat -c %a "$STATE/dashboard.password" 2>/dev/null)" = 600 ] && ok || bad "dashboard password not 0600"
body=$(printf '{"user":"dashboard","password":"%s"}' "$(cat "$STATE/dashboard.password")")
curl -sf --cacert "$STATE/server/tls/ca.pem" -H 'Content-Type: application/json' -d "$body" \
  "${durl}v1/auth/login" | grep -q '"token"' && ok || bad "the dashboard user cannot sign in"
[ ! -e "$STATE/enroll.token" ] && ok || bad "the used enrollment token was left behind"
pid1=$(cat "$STATE/fleetpatchd.pid")

if run; then ok; else bad "second run exited $?"; cat "$STATE/err"; fi
[ "$(cat "$STATE/fleetpatchd.pid")" = "$pid1" ] && ok || bad "second run started another server"
grep -q '^hosts: *1$' "$STATE/out" && ok || { bad "second run: not exactly 1 host"; cat "$STATE/out"; }
grep -q 'inventory unchanged' "$STATE/err" "$STATE/out" && ok ||
  { bad "second check-in did not send only the hash"; cat "$STATE/err"; }

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
