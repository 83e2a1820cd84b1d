#!/bin/sh
# Orchestration input that must be refused, against a real fleetpatchd (approvals_required 2)
# and three real agents on sandbox roots made from the shared Debian 12 dpkg status and its
# captured bookworm-security lists (pending security updates; no package is installed, so no
# root needed): windows (invalid RRULE, forbidden FREQ, unknown zone, cutoff >= duration),
# baselines that approve nothing, change requests whose plan cannot hold (window shorter than
# host_time, a group share that rounds to 0, a ring matching no host), emergency without a
# KEV/critical update, and the votes (viewer, author, twice, two distinct approvers needed).
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
cleanup() {
        [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"

srv_start "$T/srv" "$T/srv.log" --port 0 --scheduler-interval 1 --approvals-required 2
enroll_token "$T/tok" '{"uses":10}'
for n in 1 2 3; do
        deb_root "$T/r$n" "$STATUS" debian 12 bookworm "$(printf '%032x' $((0xbad00 + n)))" with-lists
        agent_conf "h$n" "$T/r$n" "$T/tok"
        agent_once "h$n"
done
H1=$(host_id h1) H2=$(host_id h2) H3=$(host_id h3)
api_ok PUT "/v1/hosts/$H1/tags" '{"tags":{"service":"web"}}' > /dev/null
api_ok PUT "/v1/hosts/$H2/tags" '{"tags":{"service":"web"}}' > /dev/null
api_ok GET "/v1/hosts/$H1" | jq -e '.updates >= 1' > /dev/null || fail "h1 has no pending update"

PW='"password":"correct horse battery"'
for u in approver:approver approver2:approver viewer:viewer operator:operator; do
        api_ok POST /v1/users "{\"name\":\"${u%%:*}\",$PW,\"grants\":[{\"account\":\"default\",\"role\":\"${u#*:}\"}]}" > /dev/null
done
login() { api_ok POST /v1/auth/login "{\"user\":\"$1\",$PW}" | jq -r .token; }
APPROVER=$(login approver) APPROVER2=$(login approver2) VIEWER=$(login viewer) OPERATOR=$(login operator)
as() { _save=$ADM; ADM=$1; shift; api "$@"; ADM=$_save; }

# expect STATUS CODE MEMBER WHAT METHOD PATH [JSON]: the answer's status and error code, and
# MEMBER ("-" = any) named in the error's message or its field
expect() {
        _st=$1 _code=$2 _member=$3 _what=$4; shift 4
        api "$@" > /dev/null
        got="$(cat "$T/http_status") $(jq -r '.error.code // "-"' "$T/http_body")"
        [ "$got" = "$_st $_code" ] || { cat "$T/http_body"; echo; fail "$_what: got '$got', want '$_st $_code'"; }
        if [ "$_member" != - ]; then
                jq -r '.error.message + " " + (.error.field // "")' "$T/http_body" | grep -q -- "$_member" ||
                        { cat "$T/http_body"; echo; fail "$_what: neither message nor field names '$_member'"; }
        fi
        ok "$_what: $_st $_code ($(jq -r .error.message "$T/http_body"))"
}
W=/v1/accounts/default/windows
win() { # NAME RRULE TZ DURATION CUTOFF
        printf '{"name":"%s","mode":"absolute","rrule":"%s","start":"2026-01-01T00:00:00","tz":"%s","duration":%s,"cutoff":%s}' "$@"
}

# ---- windows ----
expect 400 invalid_request rrule "window with an invalid RRULE" POST $W "$(win w1 'FREQ=SOMETIMES;BYDAY=XX' UTC 3600 600)"
expect 400 invalid_request rrule "window with a forbidden FREQ" POST $W "$(win w1 'FREQ=HOURLY' UTC 3600 600)"
expect 400 invalid_request tz "window with an unknown time zone" POST $W "$(win w1 'FREQ=DAILY' Mars/Olympus_Mons 3600 600)"
expect 400 invalid_request cutoff "window with cutoff = duration" POST $W "$(win w1 'FREQ=DAILY' UTC 3600 3600)"
expect 400 invalid_request cutoff "window with cutoff > duration" POST $W "$(win w1 'FREQ=DAILY' UTC 3600 7200)"
expect 400 invalid_request duration "window shorter than 300 s" POST $W "$(win w1 'FREQ=DAILY' UTC 60 0)"
expect 400 invalid_request rrule "window whose occurrences overlap" POST $W "$(win w1 'FREQ=DAILY' UTC 172800 600)"
api_ok GET $W | jq -e '.windows == []' > /dev/null || fail "a refused window was stored"
api_ok POST $W "$(win day 'FREQ=DAILY' UTC 86399 3600)" > /dev/null
api_ok POST $W "$(win short 'FREQ=DAILY' UTC 1800 300)" > /dev/null

# ---- baselines ----
B=/v1/accounts/default/baselines
expect 400 invalid_request - "baseline with no rule and no approved entry" POST $B '{"name":"b0","family":"deb","rules":[]}'
expect 400 invalid_request classification "baseline rule with an empty classification" POST $B '{"name":"b0","family":"deb","rules":[{"classification":[],"after_days":0}]}'
expect 400 invalid_request - "baseline rule with both after_days and until" POST $B '{"name":"b0","family":"deb","rules":[{"classification":["security"],"after_days":0,"until":"2026-12-31"}]}'
expect 400 invalid_request - "baseline with an unknown severity" POST $B '{"name":"b0","family":"deb","rules":[{"classification":["security"],"severity":"dire","after_days":0}]}'
api_ok GET $B | jq -e '.baselines == []' > /dev/null || fail "a refused baseline was stored"
api_ok POST $B '{"name":"sec","family":"deb","rules":[{"classification":["security"],"after_days":0}]}' > /dev/null
api_ok POST $B '{"name":"never","family":"deb","approved":["no-such-package-fp"]}' > /dev/null
api_ok POST $B '{"name":"rpm","family":"rpm","rules":[{"classification":["security"],"after_days":0}]}' > /dev/null

# ---- change requests ----
cr() { # BASELINE WINDOW ROLLOUT [extra members]
        printf '{"account":"default","title":"t","baseline":"%s","window":%s,"rollout":%s%s}' "$1" "$2" "$3" "${4:-}"
}
C=/v1/change-requests
expect 400 invalid_plan window "change request whose window's cutoff is shorter than host_time" \
        POST $C "$(cr sec '"short"' '{"host_time":600}')"
expect 400 invalid_plan max_group_down "change request whose group share rounds to 0" \
        POST $C "$(cr sec '"day"' '{"host_time":600,"group_tag":"service","max_group_down":"10%"}')"
expect 400 invalid_plan - "change request with a ring that matches no host" \
        POST $C "$(cr sec '"day"' '{"host_time":600,"rings":[{"name":"mars","tags":{"planet":"mars"}},{"name":"rest","tags":{}}]}')"
expect 400 invalid_plan - "change request whose hosts match no ring" \
        POST $C "$(cr sec null '{"rings":[{"name":"mars","tags":{"planet":"mars"}}]}')"
expect 400 invalid_request emergency "emergency change without a KEV or critical update" \
        POST $C "$(cr sec '"day"' '{"host_time":600}' ',"emergency":true')"
expect 400 invalid_request - "change request with an invalid rollout member" \
        POST $C "$(cr sec '"day"' '{"host_time":10}')"
expect 400 invalid_request - "change request with an unknown rollout member" \
        POST $C "$(cr sec '"day"' '{"surprise":1}')"
expect 400 invalid_request baseline "change request naming an unknown baseline" POST $C "$(cr nope '"day"' '{}')"
expect 400 invalid_request window "change request naming an unknown window" POST $C "$(cr sec '"nope"' '{}')"
expect 409 nothing_to_do - "change request whose baseline approves nothing pending" POST $C "$(cr never '"day"' '{}')"
expect 409 nothing_to_do - "change request of a baseline for another OS family" POST $C "$(cr rpm '"day"' '{}')"
expect 409 nothing_to_do - "change request whose targets select no host" POST $C "$(cr sec '"day"' '{}' ',"targets":{"tags":{"env":"none"}}')"
as "$VIEWER" POST $C "$(cr sec '"day"' '{}')" > /dev/null
[ "$(cat "$T/http_status")" = 403 ] || fail "a viewer created a change request: HTTP $(cat "$T/http_status")"
api_ok GET $C | jq -e '.change_requests == []' > /dev/null || fail "a refused change request was stored"
ok "nothing was stored by the refused requests"

# ---- votes (approvals_required 2) ----
CR=$(api_ok POST $C "$(cr sec '"day"' '{"host_time":600}')" | jq -r .id)
api_ok POST "$C/$CR/submit" '{}' > /dev/null
A=$ADM
ADM=$VIEWER;    expect 403 forbidden - "approval by a viewer" POST "$C/$CR/approve" '{}'
ADM=$OPERATOR;  expect 403 forbidden - "approval by an operator" POST "$C/$CR/approve" '{}'
ADM=$A;         expect 403 self_approval - "approval by the author" POST "$C/$CR/approve" '{}'
ADM=$APPROVER;  api_ok POST "$C/$CR/approve" '{}' | jq -e '.state == "submitted" and .approvals == 1 and .approvals_required == 2' > /dev/null ||
        fail "one approval of two"
ADM=$APPROVER;  expect 409 already_voted - "a second approval by the same approver" POST "$C/$CR/approve" '{}'
ADM=$APPROVER2; api_ok POST "$C/$CR/approve" '{}' | jq -e '.state == "scheduled" and .approvals == 2' > /dev/null ||
        fail "two approvals: not scheduled"
ADM=$APPROVER2; expect 409 conflict - "an approval of a scheduled request" POST "$C/$CR/approve" '{}'
ADM=$A
expect 409 conflict - "submit twice" POST "$C/$CR/submit" '{}'
ADM=$VIEWER;    expect 403 forbidden - "pause by a viewer" POST "$C/$CR/pause" '{}'
ADM=$A
api_ok POST "$C/$CR/cancel" '{}' > /dev/null
[ "$(api_ok GET "$C/$CR" | jq -r .state)" = cancelled ] || fail "cancel"
expect 409 conflict - "resume of a cancelled request" POST "$C/$CR/resume" '{}'
expect 404 not_found - "an unknown change request" POST "$C/0123456789abcdef/approve" '{}'

kill -0 "$SRV_PID" 2>/dev/null || fail "fleetpatchd died"
if grep -E "AddressSanitizer|runtime error" "$T/srv.log"; then fail "fleetpatchd logged an error"; fi
echo "$PASSED passed, 0 failed"
