#!/bin/sh
# The CLI's server commands against a real fleetpatchd on 127.0.0.1 (a free port, a temporary
# state directory, TLS with the CA the server generates): login with the bootstrap token,
# accounts, users with roles, tokens, an enrollment token, a real agent enrolled from a sandbox
# root built from the shared Debian 12 snapshot, every host command, --json everywhere, and the
# exit codes 6 (server error: forbidden, not found, conflict), 7 (server down, TLS failure) and
# 8 (not logged in, bad or revoked token, wrong password).
set -u
[ -n "${FLEETPATCHD:-}" ] && [ -x "$FLEETPATCHD" ] || { echo "SKIP: fleetpatchd not built"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
FP=$FLEETPATCH
T=$(mktemp -d) || exit 1
S=$T/state
PID=
cleanup() {
        [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
unset FLEETPATCH_SERVER FLEETPATCH_TOKEN FLEETPATCH_CACERT FLEETPATCH_PASSWORD XDG_CONFIG_HOME
export FLEETPATCH_CLI_CONFIG="$T/cli/admin.json"
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && sed 's/^/  stderr: /' "$T/err"; exit 1; }

# expect CODE CMD...: run CMD (stdout in $T/out, stderr in $T/err), check its exit code.
expect() {
        want=$1; shift
        "$@" > "$T/out" 2> "$T/err"
        rc=$?
        [ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want"
}
# js CMD...: CMD must succeed; its output (in $T/j.json) is kept for the JSON check at the end.
# py EXPR: a Python expression over d (that output) that must be true, checked at the end too:
# one python3 run for all of them (python3 starts slowly on a loaded machine).
mkdir "$T/json"
N=0
js() {
        expect 0 "$@"
        N=$((N + 1))
        cp "$T/out" "$T/json/$N.json"
        cp "$T/out" "$T/j.json"
        printf '%s\t%s\n' "$N" "$*" >> "$T/json/commands"
}
py() { printf '%s\t%s\n' "$N" "$1" >> "$T/json/checks"; }
# Every output of js is JSON (json.load) and every py holds.
check_json() {
        python3 - "$T/json" <<'PY' || fail "JSON checks"
import json, sys, os
d0 = sys.argv[1]
cmds = dict(l.rstrip("\n").split("\t", 1) for l in open(os.path.join(d0, "commands")))
docs, bad = {}, 0
for n, cmd in cmds.items():
    try:
        docs[n] = json.load(open(os.path.join(d0, n + ".json")))
    except ValueError as e:
        print("not JSON from '%s': %s" % (cmd, e)); bad += 1
for l in open(os.path.join(d0, "checks")):
    n, expr = l.rstrip("\n").split("\t", 1)
    d = docs.get(n)
    try:
        ok = d is not None and eval(expr)
    except Exception as e:
        ok = False
    if not ok:
        print("check failed: %s\n  after '%s'\n  JSON: %s" % (expr, cmds[n], json.dumps(d)[:300])); bad += 1
print("%d JSON outputs, %d checks" % (len(cmds), sum(1 for _ in open(os.path.join(d0, "checks")))))
sys.exit(1 if bad else 0)
PY
}
# field PYEXPR: a value from the last JSON output (for ids the next commands need).
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print('"$1"')' "$T/j.json"; }
mode() { stat -c %a "$1"; }

# ---- the server ----
"$FLEETPATCHD" --state-dir "$S" --listen 127.0.0.1 --port 0 > "$T/server.log" 2>&1 &
PID=$!
# Started once it has written its address (after listening) and the bootstrap token.
while ! { [ -s "$S/fleetpatchd.url" ] && [ -s "$S/admin.token" ]; }; do
        kill -0 "$PID" 2>/dev/null || { cat "$T/server.log"; fail "fleetpatchd exited"; }
        sleep 0.1
done
URL=$(cat "$S/fleetpatchd.url")
CA=$S/tls/ca.pem
ADMIN=$(cat "$S/admin.token")

# ---- not logged in; a rejected credential is not saved ----
expect 8 "$FP" whoami
expect 8 "$FP" login --server "$URL" --cacert "$CA" --token fpu_0000000000000000_0000
[ ! -e "$FLEETPATCH_CLI_CONFIG" ] || fail "a rejected login wrote the config"
expect 2 "$FP" login --server "$URL" --cacert "$CA"
expect 2 "$FP" login --cacert "$CA" --token "$ADMIN"
# The token is only ever sent over verified TLS.
expect 2 "$FP" whoami --server "http://127.0.0.1:1" --token "$ADMIN"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
        expect 7 "$FP" whoami --server "$URL" --token "$ADMIN" \
                --cacert /etc/ssl/certs/ca-certificates.crt
fi

# ---- login with the bootstrap token ----
expect 0 "$FP" login --server "$URL" --cacert "$CA" --token "$ADMIN"
grep -q "as admin" "$T/out" || fail "login: $(cat "$T/out")"
[ "$(mode "$FLEETPATCH_CLI_CONFIG")" = 600 ] || fail "config mode $(mode "$FLEETPATCH_CLI_CONFIG")"
[ "$(mode "$T/cli")" = 700 ] || fail "config dir mode $(mode "$T/cli")"
js "$FP" whoami --json
py 'd["user"] == "admin" and {"account": "*", "role": "admin"} in d["grants"]'
expect 0 "$FP" whoami
grep -q "^user: *admin" "$T/out" || fail "whoami table"
js "$FP" login --json --server "$URL" --cacert "$CA" --token "$ADMIN"
py 'd["user"] == "admin"'

# ---- accounts ----
js "$FP" accounts create acme --display "ACME Corp" --region eu-west-1 --region us-east-1 --json
py 'd["name"] == "acme" and d["regions"] == ["eu-west-1", "us-east-1"]'
expect 0 "$FP" accounts create globex
expect 6 "$FP" accounts create acme
grep -q "409 conflict" "$T/err" || fail "conflict message: $(cat "$T/err")"
expect 2 "$FP" accounts create
js "$FP" accounts ls --json
py '{"acme", "globex"} <= {a["name"] for a in d["accounts"]}'
expect 0 "$FP" accounts ls
grep -q "^acme  *ACME Corp  *eu-west-1,us-east-1" "$T/out" || fail "accounts table: $(cat "$T/out")"
js "$FP" accounts show acme --json
py 'd["name"] == "acme" and d["hosts"] == 0'
expect 6 "$FP" accounts show nope
grep -q "404 not_found" "$T/err" || fail "not found message"

# ---- users and grants ----
printf 'alice-password-1\n' > "$T/alice.pw"
js "$FP" users create alice --password-file "$T/alice.pw" --grant acme=operator --json
py 'd["name"] == "alice"'
expect 0 "$FP" users create victor --grant acme=viewer
expect 2 "$FP" users create victor2 --grant acme
js "$FP" users grant victor globex viewer --json
expect 0 "$FP" users grant victor '*' viewer
js "$FP" users ls --json
py '{"account": "acme", "role": "operator"} in [g for u in d["users"] if u["name"] == "alice" for g in u["grants"]]'
py 'len([u for u in d["users"] if u["name"] == "victor"][0]["grants"]) == 3'
expect 0 "$FP" users ls
grep -q "^alice  *acme=operator" "$T/out" || fail "users table: $(cat "$T/out")"
js "$FP" users revoke victor globex --json
expect 0 "$FP" users revoke victor '*'
expect 6 "$FP" users revoke victor globex
expect 6 "$FP" users grant victor acme superuser

# ---- tokens ----
expect 0 "$FP" tokens create --name ci --ttl 7d
CI=$(cat "$T/out")
case "$CI" in fpu_*_*) ;; *) fail "tokens create printed '$CI'" ;; esac
[ "$(wc -l < "$T/out")" = 1 ] || fail "tokens create printed more than the token"
expect 2 "$FP" tokens create --name bad --ttl 7y
expect 2 "$FP" tokens create --ttl 1h
js "$FP" tokens create --name ci2 --ttl 3600 --json
py 'd["token"].startswith("fpu_")'
js "$FP" tokens ls --json
CI_ID=$(field '[t["id"] for t in d["tokens"] if t["name"] == "ci"][0]')
expect 0 "$FP" tokens ls
grep -q "^$CI_ID  *ci " "$T/out" || fail "tokens table: $(cat "$T/out")"
# The environment's token wins over the saved one.
js env FLEETPATCH_TOKEN=$CI "$FP" whoami --json
py 'd["user"] == "admin"'
js "$FP" tokens revoke "$CI_ID" --json
expect 8 env FLEETPATCH_TOKEN=$CI "$FP" whoami
expect 0 "$FP" whoami

# ---- enrollment tokens ----
expect 0 "$FP" agents enroll-token --account acme --ttl 1h --uses 3 --region eu-west-1 --tag role=web
ENROLL=$(cat "$T/out")
case "$ENROLL" in fpe_*_*) ;; *) fail "enroll-token printed '$ENROLL'" ;; esac
js "$FP" agents enroll-token --account acme --ttl 15m --json
py 'd["token"].startswith("fpe_") and "id" in d'
expect 6 "$FP" agents enroll-token --account nope
expect 2 "$FP" agents enroll-token --account acme --uses 0
expect 2 "$FP" agents enroll-token --account acme --tag novalue
expect 2 "$FP" agents enroll-token

