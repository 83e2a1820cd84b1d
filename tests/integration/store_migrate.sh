#!/bin/sh
# A SQLite deployment moved to PostgreSQL and back, with nothing lost (tests/tools/with_pg.sh
# provides the cluster). A real fleetpatchd on its default SQLite store gets a real history:
# three Debian sandbox hosts enrolled by real agents, users, a baseline, a window, a change
# request approved and rolled out (jobs, results, audit entries). Then, with the server
# stopped:
#   - `fleetpatchd copy` SQLite -> PostgreSQL reports every table equal, and the two stores'
#     exports are the same byte for byte (after the header line, which names the engine);
#   - the server started on PostgreSQL with the same state directory (the SQLite file moved
#     away) answers every listing as before, logs users in with their old passwords, accepts
#     the old agents' credentials, verifies the audit chain, and takes new writes whose ids
#     follow the copied ones (the identity sequences were advanced);
#   - PostgreSQL -> a new SQLite file and its export equal the PostgreSQL export;
#   - a copy into a store that is not empty, and an import of a dump with one row altered or
#     cut short, are refused with the reason (and the line), and nothing is written.
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/orch.sh"
need dpkg-deb apt-ftparchive apt-get dpkg dpkg-query busybox jq cmp
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts)"; exit 77; }
[ -n "${FP_TEST_PG:-}" ] || { echo "SKIP: run under tests/tools/with_pg.sh (FP_TEST_PG unset)"; exit 77; }
PSQL="$FP_TEST_PG_BIN/psql"
cleanup() {
        rc=$?
        [ $rc -ne 0 ] && [ -f "$T/srv.log" ] && { echo "--- srv.log"; tail -n 30 "$T/srv.log"; }
        orch_cleanup
        exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

db_url() { printf '%s' "$FP_TEST_PG" | sed "s|^postgresql:///postgres?|postgresql:///$1?|"; }
for d in fleet busy bad; do "$PSQL" "$FP_TEST_PG" -qc "CREATE DATABASE $d" || fail "CREATE DATABASE $d"; done
PG=$(db_url fleet)
sql() { "$PSQL" "$1" -Atc "$2"; }
# rows DBURL: "table count" of every table of the public schema (what a refusal must not change)
rows() {
        for _t in $(sql "$1" "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"); do
                printf '%s %s\n' "$_t" "$(sql "$1" "SELECT count(*) FROM \"$_t\"")"
        done
}
fpd() { "$FLEETPATCHD" "$@" > "$T/fpd.out" 2> "$T/fpd.err"; }

# ---- a SQLite deployment with a history ----
orch_fleet 1 2
SQ=$T/srv/fleetpatch.db
[ -s "$SQ" ] || fail "the server did not make its SQLite store $SQ"
api_ok POST /v1/accounts/default/baselines '{"name":"deb-all","family":"deb","rules":[{"classification":["security","bugfix","other"],"after_days":0}]}' > /dev/null
api_ok POST /v1/accounts/default/windows '{"name":"sundays","mode":"absolute","tz":"Europe/Paris","rrule":"FREQ=WEEKLY;BYDAY=SU","start":"2026-01-04T02:00:00","duration":7200,"cutoff":1800}' > /dev/null
CR=$(api_ok POST /v1/change-requests '{"account":"default","title":"hello 2.0","baseline":"deb-all","rollout":{"max_concurrent":3,"host_time":600,"error_budget":"0"}}' | jq -r .id)
api_ok POST "/v1/change-requests/$CR/submit" '{}' > /dev/null
as "$APPROVER" POST "/v1/change-requests/$CR/approve" '{}' > /dev/null
status_is 200 "approval"
orch_agents_start
final() { case $(cr_state "$CR") in done|failed|rolled_back|cancelled) return 0 ;; esac; return 1; }
wait_for "the change request to finish" final
orch_agents_stop
orch_patched_once "$CR"
ok "SQLite deployment: 3 hosts enrolled by real agents, users, a baseline, change request $CR rolled out"

