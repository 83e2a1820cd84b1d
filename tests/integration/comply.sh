#!/bin/sh
# Compliance over time and reports (docs/compliance.md) with a real fleetpatchd (scheduler every
# second) and four real fleetpatch-agents on Debian sandbox roots (lib/orch.sh: c1 canary,
# p1..p3 production; hello-fp 1.0 and hello-fp-conf 1.0 installed, 2.0 / 1.1 pending):
#   - without a baseline every host is compliant (no security update, no finding);
#   - a baseline approving everything: at the next check-in every host is non-compliant with
#     2 missing approved updates (severity none, counted at the default level);
#   - p3 tagged patched_by=provider (service_model paas, version 15.4): provider, not a gap;
#   - install jobs run by the real agents on c1 and p2 (p2's root says /run/reboot-required):
#     c1 compliant, p2 pending reboot; p1 marked for catch-up (a suspend event) keeps its gaps;
#   - the summary now and on the earlier date (T1) answers what was true then, by tag and
#     baseline; the daily series ends with today's counts;
#   - the report: JSON and CSV agree host by host, HTML is one self-contained file, the CLI's
#     CSV is the API's; ranges over 400 days, steps under a day and bad dates are refused;
#     organisation-wide only with a '*' grant; a report schedule runs from the scheduler tick.
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/orch.sh"
need dpkg-deb apt-ftparchive apt-get dpkg dpkg-query busybox jq
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts)"; exit 77; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -f "$T/srv.log" ] && { echo "--- server log"; tail -n 40 "$T/srv.log"; }; orch_cleanup; exit $rc' EXIT

orch_fleet 1 3
for h in $HOSTS; do eval "ID_$h=$(host_id "$h")"; done
ok "4 sandbox hosts enrolled (c1 canary, p1..p3 production)"

state_of() { # HOSTID [QUERY]: its compliance state (now or ?at=)
        api_ok GET "/v1/compliance/hosts?limit=1000${2:+&$2}" |
                jq -r --arg h "$1" '.hosts[] | select(.host == $h) | .state'
}
states() { # [QUERY]: "compliant=N noncompliant=N ..." of the summary
        api_ok GET "/v1/compliance${1:+?$1}" | jq -r '.total.states | to_entries |
                map(select(.value > 0) | "\(.key)=\(.value)") | join(" ")'
}
[ "$(states)" = "compliant=4" ] || fail "without a baseline: $(states), want compliant=4"
ok "no baseline: 4 compliant (no security update, no finding)"

api_ok POST /v1/accounts/default/baselines '{"name":"deb-all","family":"deb","selector":{},"rules":[{"classification":["security","bugfix","other"],"after_days":0}]}' > /dev/null
for h in $HOSTS; do agent_once "$h"; done
[ "$(states)" = "noncompliant=4" ] || fail "after the baseline: $(states)"
api_ok GET "/v1/compliance/hosts?state=noncompliant" > "$T/nc.json"
jq -e '[.hosts[] | select(.gaps == 2 and .missing.none == 2 and .baseline == "deb-all" and
        .level == "unspecified")] | length == 4' "$T/nc.json" > /dev/null ||
        { jq . "$T/nc.json"; fail "non-compliant hosts: gaps"; }
ok "baseline deb-all: at the next check-in 4 non-compliant, 2 approved updates missing each"
T1=$(date +%s)
sleep 1 # the changes below get later seconds than T1 (history has second resolution)

# ---- provider-patched ----
api_ok PUT "/v1/hosts/$ID_p3/tags" '{"tags":{"patched_by":"provider","service_model":"paas","version":"15.4","service":"db"}}' > /dev/null
agent_once p3
[ "$(state_of "$ID_p3")" = provider ] || fail "p3: $(state_of "$ID_p3"), want provider"
api_ok GET "/v1/compliance/hosts" | jq -e --arg h "$ID_p3" '.hosts[] | select(.host == $h) |
        .gaps == 0 and .service_model == "paas" and .version == "15.4"' > /dev/null ||
        fail "p3 is not tracked with its version and no gaps"
ok "p3 patched_by=provider: state provider, version 15.4 tracked, no gap"

# ---- patching with real jobs: c1 compliant, p2 pending reboot ----
mkdir -p "$T/p2.root/run" && echo '*** System restart required ***' > "$T/p2.root/run/reboot-required"
for h in c1 p2; do
        eval "id=\$ID_$h"
        api_ok POST "/v1/hosts/$id/jobs" '{"type":"install","params":{"packages":[{"name":"hello-fp","version":"2.0"},{"name":"hello-fp-conf","version":"1.1"}]}}' > "$T/job.json"
        agent_once "$h" # runs the job
        agent_once "$h" # the check-in with the new inventory
        [ "$(installed "$T/$h.root" hello-fp)" = 2.0 ] || fail "$h: hello-fp $(installed "$T/$h.root" hello-fp)"