# ---- a real agent from a sandbox root (the shared Debian 12 snapshot) ----
D=${FP_SHARED_DATA:-}
H=
if [ -n "${FLEETPATCH_AGENT:-}" ] && [ -x "$FLEETPATCH_AGENT" ] && [ -f "$D/inventory/debian12-dpkg-status" ]; then
        R=$T/root
        L=$R/var/lib/apt/lists
        mkdir -p "$R/etc" "$R/var/lib/dpkg" "$L"
        cp "$D/inventory/debian12-dpkg-status" "$R/var/lib/dpkg/status"
        P=deb.debian.org_debian_dists
        cp "$D/apt/InRelease_bookworm" "$L/${P}_bookworm_InRelease"
        cp "$D/apt/Packages_bookworm_main_binary-amd64.gz" "$L/${P}_bookworm_main_binary-amd64_Packages.gz"
        cp "$D/apt/InRelease_bookworm-updates" "$L/${P}_bookworm-updates_InRelease"
        cp "$D/apt/Packages_bookworm-updates_main_binary-amd64" \
                "$L/${P}_bookworm-updates_main_binary-amd64_Packages"
        P=security.debian.org_debian-security_dists
        cp "$D/apt/InRelease_bookworm-security" "$L/${P}_bookworm-security_InRelease"
        cp "$D/apt/Packages_bookworm-security_main_binary-amd64" \
                "$L/${P}_bookworm-security_main_binary-amd64_Packages"
        printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n' \
                > "$R/etc/os-release"
        echo 5d0c4e1f2a3b4c5d6e7f8091a2b3c4d5 > "$R/etc/machine-id"
        printf '%s\n' "$ENROLL" > "$T/enroll.token"
        : > "$T/agent.conf"
        agent() {
                "$FLEETPATCH_AGENT" --config "$T/agent.conf" --once --server "$URL" --ca-file "$CA" \
                        --state-dir "$T/agent" --root "$R" --enroll-token-file "$T/enroll.token" \
                        > "$T/agent.log" 2>&1 || { cat "$T/agent.log"; fail "agent --once"; }
        }
        agent
        js "$FP" hosts ls --json
        py 'len(d["hosts"]) == 1 and d["hosts"][0]["account"] == "acme"'
        H=$(field 'd["hosts"][0]["id"]')

        # The server's pending updates are the ones a local scan of the same root finds.
        js "$FP" scan --root "$R" --json
        cp "$T/j.json" "$T/scan.json"
        js "$FP" updates "$H" --json
        python3 - "$T/scan.json" "$T/j.json" <<'PY' || fail "updates differ from the local scan"
