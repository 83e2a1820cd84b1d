#!/bin/sh
# Tracking records end to end (docs/tracking.md): a real fleetpatchd over TLS (scheduler every
# second), a vulnerability database with CVE-2014-0160 (in CISA KEV) on hello-fp fixed in 2.0,
# and three real fleetpatch-agents on Debian sandbox roots driving real apt/dpkg (never this
# machine's packages): c1 (ring=canary), p1 and p2 (ring=production), hello-fp 1.0 installed.
#   - resolver rules set before the hosts report: production hosts' hello-* go to prod-team,
#     the rest to ops; the hosts enroll and one record per scope opens (prod-team: p1 p2, ops:
#     c1), each assigned by the rule; a viewer reads it but cannot assign (403), another
#     account's admin does not see it (404, empty list);
#   - a provider-managed asset (a managed database) is registered: listed with its service
#     model, provider and version, tagged patched_by=provider;
#   - a change request for p1 and p2 (created by the admin, approved by another user) is
#     linked to the prod-team record at once (in_progress);
#   - only p1's agent runs: p1 is patched and verified, the record stays in_progress with p2
#     as its one open host; then p2's agent runs: the rollout finishes and the record closes
#     with its evidence (both hosts, the rollout's job ids, verdict verified, inventory
#     hashes); the ops record (c1, never patched) stays open;
#   - the evidence bundle of the change request (fleetpatch evidence get) verifies offline
#     with STATE/keys/signing.pub (fleetpatch evidence verify, no server), has the approval,
#     the per-host jobs with logs and before/after versions (1.0 -> 2.0), the closed record;
#     after one changed byte (at several places) it does not verify;
#   - c1 tagged patched_by=provider: the ops record closes (the provider's responsibility);
#   - p1 downgraded to hello-fp 1.0 by apt: the prod-team record re-opens.
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/orch.sh"
need dpkg-deb apt-ftparchive apt-get dpkg dpkg-query busybox python3
[ -n "${FLEETPATCH:-}" ] && [ -x "$FLEETPATCH" ] || { echo "SKIP: fleetpatch not built"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts)"; exit 77; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -f "$T/srv.log" ] && { echo "--- server log"; tail -n 40 "$T/srv.log"; }; orch_cleanup; exit $rc' EXIT
CVE=CVE-2014-0160

# ---- the vulnerability database, then the fleet (lib/orch.sh's, with rules before check-in) ----
mkdir -m 700 "$T/srv"
cat > "$T/hello-tracker.json" <<'J'
{"hello-fp": {"CVE-2014-0160": {"description": "a KEV entry on the test package",
  "releases": {"bookworm": {"status": "resolved", "repositories": {}, "fixed_version": "2.0",
                            "urgency": "high"}}}}}
J
FLEETPATCH_DB="$T/srv/vuln.db" "$FLEETPATCH" feeds import "$FP_SHARED_DATA/kev/known_exploited_vulnerabilities.json" \
        "$T/hello-tracker.json" > "$T/import" 2>&1 || { cat "$T/import"; fail "feeds import"; }
debrepo_build "$T/d" || fail "debrepo_build"
HOSTS="c1 p1 p2"
n=0
for h in $HOSTS; do
        n=$((n + 1))
        R=$T/$h.root
        debroot_new "$R" "$T/d/repo" || fail "debroot_new $h"
        printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian sandbox %s"\n' "$h" > "$R/etc/os-release"
        printf '%032x\n' $((0x7a000000 + n)) > "$R/etc/machine-id"
        # shellcheck disable=SC2046
        { apt-get $(debroot_apt_opts "$R") -qq update && apt-get $(debroot_apt_opts "$R") -qq -y install hello-fp=1.0 hello-fp-conf=1.0; } \
                > "$T/$h.apt.log" 2>&1 || { cat "$T/$h.apt.log"; fail "apt-get in $h"; }
        mkdir "$T/$h.hooks" && chmod 755 "$T/$h.hooks"