done
[ "$(state_of "$ID_c1")" = compliant ] || fail "c1: $(state_of "$ID_c1"), want compliant"
[ "$(state_of "$ID_p2")" = pending_reboot ] || fail "p2: $(state_of "$ID_p2"), want pending_reboot"
ok "install jobs by the real agents: c1 compliant, p2 pending reboot (its root needs a reboot)"

# ---- catch-up: p1 reports a suspend (lifecycle event) ----
CRED=$(cat "$T/p1.state/credential" 2>/dev/null || cat "$T/p1.state/agent.credential")
SEQ=$(api_ok GET "/v1/hosts/$ID_p1" | jq .last_seq)
HASH=$(api_ok GET "/v1/hosts/$ID_p1" | jq -r .inventory_hash)
curl -sS --cacert "$CA" -H "Authorization: Bearer $CRED" -H 'Content-Type: application/json' \
        --data "{\"seq\":$((SEQ + 1)),\"inventory_hash\":\"$HASH\",\"lifecycle\":{\"events\":[{\"kind\":\"suspend\",\"at\":$(date +%s)}]}}" \
        "$URL/v1/agent/checkin" > "$T/ci.json" || fail "p1 suspend check-in"
api_ok GET "/v1/compliance/hosts" | jq -e --arg h "$ID_p1" '.hosts[] | select(.host == $h) |
        .state == "noncompliant" and .catchup == true' > /dev/null || fail "p1: not marked for catch-up"
ok "p1 suspended: marked for catch-up, still non-compliant (its gaps come first)"

# ---- summaries now and in the past ----
[ "$(states)" = "compliant=1 noncompliant=1 pending_reboot=1 provider=1" ] || fail "now: $(states)"
[ "$(states "at=$T1")" = "noncompliant=4" ] || fail "at T1: $(states "at=$T1"), want noncompliant=4"
[ "$(state_of "$ID_c1" "at=$T1")" = noncompliant ] || fail "c1 at T1"
api_ok GET "/v1/compliance?by=tag:ring" > "$T/ring.json"
jq -e '(.groups | map({(.key): .hosts}) | add) == {"canary": 1, "production": 3} and
       (.groups[] | select(.key == "canary") | .compliance_rate) == 100' "$T/ring.json" > /dev/null ||
        { jq . "$T/ring.json"; fail "by tag:ring"; }
api_ok GET "/v1/compliance?by=tag:ring&at=$T1" | jq -e '.groups[] | select(.key == "canary") |
        .states.noncompliant == 1' > /dev/null || fail "by tag:ring at T1"
api_ok GET "/v1/compliance?by=baseline" | jq -e '[.groups[].key] | index("deb-all") != null' > /dev/null ||
        fail "by baseline"
api_ok GET "/v1/compliance?by=service" | jq -e '.groups[] | select(.key == "db") | .hosts == 1' > /dev/null ||
        fail "by service"
api_ok GET "/v1/compliance?by=os" | jq -e '.groups[0].key == "debian:bookworm" and .groups[0].hosts == 4' > /dev/null ||
        fail "by os"
ok "summaries: now (1 compliant, 1 non-compliant, 1 pending reboot, 1 provider), at T1 (4 non-compliant), by tag:ring, baseline, service, os"
api_ok GET "/v1/compliance/history?step=1d" > "$T/hist.json"
jq -e '(.points | length) == 31 and (.points[-1].hosts == 4) and
       (.points[-1].states.compliant == 1) and (.points[-1].states.provider == 1) and
       (.points[0].hosts == 0)' "$T/hist.json" > /dev/null || { jq '.points[-1]' "$T/hist.json"; fail "history"; }
ok "history: 31 daily points, today's counts at the end, none before the fleet existed"