import json, sys
scan = {(u["name"], u["arch"], u["candidate"]) for u in json.load(open(sys.argv[1]))["updates"]}
srv = {(u["name"], u["arch"], u["candidate"]) for u in json.load(open(sys.argv[2]))["updates"]}
assert scan == srv and len(srv) > 0, (len(scan), len(srv), sorted(scan ^ srv)[:5])
PY
        js "$FP" updates "$H" --security-only --json
        py 'len(d["updates"]) > 0 and all(u["security"] for u in d["updates"])'
        SEC=$(field 'len(d["updates"])')
        expect 0 "$FP" updates "$H" --security-only
        [ "$(($(wc -l < "$T/out") - 1))" = "$SEC" ] || fail "updates table rows"
        head -1 "$T/out" | grep -q "^PACKAGE  *ARCH  *INSTALLED  *CANDIDATE" || fail "updates header"

        # Filters: each one that matches keeps the host, each one that does not drops it.
        for f in "--account acme" "--region eu-west-1" "--tag role=web" "--os debian" \
                 "--seen-within 1d" "--tag role=web --os debian --region eu-west-1"; do
                # shellcheck disable=SC2086
                js "$FP" hosts ls $f --json
                py 'len(d["hosts"]) == 1'
        done
        for f in "--account globex" "--region us-east-1" "--tag role=db" "--os rhel"; do
                # shellcheck disable=SC2086
                js "$FP" hosts ls $f --json
                py 'len(d["hosts"]) == 0'
        done
        js "$FP" hosts ls --json
        COMPL=$(field 'd["hosts"][0]["compliance"]')
        js "$FP" hosts ls --compliance "$COMPL" --json
        py 'len(d["hosts"]) == 1'
        expect 2 "$FP" hosts ls --compliance maybe
        expect 2 "$FP" hosts ls --seen-within forever
        expect 0 "$FP" hosts ls
        grep -q "^$H  *[^ ]*  *acme  *eu-west-1  *debian" "$T/out" || fail "hosts table: $(cat "$T/out")"

        js "$FP" hosts show "$H" --json
        py 'd["id"] == "'"$H"'" and d["tags"]["role"] == "web" and d["packages"] > 0'
        expect 0 "$FP" hosts show "$H"
        grep -q "^facts.os_id: *debian" "$T/out" || fail "hosts show record"

        # Tags: read, merge, write; the agent's tags stay.
        js "$FP" hosts tag "$H" owner=alice env=prod --json
        js "$FP" hosts show "$H" --json
        py 'd["api_tags"] == {"owner": "alice", "env": "prod"} and d["tags"]["role"] == "web"'
        expect 0 "$FP" hosts tag "$H" --remove env tier=1
        js "$FP" hosts show "$H" --json
        py 'd["api_tags"] == {"owner": "alice", "tier": "1"}'
        expect 2 "$FP" hosts tag "$H"
        expect 2 "$FP" hosts tag "$H" =x

        js "$FP" vulns --host "$H" --json
        py 'd["host"] == "'"$H"'" and isinstance(d["findings"], list)'
        expect 0 "$FP" vulns --host "$H"
        head -1 "$T/out" | grep -q "^SCORE  *SEVERITY  *VULN" || fail "vulns table header"

        js "$FP" hosts rescan "$H" --json
        py 'd["type"] == "rescan" and d["status"] == "queued"'
        expect 0 "$FP" hosts rescan "$H"
        grep -q "queued" "$T/out" || fail "rescan output"
        agent # the agent picks the jobs up