done
srv_start "$T/srv" "$T/srv.log" --port 0 --scheduler-interval 1
RULES='{"rules":[{"name":"prod hello","tags":{"ring":"production"},"packages":["hello-*"],"group":"prod-team"}],"default":"ops"}'
api_ok PUT /v1/accounts/default/resolver-rules "$RULES" > /dev/null
api_ok GET /v1/accounts/default/resolver-rules | jq -e '.default == "ops" and .rules[0].group == "prod-team"' > /dev/null ||
        fail "resolver rules as stored"
api PUT /v1/accounts/default/resolver-rules '{"rules":[{"tags":{"ring":"x"}}]}' > /dev/null
status_is 400 "a rule without a group"
[ "$(jq -r .error.field "$T/http_body")" = "rules[0].group" ] || fail "the bad rule's field: $(cat "$T/http_body")"
enroll_token "$T/tok-canary" '{"uses":10,"tags":{"ring":"canary"}}'
enroll_token "$T/tok-production" '{"uses":10,"tags":{"ring":"production"}}'
for h in $HOSTS; do
        case $h in c*) tok=$T/tok-canary ;; *) tok=$T/tok-production ;; esac
        agent_conf "$h" "$T/$h.root" "$tok" "lock_wait = 60
hooks_dir = $T/$h.hooks"
        agent_once "$h"
        [ -s "$T/$h.state/host_id" ] || fail "$h did not enroll"
done
for u in approver viewer; do
        api_ok POST /v1/users "{\"name\":\"$u\",\"password\":\"correct horse battery\",\"grants\":[{\"account\":\"default\",\"role\":\"$u\"}]}" > /dev/null
done
APPROVER=$(api_ok POST /v1/auth/login '{"user":"approver","password":"correct horse battery"}' | jq -r .token)
VIEWER=$(api_ok POST /v1/auth/login '{"user":"viewer","password":"correct horse battery"}' | jq -r .token)
ID_c1=$(host_id c1) ID_p1=$(host_id p1) ID_p2=$(host_id p2)
ok "3 sandbox hosts with hello-fp 1.0 enrolled after the resolver rules (a rule without a group is refused: 400 rules[0].group)"

# ---- the records the check-ins opened ----
api_ok GET "/v1/tracking?advisory=$CVE" > "$T/list.json"
[ "$(jq '.tracking | length' "$T/list.json")" = 2 ] || { jq . "$T/list.json"; fail "want 2 records of $CVE"; }
PROD=$(jq -r '.tracking[] | select(.group == "prod-team") | .id' "$T/list.json")
OPS=$(jq -r '.tracking[] | select(.group == "ops") | .id' "$T/list.json")
[ -n "$PROD" ] && [ -n "$OPS" ] || { jq . "$T/list.json"; fail "no prod-team or ops record"; }
rec() { api_ok GET "/v1/tracking/$1" > "$T/rec.json"; }
open_hosts() { rec "$1"; jq -r '[.exposures[].host] | sort | join(" ")' "$T/rec.json"; }
rec "$PROD"
jq -e --arg cve "$CVE" '.state == "open" and .scope == "prod-team" and .vuln == $cve and .kev == true
       and .open_hosts == 2 and .history[0].action == "opened"' "$T/rec.json" > /dev/null ||
        { jq . "$T/rec.json"; fail "the prod-team record"; }
[ "$(open_hosts "$PROD")" = "$(printf '%s\n' "$ID_p1" "$ID_p2" | sort | paste -sd' ')" ] || fail "prod-team's hosts: $(open_hosts "$PROD")"
[ "$(open_hosts "$OPS")" = "$ID_c1" ] || fail "ops's hosts: $(open_hosts "$OPS")"
api_ok GET /v1/accounts/default/exposures?since=0 | jq -e --arg cve "$CVE" \
        '[.exposures[] | select(.vuln == $cve and .package == "hello-fp" and .fixed_at == 0 and .first_seen > 0)] | length == 3' > /dev/null ||
        fail "the exposures history does not have 3 open exposures"