# What every listing answers: compared after the move.
snapshot() { # OUT_DIR
        mkdir -p "$1"
        for p in /v1/hosts /v1/users /v1/tokens /v1/change-requests "/v1/change-requests/$CR" \
                 "/v1/change-requests/$CR/rollout" /v1/audit /v1/summary /v1/accounts \
                 /v1/accounts/default/baselines /v1/accounts/default/windows \
                 /v1/compliance/hosts /v1/tracking /v1/vulns; do
                api_ok GET "$p" > "$T/snap.json" # not in a pipeline: its fail must end the test
                # compliance answers "as of now": its "at" is the time of the request
                jq -S 'del(.at?)' "$T/snap.json" > "$1/$(printf '%s' "$p" | tr '/' '_').json" ||
                        fail "GET $p: not JSON"
        done
        for h in $HOSTS; do
                _id=$(host_id "$h")
                for _w in "" /jobs /packages /updates; do
                        api_ok GET "/v1/hosts/$_id$_w" > "$T/snap.json"
                        jq -S . "$T/snap.json" > "$1/host_$h$(printf '%s' "$_w" | tr '/' '_').json" ||
                                fail "GET /v1/hosts/$_id$_w: not JSON"
                done
        done
}
snapshot "$T/before"
[ "$(jq '.hosts | length' "$T/before/_v1_hosts.json")" = 3 ] || fail "the snapshot does not hold the 3 hosts"
[ "$(api_ok GET /v1/audit/verify | jq -r .ok)" = true ] || fail "the audit log does not verify before the move"
srv_stop

# ---- SQLite -> PostgreSQL ----
fpd export --store "$SQ" --out "$T/sqlite.dump" || { cat "$T/fpd.err"; fail "export of the SQLite store"; }
[ "$(stat -c %a "$T/sqlite.dump")" = 600 ] || fail "the dump (password and token hashes) is not 0600"
fpd copy --from "sqlite:$SQ" --to "$PG" || { cat "$T/fpd.out" "$T/fpd.err"; fail "copy SQLite -> PostgreSQL"; }
grep -q 'every table equal$' "$T/fpd.out" || { cat "$T/fpd.out"; fail "the copy report does not say every table equal"; }
ntab=$(sed -n 's/^\([0-9]*\) tables, [0-9]* rows: every table equal$/\1/p' "$T/fpd.out")
nrows=$(sed -n 's/^[0-9]* tables, \([0-9]*\) rows: every table equal$/\1/p' "$T/fpd.out")
[ "$ntab" -ge 20 ] && [ "$nrows" -ge 50 ] || { cat "$T/fpd.out"; fail "the copy moved only $ntab tables, $nrows rows"; }
grep -q 'into postgresql' "$T/fpd.err" || { cat "$T/fpd.err"; fail "copy did not name the target engine"; }
fpd export --store "$PG" --out "$T/pg.dump" || { cat "$T/fpd.err"; fail "export of the PostgreSQL store"; }
head -n 1 "$T/pg.dump" | jq -e '.engine == "postgresql"' > /dev/null || fail "the PostgreSQL dump's header: $(head -n 1 "$T/pg.dump")"
tail -n +2 "$T/sqlite.dump" > "$T/a" && tail -n +2 "$T/pg.dump" > "$T/b"
cmp "$T/a" "$T/b" || fail "the PostgreSQL store's export differs from the SQLite one"
ok "copy SQLite -> PostgreSQL: $ntab tables, $nrows rows, every table equal; both exports identical after the header"

# Into a store that is not empty: refused, nothing written.
fpd copy --from "sqlite:$SQ" --to "$PG"; rc=$?
[ $rc = 1 ] || { cat "$T/fpd.out" "$T/fpd.err"; fail "a copy into a non-empty store exited $rc, want 1"; }
grep -qi 'not empty' "$T/fpd.err" || { cat "$T/fpd.err"; fail "the refusal does not say the target is not empty"; }
why=$(head -c 160 "$T/fpd.err")
fpd export --store "$PG" --out "$T/pg2.dump" && cmp -s "$T/pg.dump" "$T/pg2.dump" ||
        fail "the refused copy changed the PostgreSQL store"
ok "a second copy into the now non-empty PostgreSQL store is refused ($why); the store unchanged"