# ---- reports ----
api_ok GET "/v1/reports/compliance?format=json" > "$T/r.json"
api GET "/v1/reports/compliance?format=csv" > "$T/r.csv"
[ "$(cat "$T/http_status")" = 200 ] || fail "csv: HTTP $(cat "$T/http_status")"
jq -r '.hosts[] | "\(.host),\(.state),\(.gaps)"' "$T/r.json" | sort > "$T/from-json"
awk -F, 'NR > 1 { sub(/\r$/, ""); print $1 "," $10 "," $13 }' "$T/r.csv" | sort > "$T/from-csv"
cmp -s "$T/from-json" "$T/from-csv" || { diff "$T/from-json" "$T/from-csv"; fail "JSON and CSV reports disagree"; }
[ "$(wc -l < "$T/from-csv")" -eq 4 ] || fail "the CSV has $(wc -l < "$T/from-csv") hosts"
jq -e '.summary.hosts == 4 and .summary.compliant_hosts == 2 and .summary.compliance_rate == 50 and
       .scope == "organisation" and (.series | length) == 31' "$T/r.json" > /dev/null ||
        { jq '.summary' "$T/r.json"; fail "report summary"; }
curl -sS --cacert "$CA" -H "Authorization: Bearer $ADM" -D "$T/h" -o "$T/r.html" "$URL/v1/reports/compliance?format=html"
grep -qi '^content-type: text/html' "$T/h" || fail "html content type"
grep -q 'id="compliance-rate" data-value="50.0"' "$T/r.html" || fail "html rate"
! grep -Eq '<script|<link| src=|url\(' "$T/r.html" || fail "the HTML report loads something"
ok "report: JSON and CSV agree on every host's state and gaps; HTML is self-contained (rate 50.0)"

"$FLEETPATCH" report compliance --format csv --server "$URL" --token "$ADM" --cacert "$CA" -o "$T/cli.csv" ||
        fail "fleetpatch report compliance"
cmp -s "$T/cli.csv" "$T/r.csv" || { diff "$T/cli.csv" "$T/r.csv" | head; fail "the CLI's CSV is not the API's"; }
"$FLEETPATCH" compliance --at "$T1" --json --server "$URL" --token "$ADM" --cacert "$CA" > "$T/cli.json" ||
        fail "fleetpatch compliance --at"
jq -e '.total.states.noncompliant == 4' "$T/cli.json" > /dev/null || fail "fleetpatch compliance --at T1"
"$FLEETPATCH" compliance --by tag:ring --server "$URL" --token "$ADM" --cacert "$CA" > "$T/cli.txt" ||
        fail "fleetpatch compliance --by"
grep -q '^canary ' "$T/cli.txt" || { cat "$T/cli.txt"; fail "the CLI table has no canary row"; }
ok "CLI: report compliance --format csv gives the API's bytes; compliance --at T1 and --by tag:ring"

# ---- refusals ----
refused() { # QUERY CODE FIELD
        api GET "/v1/reports/compliance?$1" > /dev/null
        [ "$(cat "$T/http_status")" = 400 ] || fail "?$1: HTTP $(cat "$T/http_status"), want 400"
        [ "$(jq -r .error.code "$T/http_body") $(jq -r .error.field "$T/http_body")" = "$2 $3" ] ||
                { cat "$T/http_body"; fail "?$1: want $2 on $3"; }
}
refused "from=$(( $(date +%s) - 401 * 86400 ))" range_too_large from
refused "step=3600" range_too_large step
refused "from=2026-02-30x" invalid_request from
refused "to=tomorrow" invalid_request to
refused "format=pdf" invalid_request format
api GET "/v1/reports/compliance?from=$(( $(date +%s) - 400 * 86400 ))" > /dev/null
[ "$(cat "$T/http_status")" = 200 ] || fail "400 days: HTTP $(cat "$T/http_status")"
api GET "/v1/compliance?at=yesterday" > /dev/null; [ "$(cat "$T/http_status")" = 400 ] || fail "at=yesterday"
api GET "/v1/compliance?by=colour" > /dev/null; [ "$(cat "$T/http_status")" = 400 ] || fail "by=colour"
ok "refused with the field named: 401 days, a 1-hour step, bad dates, format pdf, at=yesterday, by=colour; 400 days accepted"

# ---- tenant scope ----
as "$VIEWER" GET "/v1/reports/compliance" > /dev/null; status_is 403 "viewer's organisation-wide report"
as "$VIEWER" GET "/v1/reports/compliance?account=default&format=csv" > /dev/null; status_is 200 "viewer's account report"
api_ok POST /v1/accounts '{"name":"other"}' > /dev/null
as "$VIEWER" GET "/v1/compliance?account=other" > /dev/null; status_is 404 "viewer on another account"
ok "an organisation-wide report needs a '*' grant; a viewer gets its account's; another account is 404"