ok "$CVE opened record $PROD (rule: prod-team, p1 p2) and $OPS (default: ops, c1); 3 open exposures in the history"

as "$VIEWER" GET "/v1/tracking/$PROD" > /dev/null
status_is 200 "a viewer reads the record"
as "$VIEWER" POST "/v1/tracking/$PROD/assign" '{"group":"other"}' > /dev/null
status_is 403 "a viewer assigns"
api_ok POST /v1/accounts '{"name":"other"}' > /dev/null
api_ok POST /v1/users '{"name":"other-admin","password":"correct horse battery","grants":[{"account":"other","role":"admin"}]}' > /dev/null
OTHER=$(api_ok POST /v1/auth/login '{"user":"other-admin","password":"correct horse battery"}' | jq -r .token)
as "$OTHER" GET "/v1/tracking/$PROD" > /dev/null
status_is 404 "another account's admin reads the record"
[ "$(as "$OTHER" GET /v1/tracking | jq '.tracking | length')" = 0 ] || fail "another account's admin lists records"
as "$OTHER" POST "/v1/tracking/$PROD/comment" '{"text":"mine now"}' > /dev/null
status_is 404 "another account's admin comments"
long=$(head -c 4096 /dev/zero | tr '\0' c)
api POST "/v1/tracking/$OPS/comment" "{\"text\":\"${long}c\"}" > /dev/null
status_is 400 "a comment one byte past FP_MAX_TRACK_COMMENT"
api_ok POST "/v1/tracking/$OPS/comment" "{\"text\":\"$long\"}" > /dev/null
api_ok POST "/v1/tracking/$OPS/comment" '{"text":"canary only, patched next month"}' > /dev/null
FLEETPATCH_SERVER=$URL FLEETPATCH_TOKEN=$ADM FLEETPATCH_CACERT=$CA; export FLEETPATCH_SERVER FLEETPATCH_TOKEN FLEETPATCH_CACERT
"$FLEETPATCH" tracking assign "$OPS" --group platform --assignee admin > "$T/assign.out" || fail "tracking assign"
rec "$OPS"
jq -e '.group == "platform" and .assignee == "admin" and .scope == "ops" and
       ([.history[].action] == ["opened", "comment", "comment", "assigned"]) and
       (.history[1].detail.text | length == 4096)' "$T/rec.json" > /dev/null ||
        { jq . "$T/rec.json"; fail "ops after comment and assign"; }
"$FLEETPATCH" tracking ls --advisory "$CVE" > "$T/ls.out" || fail "tracking ls"
grep -q "prod-team" "$T/ls.out" && grep -q "platform" "$T/ls.out" || { cat "$T/ls.out"; fail "tracking ls output"; }
ok "a viewer reads but cannot assign (403); other's admin sees nothing (404, empty list); comments (4096 bytes; one more: 400) and CLI assign in the history"

# ---- shared responsibility: a provider-managed asset ----
"$FLEETPATCH" assets add default --name orders-db --model paas --provider aws --product rds-postgresql \
        --version 15.4 > "$T/asset.id" || fail "assets add"
api POST /v1/accounts/default/assets '{"name":"orders-db","service_model":"paas","provider":"aws","product":"x","version":"1"}' > /dev/null
status_is 409 "the same asset again"
api POST /v1/accounts/default/assets '{"name":"x","service_model":"onprem","provider":"aws","product":"x","version":"1"}' > /dev/null
status_is 400 "an unknown service model"
p128=$(head -c 128 /dev/zero | tr '\0' p)
api POST /v1/accounts/default/assets "{\"name\":\"big\",\"service_model\":\"saas\",\"provider\":\"x\",\"product\":\"${p128}p\",\"version\":\"1\"}" > /dev/null
status_is 400 "a product one byte past FP_MAX_ASSET_TEXT"
api_ok POST /v1/accounts/default/assets "{\"name\":\"big\",\"service_model\":\"saas\",\"provider\":\"x\",\"product\":\"$p128\",\"version\":\"1\"}" > /dev/null
api_ok GET /v1/accounts/default/assets | jq -e '.assets[] | select(.name == "orders-db") |
        .service_model == "paas" and .patched_by == "provider" and .provider == "aws" and
        .product == "rds-postgresql" and .version == "15.4" and .layers.os == "provider" and
        .layers.application == "customer" and .agent == false' > /dev/null ||
        { api GET /v1/accounts/default/assets; fail "the asset as listed"; }