# ---- the server on PostgreSQL, the same state directory ----
mv "$SQ" "$T/moved-away.db"
rm -f "$SQ-wal" "$SQ-shm"
srv_start "$T/srv" "$T/srv.log" --port 0 --scheduler-interval 1 --store "$PG"
[ ! -e "$SQ" ] || fail "the server on PostgreSQL made a SQLite file"
for h in $HOSTS; do sed -i "s|^server = .*|server = $URL|" "$T/$h.conf"; done # its new port
snapshot "$T/after"
for f in "$T/before"/*.json; do
        b=$(basename "$f")
        cmp -s "$f" "$T/after/$b" || { diff "$f" "$T/after/$b" | head -n 20; fail "GET ${b%.json} differs after the move"; }
done
ok "on PostgreSQL: all $(ls "$T/before" | wc -l) listings answer as on SQLite (hosts, packages, jobs, users, tokens, requests, rollout, audit, compliance, ...)"

tok=$(api_ok POST /v1/auth/login '{"user":"approver","password":"correct horse battery"}' | jq -r .token)
[ -n "$tok" ] && [ "$tok" != null ] || fail "the approver's old password does not log in on PostgreSQL"
api POST /v1/auth/login '{"user":"approver","password":"wrong horse"}' > /dev/null
status_is 401 "a wrong password on PostgreSQL"
[ "$(as "$VIEWER" GET /v1/whoami | jq -r .user)" = viewer ] || fail "the viewer's old session token is not accepted"
v=$(api_ok GET /v1/audit/verify)
[ "$(printf '%s' "$v" | jq -r .ok)" = true ] || { echo "$v"; fail "the copied audit log does not verify"; }
ok "old passwords log in, a wrong one is refused, old tokens work, the copied audit chain verifies"

# New writes: ids after the copied ones, the agents' old credentials, a new host.
last_user=$(sql "$PG" "SELECT max(id) FROM users")
for h in $HOSTS; do agent_once "$h"; done
h1=$(set -- $HOSTS; echo "$1")
JOB=$(api_ok POST "/v1/hosts/$(host_id "$h1")/jobs" '{"type":"rescan","params":{}}' | jq -r .id)
agent_once "$h1"
wait_job() { [ "$(api_ok GET "/v1/jobs/$JOB" | jq -r .status)" = succeeded ]; }
wait_for "the rescan job on PostgreSQL" wait_job
api_ok POST /v1/users '{"name":"auditor2","password":"correct horse battery","grants":[{"account":"default","role":"viewer"}]}' > /dev/null
new_user=$(sql "$PG" "SELECT id FROM users WHERE name = 'auditor2'")
[ -n "$last_user" ] && [ "$new_user" -gt "$last_user" ] ||
        fail "the new user's id $new_user does not follow the copied ones (max $last_user): the identity sequence was not advanced"
api_ok POST /v1/accounts/default/baselines '{"name":"deb-security","family":"deb","rules":[{"classification":["security"],"after_days":7}]}' > /dev/null
[ "$(api_ok GET /v1/accounts/default/baselines | jq '[.baselines[].name] | sort == ["deb-all","deb-security"]')" = true ] ||
        fail "the baselines after a new one on PostgreSQL"
mkdir -p "$T/n1.root"
deb_root "$T/n1.root" "$STATUS" debian 12 bookworm "$(printf '%032x' 0x5e1f00ff)"
agent_conf n1 "$T/n1.root" "$T/tok-production"
agent_once n1
[ "$(api_ok GET /v1/hosts | jq '.hosts | length')" = 4 ] || fail "the new host did not join on PostgreSQL"
[ "$(api_ok GET /v1/audit/verify | jq -r .ok)" = true ] || fail "the audit log does not verify after new writes"
ok "on PostgreSQL: old agent credentials check in, a rescan job runs, a user (id $new_user > $last_user), a baseline and a new host are added, the audit chain still verifies"
srv_stop

# ---- PostgreSQL -> SQLite: the round trip ----
fpd export --store "$PG" --out "$T/pg3.dump" || fail "export of PostgreSQL after the new writes"
fpd copy --from "$PG" --to "sqlite:$T/back.db" || { cat "$T/fpd.out" "$T/fpd.err"; fail "copy PostgreSQL -> SQLite"; }
grep -q 'every table equal$' "$T/fpd.out" || { cat "$T/fpd.out"; fail "the copy back does not report every table equal"; }
fpd export --store "$T/back.db" --out "$T/back.dump" || fail "export of the SQLite copy"
tail -n +2 "$T/pg3.dump" > "$T/a" && tail -n +2 "$T/back.dump" > "$T/b"
cmp "$T/a" "$T/b" || fail "the SQLite copy's export differs from the PostgreSQL one"
ok "copy PostgreSQL -> SQLite (with the new writes): every table equal, the exports identical"

# ---- damaged dumps: refused with their line, nothing written ----
BAD=$(db_url bad)
fpd migrate --store "$BAD" || { cat "$T/fpd.err"; fail "migrate of an empty PostgreSQL database"; }
rows "$BAD" > "$T/bad.rows0"
# one value of one row changed, the shape intact: the table's digest no longer matches
line=$(awk '/^\{"table":"users"/ { u = 1; next } u && /"viewer"/ { print NR; exit }' "$T/sqlite.dump")
[ -n "$line" ] || fail "no row of user viewer in the dump"
sed "${line}s/\"viewer\"/\"viewex\"/" "$T/sqlite.dump" > "$T/tampered.dump"
fpd import --store "$BAD" --in "$T/tampered.dump"; rc=$?
[ $rc = 1 ] || { cat "$T/fpd.err"; fail "a dump with an altered row exited $rc, want 1"; }
grep -q "tampered.dump:[0-9]*: .*users.*sha256\|tampered.dump:[0-9]*: .*users.*digest" "$T/fpd.err" ||
        { cat "$T/fpd.err"; fail "the refusal does not name the users table's digest"; }
why=$(head -c 200 "$T/fpd.err")
rows "$BAD" > "$T/bad.rows1"
cmp -s "$T/bad.rows0" "$T/bad.rows1" || { diff "$T/bad.rows0" "$T/bad.rows1"; fail "the refused import wrote rows"; }
# a row with one value too many
line=$(grep -n '^\[' "$T/sqlite.dump" | sed -n '10p' | cut -d: -f1)
awk -v n="$line" 'NR == n { sub(/^\[/, "[\"extra\",") } { print }' "$T/sqlite.dump" > "$T/wide.dump"
fpd import --store "$BAD" --in "$T/wide.dump"; rc=$?
[ $rc = 1 ] && grep -q "wide.dump:$line: " "$T/fpd.err" || { cat "$T/fpd.err"; fail "a row too wide at line $line: exit $rc"; }
rows "$BAD" > "$T/bad.rows1"
cmp -s "$T/bad.rows0" "$T/bad.rows1" || fail "the refused import wrote rows"
ok "a dump with user viewer renamed in its row is refused ($why); one with a row too wide at line $line too; nothing written"
# not JSON at a known line
line=$(grep -n '^\[' "$T/sqlite.dump" | sed -n '20p' | cut -d: -f1)
awk -v n="$line" 'NR == n { print "[1,2,"; next } { print }' "$T/sqlite.dump" > "$T/broken.dump"
fpd import --store "$BAD" --in "$T/broken.dump"; rc=$?
[ $rc = 1 ] || fail "a dump with a broken line exited $rc, want 1"
grep -q "broken.dump:$line" "$T/fpd.err" || { cat "$T/fpd.err"; fail "the refusal does not name line $line"; }
# cut short in the middle of a table
head -n "$line" "$T/sqlite.dump" > "$T/short.dump"
fpd import --store "$BAD" --in "$T/short.dump"; rc=$?
[ $rc = 1 ] && grep -q 'truncated' "$T/fpd.err" || { cat "$T/fpd.err"; fail "a truncated dump: exit $rc"; }
rows "$BAD" > "$T/bad.rows2"
cmp -s "$T/bad.rows0" "$T/bad.rows2" || fail "a refused import wrote rows"
ok "a dump broken at line $line and one cut short there are refused with the line; nothing written"

# The intact dump still imports there, and the report matches the copy's.
fpd import --store "$BAD" --in "$T/sqlite.dump" || { cat "$T/fpd.out" "$T/fpd.err"; fail "import of the intact dump"; }
fpd export --store "$BAD" --out "$T/bad.dump" || fail "export after the import"
tail -n +2 "$T/sqlite.dump" > "$T/a" && tail -n +2 "$T/bad.dump" > "$T/b"
cmp "$T/a" "$T/b" || fail "the import of the intact dump differs from it"
ok "the intact dump imports into that database afterwards, equal to its source"
echo "$PASSED passed"