# ---- a report schedule run by the scheduler ----
api_ok POST /v1/accounts/default/report-schedules "{\"name\":\"weekly\",\"format\":\"csv\",\"every_days\":7,\"range_days\":30,\"start\":\"$(date +%s)\"}" > /dev/null
ran() { api_ok GET /v1/accounts/default/report-schedules/weekly | jq -e '.last_run > 0' > /dev/null; }
wait_for "the schedule's run" ran
api_ok GET /v1/accounts/default/report-schedules/weekly > "$T/s.json"
jq -e '.last_error == "" and .next_run >= .last_run + 7 * 86400 - 5' "$T/s.json" > /dev/null ||
        { jq . "$T/s.json"; fail "the schedule's run"; }
ok "report schedule weekly: run by the scheduler tick (report.ready queued), next run a week on"
api POST /v1/accounts/default/report-schedules '{"name":"x","every_days":32}' > /dev/null; status_is 400 "every_days 32"
api POST /v1/accounts/default/report-schedules '{"name":"x","range_days":401}' > /dev/null; status_is 400 "range_days 401"
api POST /v1/accounts/default/report-schedules '{"name":"x","format":"pdf"}' > /dev/null; status_is 400 "format pdf"
i=2; while [ $i -le 50 ]; do
        api_ok POST /v1/accounts/default/report-schedules "{\"name\":\"s$i\",\"every_days\":31,\"range_days\":400}" > /dev/null
        i=$((i + 1))
done
api POST /v1/accounts/default/report-schedules '{"name":"s51"}' > /dev/null; status_is 400 "the 51st schedule"
jq -r .error.message "$T/http_body" | grep -q "FP_REPORT_MAX_SCHEDULES" || fail "the 51st schedule's message"
as "$VIEWER" POST /v1/accounts/default/report-schedules '{"name":"v"}' > /dev/null; status_is 403 "a viewer's schedule"
ok "schedules: every_days 31 and range_days 400 accepted, 32 and 401 refused; the 50th accepted, the 51st refused; a viewer may not create one"
CLI="--server $URL --token $ADM --cacert $CA"
# shellcheck disable=SC2086
"$FLEETPATCH" report schedules rm --account default s50 $CLI > /dev/null || fail "report schedules rm"
# shellcheck disable=SC2086
"$FLEETPATCH" report schedules create --account default monthly --format json --every 3 --range 10 --json $CLI > "$T/cs.json" ||
        fail "report schedules create"
jq -e '.name == "monthly" and .format == "json" and .every_days == 3 and .range_days == 10' "$T/cs.json" > /dev/null ||
        { cat "$T/cs.json"; fail "the CLI's schedule"; }
# shellcheck disable=SC2086
"$FLEETPATCH" report schedules ls --account default $CLI > "$T/cls.txt" || fail "report schedules ls"
grep -q '^monthly ' "$T/cls.txt" && ! grep -q '^s50 ' "$T/cls.txt" || { cat "$T/cls.txt"; fail "report schedules ls"; }
# shellcheck disable=SC2086
"$FLEETPATCH" report schedules create --account default x --every 0 $CLI > /dev/null 2>&1
[ $? -eq 2 ] || fail "--every 0: want exit 2"
# shellcheck disable=SC2086
"$FLEETPATCH" report schedules create --account default x --every 32 $CLI > /dev/null 2> "$T/e32.txt"
[ $? -eq 2 ] && grep -q '1\.\.31' "$T/e32.txt" || { cat "$T/e32.txt"; fail "--every 32: want exit 2 naming 1..31"; }
ok "CLI: report schedules rm, create (--every 3 --range 10), ls; --every 0 and 32 are usage errors"

# ---- an agentless provider-managed asset (registered by the tracking part) ----
api_ok POST /v1/accounts/default/assets '{"name":"orders-db","service_model":"paas","provider":"acme-cloud","product":"postgresql","version":"15.4"}' > "$T/asset.json"
ASSET=$(jq -r '.id // .host.id // .host_id' "$T/asset.json")
[ -n "$ASSET" ] && [ "$ASSET" != null ] || { cat "$T/asset.json"; fail "no asset id"; }
evaluated() { [ "$(state_of "$ASSET")" = provider ]; }
wait_for "the asset's evaluation by the scheduler tick" evaluated
api_ok GET "/v1/compliance/hosts?state=provider" | jq -e --arg h "$ASSET" '.hosts[] | select(.host == $h) |
        .version == "15.4" and .service_model == "paas" and .gaps == 0' > /dev/null || fail "the asset's record"
api_ok GET "/v1/reports/compliance?format=csv" | grep -q "^$ASSET,orders-db,.*,provider," || fail "the asset in the CSV report"
ok "agentless asset orders-db (paas): evaluated by the scheduler tick, provider-patched with its version 15.4, in the report"
echo "$PASSED passed"