api_ok GET "/v1/hosts/$(cat "$T/asset.id")" | jq -e '.tags.patched_by == "provider" and .tags.service_model == "paas"' > /dev/null ||
        fail "the asset's host record tags"
ok "provider-managed asset orders-db (paas, aws rds-postgresql 15.4) listed as patched by its provider; a product of 128 bytes is taken, 129 refused"

# ---- the change request: linked at once ----
START=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:00)
api_ok POST /v1/accounts/default/windows "{\"name\":\"all-day\",\"mode\":\"absolute\",\"tz\":\"UTC\",\"rrule\":\"FREQ=DAILY\",\"start\":\"$START\",\"duration\":86400,\"cutoff\":3600}" > /dev/null
api_ok POST /v1/accounts/default/baselines '{"name":"deb-all","family":"deb","selector":{},"rules":[{"classification":["security","bugfix","other"],"after_days":0}]}' > /dev/null
api_ok POST /v1/change-requests "{\"account\":\"default\",\"title\":\"fix $CVE\",\"baseline\":\"deb-all\",\"window\":\"all-day\",
 \"targets\":{\"hosts\":[\"$ID_p1\",\"$ID_p2\"]},
 \"rollout\":{\"rings\":[{\"name\":\"all\",\"tags\":{}}],\"waves\":[\"100%\"],\"error_budget\":\"0\",\"on_failure\":\"rollback-host\",\"host_time\":600}}" > "$T/cr.json"
CR=$(jq -r .id "$T/cr.json")
jq -e '.update_set.hosts == 2' "$T/cr.json" > /dev/null || { jq . "$T/cr.json"; fail "the change request"; }
rec "$PROD"
jq -e --arg cr "$CR" '.state == "in_progress" and .change_requests[0].id == $cr and
       any(.history[]; .action == "linked" and .detail.change_request == $cr)' "$T/rec.json" > /dev/null ||
        { jq . "$T/rec.json"; fail "prod-team after the change request"; }
rec "$OPS"
[ "$(jq -r '.state + " " + (.change_requests | length | tostring)' "$T/rec.json")" = "open 0" ] || fail "ops got linked"
api_ok POST "/v1/change-requests/$CR/submit" '{}' > /dev/null
as "$APPROVER" POST "/v1/change-requests/$CR/approve" '{"comment":"fixes a KEV"}' > /dev/null
status_is 200 "approval by the approver"
ok "change request $CR (p1 p2) linked to $PROD at creation (in_progress), not to $OPS; approved by another user"

# ---- only p1's agent runs: the record stays open for p2 ----
HOSTS=p1
orch_agents_start
p1_done() { [ "$(ro_hstate "$CR" "$ID_p1")" = succeeded ]; }
wait_for "p1 to be patched" p1_done
p1_fixed() { rec "$PROD"; jq -e --arg h "$ID_p1" 'any(.covered[]; .host == $h and .fixed_at > 0)' "$T/rec.json" > /dev/null; }
wait_for "p1's inventory to show the fix" p1_fixed
orch_agents_stop
[ "$(installed "$T/p1.root" hello-fp) $(installed "$T/p2.root" hello-fp)" = "2.0 1.0" ] || fail "p1/p2 hello-fp versions"
rec "$PROD"
jq -e --arg h "$ID_p2" '.state == "in_progress" and .open_hosts == 1 and .exposures[0].host == $h and .closed == 0
       and .evidence == null' "$T/rec.json" > /dev/null || { jq . "$T/rec.json"; fail "prod-team with p2 unpatched"; }