fi
expect 6 "$FP" hosts show 0123456789abcdef
expect 6 "$FP" updates 0123456789abcdef
expect 6 "$FP" vulns --host 0123456789abcdef
expect 6 "$FP" hosts rescan 0123456789abcdef
expect 2 "$FP" hosts show
expect 2 "$FP" hosts frobnicate

js "$FP" summary --json
py 'isinstance(d["hosts"], int)'
js "$FP" summary --account acme --json
expect 0 "$FP" summary
grep -q "^hosts: " "$T/out" || fail "summary record"

# ---- roles: alice (operator on acme) logs in with her password ----
ALICE="$T/cli/alice.json"
printf 'wrong-password\n' > "$T/wrong.pw"
expect 8 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" login --server "$URL" --cacert "$CA" --user alice \
        --password-file "$T/wrong.pw"
expect 0 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" login --server "$URL" --cacert "$CA" --user alice < "$T/alice.pw"
expect 0 env FLEETPATCH_CLI_CONFIG=$ALICE FLEETPATCH_PASSWORD=alice-password-1 "$FP" login \
        --server "$URL" --cacert "$CA" --user alice
expect 0 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" login --server "$URL" --cacert "$CA" --user alice \
        --password-file "$T/alice.pw"
js env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" whoami --json
py 'd["user"] == "alice" and d["grants"] == [{"account": "acme", "role": "operator"}]'
expect 6 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" accounts create initech
grep -q "403 forbidden" "$T/err" || fail "forbidden message: $(cat "$T/err")"
expect 6 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" users create mallory --grant acme=admin
expect 6 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" accounts show globex
expect 6 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" agents enroll-token --account globex
expect 0 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" agents enroll-token --account acme
js env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" accounts ls --json
py '[a["name"] for a in d["accounts"]] == ["acme"]'
if [ -n "$H" ]; then
        expect 0 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" hosts tag "$H" reviewed=yes
        expect 6 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" hosts rm "$H"
        grep -q "403 forbidden" "$T/err" || fail "hosts rm as operator: $(cat "$T/err")"
fi
# logout revokes the session token made by the password login.
SESSION=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$ALICE")
expect 0 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" logout
[ ! -e "$ALICE" ] || fail "logout left the config"
expect 8 env FLEETPATCH_TOKEN=$SESSION "$FP" whoami
expect 8 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" whoami
expect 0 env FLEETPATCH_CLI_CONFIG=$ALICE "$FP" logout

# ---- decommission ----
if [ -n "$H" ]; then
        js "$FP" hosts rm "$H" --json
        expect 6 "$FP" hosts show "$H"
        js "$FP" hosts ls --json
        py 'd["hosts"] == []'
fi

# ---- server down ----
kill "$PID" && wait "$PID" 2>/dev/null
PID=
expect 7 "$FP" whoami
grep -q "cannot reach the server" "$T/err" || fail "unreachable message: $(cat "$T/err")"
expect 7 "$FP" hosts ls

# logout of a token login forgets it without revoking it (the server is down: no attempt).
expect 0 "$FP" logout
expect 8 "$FP" whoami
check_json
echo "PASS: remote CLI against fleetpatchd${H:+ with an enrolled agent}"
