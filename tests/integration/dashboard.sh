#!/bin/sh
# The dashboard end to end (docs/dashboard.md): a real fleetpatchd and three real
# fleetpatch-agents on Debian sandbox roots (lib/orch.sh: c1 canary, p1 and p2 production,
# hello-fp 1.0 installed, 2.0 pending), a vulnerability database with a KEV finding on
# hello-fp 1.0, and Debian's headless Chromium driven by tests/browser/dashboard_test.js:
# sign in, overview, filter/sort hosts, a host's page, the fleet's vulnerabilities, windows,
# a change request created and submitted by one user (an approver, who cannot approve it)
# and approved by another, watched live until done; a viewer sees no buttons and the API
# refuses the viewer's approval (403). Afterwards this script checks the sandboxes really
# have hello-fp 2.0. Screenshots go to $FP_BUILD_ROOT/dashboard-screenshots/.
# Skips (77) without node, chromium or tests/browser/node_modules (scripts/deps.sh).
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/orch.sh"
need dpkg-deb apt-ftparchive apt-get dpkg dpkg-query busybox
command -v node > /dev/null 2>&1 || { echo "SKIP: node missing (scripts/deps.sh)"; exit 77; }
[ -x /usr/bin/chromium ] || { echo "SKIP: /usr/bin/chromium missing (scripts/deps.sh)"; exit 77; }
[ -d "$FP_SOURCE_ROOT/tests/browser/node_modules/playwright-core" ] ||
        { echo "SKIP: tests/browser/node_modules missing (scripts/deps.sh runs npm ci there)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts)"; exit 77; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -f "$T/srv.log" ] && { echo "--- server log"; tail -n 40 "$T/srv.log"; }; orch_cleanup; exit $rc' EXIT

# The vulnerability database before the hosts report: CVE-2014-0160 (in CISA KEV) fixed in
# hello-fp 2.0, so every host has one KEV finding until the change request installs 2.0.
mkdir -m 700 "$T/srv"
cat > "$T/hello-tracker.json" <<'J'
{"hello-fp": {"CVE-2014-0160": {"description": "a KEV entry on the test package",
  "releases": {"bookworm": {"status": "resolved", "repositories": {}, "fixed_version": "2.0",
                            "urgency": "high"}}}}}
J
FLEETPATCH_DB="$T/srv/vuln.db" "$FLEETPATCH" feeds import "$FP_SHARED_DATA/kev/known_exploited_vulnerabilities.json" \
        "$T/hello-tracker.json" > "$T/import" 2>&1 || { cat "$T/import"; fail "feeds import"; }

orch_fleet 1 2
# hosts in three time zones (the agent reads ROOT/etc/timezone): windows in local time and UTC
echo America/New_York > "$T/p1.root/etc/timezone"
echo Asia/Kathmandu > "$T/p2.root/etc/timezone"
agent_once p1
agent_once p2
ok "3 sandbox hosts enrolled (c1 canary UTC, p1 New York, p2 Kathmandu) with hello-fp 1.0 pending 2.0"
START=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:00)
api_ok POST /v1/accounts/default/windows "{\"name\":\"all-day\",\"mode\":\"absolute\",\"tz\":\"UTC\",\"rrule\":\"FREQ=DAILY\",\"start\":\"$START\",\"duration\":86400,\"cutoff\":3600}" > /dev/null
api_ok POST /v1/accounts/default/baselines '{"name":"deb-all","family":"deb","selector":{},"rules":[{"classification":["security","bugfix","other"],"after_days":0}]}' > /dev/null
# the author is an approver too: only authorship keeps them from approving their own request
api_ok POST /v1/users '{"name":"author","password":"correct horse battery","grants":[{"account":"default","role":"approver"}]}' > /dev/null
api_ok GET /v1/hosts/"$(host_id c1)" | jq -e '.kev == 1' > /dev/null || { api GET /v1/hosts/"$(host_id c1)"; fail "c1 has no KEV finding"; }
ok "window all-day, baseline deb-all, user author (approver); c1 counts one KEV finding"

orch_agents_start
SHOTS=${FP_BUILD_ROOT:-$T}/dashboard-screenshots
mkdir -p "$SHOTS"
HOSTS_JSON=$(for h in $HOSTS; do printf '"%s":"%s",' "$h" "$(host_id "$h")"; done)
PW='correct horse battery'
FP_URL=$URL FP_SHOTS=$SHOTS FP_HOSTS="{${HOSTS_JSON%,}}" \
FP_USERS="{\"author\":[\"author\",\"$PW\"],\"approver\":[\"approver\",\"$PW\"],\"viewer\":[\"viewer\",\"$PW\"]}" \
NODE_PATH="$FP_SOURCE_ROOT/tests/browser/node_modules" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
        sh -c 'node "$1"; echo $? > "$2"' sh "$FP_SOURCE_ROOT/tests/browser/dashboard_test.js" "$T/browser.rc" 2>&1 |
        tee "$T/browser.log"
rc=$(cat "$T/browser.rc")
[ $rc -eq 0 ] || fail "the browser test failed (exit $rc)"
ok "browser: $(tail -n 1 "$T/browser.log"); screenshots in $SHOTS"
orch_agents_stop

# What the dashboard showed is what happened on the hosts.
CR=$(api_ok GET /v1/change-requests | jq -r '.change_requests[] | select(.title == "hello 2.0 from the dashboard") | .id')
[ "$(cr_state "$CR")" = done ] || fail "change request $CR is $(cr_state "$CR")"
for h in $HOSTS; do
        [ "$(installed "$T/$h.root" hello-fp) $(installed "$T/$h.root" hello-fp-conf)" = "2.0 1.1" ] ||
                fail "$h has hello-fp $(installed "$T/$h.root" hello-fp) hello-fp-conf $(installed "$T/$h.root" hello-fp-conf)"
done
as "$VIEWER" POST "/v1/change-requests/$CR/approve" '{}' > /dev/null
status_is 403 "a viewer's approval by curl"
ok "change request $CR done: every sandbox has hello-fp 2.0 and hello-fp-conf 1.1; a viewer's approve is 403"
kill -0 "$SRV_PID" 2>/dev/null || fail "fleetpatchd died"
if grep -E "AddressSanitizer|runtime error" "$T/srv.log"; then fail "fleetpatchd logged an error"; fi
echo "$PASSED passed, 0 failed"