[ "$(ro_hstate "$CR" "$ID_p2")" != succeeded ] || fail "p2 succeeded without its agent"
ok "p1 patched by the rollout (verified); $PROD stays in_progress with p2 its one open host"

# ---- p2's agent runs: closed with the evidence ----
HOSTS="p1 p2"
orch_agents_start
cr_final() { case $(cr_state "$CR") in done|failed|rolled_back|cancelled) return 0 ;; esac; return 1; }
wait_for "the change request to finish" cr_final
[ "$(cr_state "$CR")" = done ] || fail "the change request ended $(cr_state "$CR")"
closed() { rec "$PROD"; [ "$(jq -r .state "$T/rec.json")" = closed ]; }
wait_for "$PROD to close" closed
orch_agents_stop
ro_get "$CR"
J1=$(jq -r --arg h "$ID_p1" '.hosts[] | select(.host == $h) | .job' "$T/ro.json")
J2=$(jq -r --arg h "$ID_p2" '.hosts[] | select(.host == $h) | .job' "$T/ro.json")
rec "$PROD"
jq -e --arg j1 "$J1" --arg j2 "$J2" --arg cr "$CR" '.closed > 0 and .open_hosts == 0 and
       (.evidence.hosts | length == 2) and all(.evidence.hosts[]; .verdict == "fixed" and
       .job_verdict == "verified" and .fixed_at > 0 and (.inventory_hash | length == 64)) and
       ([.evidence.hosts[].job] | sort) == ([$j1, $j2] | sort) and .evidence.change_requests == [$cr] and
       .history[-1].action == "closed"' "$T/rec.json" > /dev/null || { jq . "$T/rec.json"; fail "the closed record"; }
rec "$OPS"
[ "$(jq -r '.state + " " + (.open_hosts | tostring)' "$T/rec.json")" = "open 1" ] || { jq . "$T/rec.json"; fail "ops is not open with c1"; }
"$FLEETPATCH" tracking show "$PROD" > "$T/show.out" || fail "tracking show"
grep -q "closed" "$T/show.out" || { cat "$T/show.out"; fail "tracking show output"; }
ok "p2 patched: $PROD closed with evidence (jobs $J1 $J2 verified, inventory hashes); $OPS (c1) stays open"

# the system's record changes are in the audit log, which verifies
api_ok GET "/v1/audit?account=default&actor=system:tracking&limit=1000" | jq -e --arg p "$PROD" --arg o "$OPS" \
        '([.entries[] | select(.target == $p) | .action] | index("tracking.closed") != null and index("tracking.opened") != null
          and index("tracking.in_progress") != null) and any(.entries[]; .target == $o and .action == "tracking.opened")' > /dev/null ||
        { api GET "/v1/audit?account=default&actor=system:tracking&limit=1000"; fail "tracking in the audit log"; }
api_ok GET "/v1/audit/verify?full=true" | jq -e '.ok == true' > /dev/null || fail "the audit log does not verify"
ok "the records' system changes (opened, in_progress, closed) are in the audit log, which verifies"

# ---- the evidence bundle, verified offline ----
"$FLEETPATCH" evidence get "$CR" -o "$T/evidence.json" || fail "evidence get"
PUB=$T/srv/keys/signing.pub
env -u FLEETPATCH_SERVER -u FLEETPATCH_TOKEN -u FLEETPATCH_CACERT FLEETPATCH_CLI_CONFIG=$T/none \
        "$FLEETPATCH" evidence verify "$T/evidence.json" --key "$PUB" > "$T/verify.out" 2>&1 ||
        { cat "$T/verify.out"; fail "the bundle does not verify"; }
