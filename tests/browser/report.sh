#!/bin/sh
# The compliance report's HTML in headless Chromium (docs/compliance.md "Reports"): a real
# fleetpatchd with a vulnerability database (a KEV finding on hello-fp 1.0, fixed in 2.0) and
# two real agents on Debian sandbox roots (lib/orch.sh); a baseline makes both non-compliant,
# an install job by c1's agent fixes c1 (a remediation for the MTTR). The report is fetched as
# JSON and HTML in one second's state, and tests/browser/report_test.js compares the numbers
# the rendered page shows with the JSON. Screenshot: $FP_BUILD_ROOT/comply-report.png.
# Skips (77) only without chromium, node or tests/browser/node_modules (scripts/deps.sh).
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/orch.sh"
[ -x /usr/bin/chromium ] || { echo "SKIP: /usr/bin/chromium missing (scripts/deps.sh)"; exit 77; }
command -v node > /dev/null 2>&1 || { echo "SKIP: node missing (scripts/deps.sh)"; exit 77; }
[ -d "$FP_SOURCE_ROOT/tests/browser/node_modules/playwright-core" ] ||
        { echo "SKIP: tests/browser/node_modules missing (scripts/deps.sh runs npm ci there)"; exit 77; }
need dpkg-deb apt-ftparchive apt-get dpkg dpkg-query busybox jq
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts)"; exit 77; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -f "$T/srv.log" ] && { echo "--- server log"; tail -n 40 "$T/srv.log"; }; orch_cleanup; exit $rc' EXIT

mkdir -m 700 "$T/srv"
cat > "$T/hello-tracker.json" <<'J'
{"hello-fp": {"CVE-2014-0160": {"description": "a KEV entry on the test package",
  "releases": {"bookworm": {"status": "resolved", "repositories": {}, "fixed_version": "2.0",
                            "urgency": "high"}}}}}
J
FLEETPATCH_DB="$T/srv/vuln.db" "$FLEETPATCH" feeds import "$FP_SHARED_DATA/kev/known_exploited_vulnerabilities.json" \
        "$T/hello-tracker.json" > "$T/import" 2>&1 || { cat "$T/import"; fail "feeds import"; }
orch_fleet 1 1
api_ok POST /v1/accounts/default/baselines '{"name":"deb-all","family":"deb","selector":{},"rules":[{"classification":["security","bugfix","other"],"after_days":0}]}' > /dev/null
for h in $HOSTS; do agent_once "$h"; done
api_ok POST "/v1/hosts/$(host_id c1)/jobs" '{"type":"install","params":{"packages":[{"name":"hello-fp","version":"2.0"},{"name":"hello-fp-conf","version":"1.1"}]}}' > /dev/null
agent_once c1
agent_once c1
api_ok GET /v1/compliance > "$T/sum.json"
jq -e '.total.states.compliant == 1 and .total.states.noncompliant == 1 and .total.kev_hosts == 1' "$T/sum.json" > /dev/null ||
        { jq . "$T/sum.json"; fail "the fleet: want c1 compliant, p1 non-compliant with a KEV finding"; }
ok "2 real agents: c1 patched (compliant), p1 non-compliant with a KEV finding"
# JSON and HTML of the same state: fetched again until two JSON reports around the HTML agree
# on everything but the generation time
for _try in 1 2 3 4 5; do
        api_ok GET "/v1/reports/compliance?format=json" | jq -S 'del(.generated)' > "$T/a.json"
        curl -sS --cacert "$CA" -H "Authorization: Bearer $ADM" -o "$T/report.html" "$URL/v1/reports/compliance?format=html"
        api_ok GET "/v1/reports/compliance?format=json" | jq -S 'del(.generated)' > "$T/report.json"
        cmp -s "$T/a.json" "$T/report.json" && break
done
cmp -s "$T/a.json" "$T/report.json" || fail "the report did not hold still"
SHOT=${FP_BUILD_ROOT:-$T}/comply-report.png
(cd "$FP_SOURCE_ROOT/tests/browser" && node report_test.js "$T/report.html" "$T/report.json" "$SHOT") ||
        fail "report_test.js"
ok "the rendered report shows the API's numbers (screenshot $SHOT)"
echo "$PASSED passed"