jq -e --arg cr "$CR" --arg prod "$PROD" '.format == "fleetpatch-evidence/1" and .change_request.id == $cr and
       .change_request.state == "done" and any(.approvals[]; .user == "approver" and .decision == "approve") and
       (.update_set | length == 4) and (.hosts | length == 2) and
       all(.hosts[]; (.jobs | length >= 1) and .jobs[0].verdict == "verified" and (.jobs[0].log | length > 0) and
           .jobs[0].inventory.before.packages["hello-fp/all"] == "1.0" and
           .jobs[0].inventory.after.packages["hello-fp/all"] == "2.0" and
           (.jobs[0].inventory.before.hash | length == 64) and (.jobs[0].inventory.after.hash | length == 64) and
           .jobs[0].inventory.before.hash != .jobs[0].inventory.after.hash) and
       any(.tracking[]; .id == $prod and .state == "closed") and .signature.alg == "ed25519"' "$T/evidence.json" > /dev/null ||
        { jq . "$T/evidence.json" | head -c 6000; fail "the bundle's content"; }
SIZE=$(wc -c < "$T/evidence.json")
for at in 0 1 $((SIZE / 3)) $((SIZE / 2)) $((SIZE - 40)) $((SIZE - 2)) $((SIZE - 1)); do
        python3 - "$T/evidence.json" "$T/tampered.json" "$at" <<'P'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
i = int(sys.argv[3])
data[i] = ord("x") if data[i] != ord("x") else ord("y")
open(sys.argv[2], "wb").write(data)
P
        "$FLEETPATCH" evidence verify "$T/tampered.json" --key "$PUB" > "$T/tverify.out" 2>&1
        rc=$?
        [ $rc -eq 1 ] || { cat "$T/tverify.out"; fail "verify with byte $at changed: exit $rc, want 1"; }
        grep -q "NOT VERIFIED" "$T/tverify.out" || { cat "$T/tverify.out"; fail "no reason for byte $at"; }
done
head -c $((SIZE - 1)) "$T/evidence.json" > "$T/tampered.json"
"$FLEETPATCH" evidence verify "$T/tampered.json" --key "$PUB" > /dev/null 2>&1 && fail "a truncated bundle verifies"
ok "evidence bundle of $CR ($SIZE bytes) verifies offline with signing.pub; approval, jobs with logs, hello-fp 1.0 -> 2.0 per host, $PROD closed; one changed byte (7 places) or truncation: NOT VERIFIED"

# ---- c1 becomes its provider's to patch: no gap left in ops ----
api_ok PUT "/v1/hosts/$ID_c1/tags" '{"tags":{"service_model":"paas","patched_by":"provider"}}' > /dev/null
rec "$OPS"
jq -e --arg h "$ID_c1" '.state == "closed" and .open_hosts == 0 and .provider_responsibility[0].host == $h and
       .evidence.provider_patched == 1 and .evidence.hosts[0].verdict == "provider"' "$T/rec.json" > /dev/null ||
        { jq . "$T/rec.json"; fail "ops after c1 became provider-patched"; }
ok "c1 tagged patched_by=provider: $OPS closes with c1 as the provider's responsibility, not a gap"

# ---- it applies again: re-opened ----
# shellcheck disable=SC2046
apt-get $(debroot_apt_opts "$T/p1.root") -qq -y --allow-downgrades install hello-fp=1.0 > "$T/p1.down.log" 2>&1 ||
        { cat "$T/p1.down.log"; fail "downgrade p1"; }
agent_once p1
rec "$PROD"
jq -e --arg h "$ID_p1" '.state == "open" and .closed == 0 and .open_hosts == 1 and .exposures[0].host == $h and
       .history[-1].action == "reopened"' "$T/rec.json" > /dev/null ||
        { jq . "$T/rec.json"; fail "prod-team after p1 got 1.0 back"; }
ok "p1 downgraded to hello-fp 1.0: $PROD re-opened (a new cycle: the earlier change request does not count)"

kill -0 "$SRV_PID" 2>/dev/null || fail "fleetpatchd died"
srv_stop # a sanitizer build reports leaks at exit
if grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/srv.log"; then fail "fleetpatchd logged an error"; fi
echo "$PASSED passed, 0 failed"
