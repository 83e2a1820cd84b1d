# Sourced by the server_* integration tests (not a test itself): start and stop a real
# fleetpatchd, call its API as the bootstrap admin, build sandbox roots and agent configs.
# The caller sets T (its mktemp directory) before sourcing and owns the trap.
PASSED=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { PASSED=$((PASSED + 1)); echo "ok $PASSED: $*"; }
need() {
        for t; do command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }; done
}
[ -n "${FLEETPATCHD:-}" ] && [ -x "$FLEETPATCHD" ] || { echo "SKIP: fleetpatchd not built"; exit 77; }
[ -n "${FLEETPATCH_AGENT:-}" ] && [ -x "$FLEETPATCH_AGENT" ] || { echo "SKIP: fleetpatch-agent not built"; exit 77; }
S=${FP_SHARED_DATA:-}
[ -n "$S" ] && [ -f "$S/inventory/debian12-dpkg-status" ] || { echo "SKIP: no shared data"; exit 77; }
need curl jq
STATUS=$S/inventory/debian12-dpkg-status

# A deadlock guard for the waits below, never a performance bound: generous on purpose.
WAIT_TRIES=${WAIT_TRIES:-1200} # x 0.1 s

# srv_start DIR LOG [fleetpatchd options...]: sets SRV_PID, URL, ADM, CA.
# With FP_TEST_SRV_PG=1 under tests/tools/with_pg.sh (the integration-pg/* runs of
# tests/meson.build), the server's store is a PostgreSQL database of its own per state
# directory (the same one again when the test restarts the server on that directory).
srv_start() {
        _d=$1 _log=$2; shift 2
        if [ -n "${FP_TEST_SRV_PG:-}" ] && [ -n "${FP_TEST_PG:-}" ]; then
                _db=fp_$(printf '%s' "$_d" | md5sum | cut -c1-16)
                "$FP_TEST_PG_BIN/psql" "$FP_TEST_PG" -qc "CREATE DATABASE $_db" > /dev/null 2>&1 # or it exists
                echo "srv_start: $_d on PostgreSQL database $_db"
                set -- "$@" --store "$(printf '%s' "$FP_TEST_PG" | sed "s|^postgresql:///postgres?|postgresql:///$_db?|")"
        fi
        rm -f "$_d/fleetpatchd.url"
        "$FLEETPATCHD" --state-dir "$_d" "$@" >> "$_log" 2>&1 &
        SRV_PID=$!
        _i=0
        while [ ! -s "$_d/fleetpatchd.url" ]; do
                kill -0 "$SRV_PID" 2>/dev/null || { cat "$_log"; fail "fleetpatchd exited at start"; }
                _i=$((_i + 1)); [ $_i -lt $WAIT_TRIES ] || fail "fleetpatchd did not start"
                sleep 0.1
        done
        URL=$(cat "$_d/fleetpatchd.url"); ADM=$(cat "$_d/admin.token"); CA=$_d/tls/ca.pem
}

# srv_stop [SIGNAL]: stop the server started last and reap it.
srv_stop() {
        [ -n "${SRV_PID:-}" ] || return 0
        kill -"${1:-TERM}" "$SRV_PID" 2>/dev/null
        wait "$SRV_PID" 2>/dev/null
        SRV_PID=
}

# api METHOD PATH [JSON]: the answer on stdout; its HTTP status in $T/http_status.
api() {
        if [ $# -ge 3 ]; then
                curl -sS --cacert "$CA" -o "$T/http_body" -w '%{http_code}' -X "$1" \
                        -H "Authorization: Bearer $ADM" -H 'Content-Type: application/json' \
                        --data "$3" "$URL$2" > "$T/http_status" 2> "$T/http_err"
        else
                curl -sS --cacert "$CA" -o "$T/http_body" -w '%{http_code}' -X "$1" \
                        -H "Authorization: Bearer $ADM" "$URL$2" > "$T/http_status" 2> "$T/http_err"
        fi
        cat "$T/http_body"
}
# api_ok METHOD PATH [JSON]: like api, and fails the test unless the status is 2xx.
api_ok() {
        api "$@" > "$T/http_out"
        case $(cat "$T/http_status") in
        2??) cat "$T/http_out" ;;
        *) cat "$T/http_err" "$T/http_out" >&2; fail "$1 $2: HTTP $(cat "$T/http_status")" ;;
        esac
}
metric() { curl -sS --cacert "$CA" "$URL/metrics" | awk -v m="fleetpatchd_$1" '$1 == m { print $2 }'; }

# enroll_token FILE JSON: a new enrollment token of account default (or JSON's) into FILE.
enroll_token() {
        _acct=${3:-default}
        api_ok POST "/v1/accounts/$_acct/enroll-tokens" "$2" | jq -r .token > "$1"
        grep -q '^fpe_' "$1" || fail "no enrollment token"
}

# first_stanzas N: the first N stanzas of the shared dpkg status.
first_stanzas() { awk -v n="$1" 'BEGIN { RS = ""; ORS = "\n\n" } NR <= n' "$STATUS"; }

# deb_root DIR STATUS_FILE ID VERSION_ID CODENAME MACHINE_ID [with-lists]
deb_root() {
        mkdir -p "$1/var/lib/dpkg" "$1/etc" "$1/var/lib/apt/lists"
        cp "$2" "$1/var/lib/dpkg/status"
        printf 'ID=%s\nVERSION_ID="%s"\nVERSION_CODENAME=%s\nPRETTY_NAME="%s %s"\n' \
                "$3" "$4" "$5" "$3" "$4" > "$1/etc/os-release"
        echo "$6" > "$1/etc/machine-id"
        if [ "${7:-}" = with-lists ]; then
                # the captured apt lists of the same host: its pending (security) updates
                for f in Packages_bookworm-security_main_binary-amd64 Release_bookworm-security \
                         Packages_bookworm-updates_main_binary-amd64 Release_bookworm-updates; do
                        cp "$S/apt/$f" "$1/var/lib/apt/lists/$f"
                done
        fi
}

# agent_conf NAME ROOT TOKEN_FILE [extra config lines]: $T/NAME.conf, state in $T/NAME.state.
agent_conf() {
        { printf 'server = %s\nca_file = %s\nstate_dir = %s\n' "$URL" "$CA" "$T/$1.state"
          printf 'enroll_token_file = %s\nroot = %s\nhostname = %s\n' "$3" "$2" "$1"
          [ $# -ge 4 ] && printf '%s\n' "$4"; } > "$T/$1.conf"
}
# agent_once NAME: one check-in; stdout to $T/NAME.out, the log appended to $T/NAME.log.
agent_once() {
        "$FLEETPATCH_AGENT" --config "$T/$1.conf" --once > "$T/$1.out" 2> "$T/$1.err"
        _rc=$?
        cat "$T/$1.err" >> "$T/$1.log"
        [ $_rc -eq 0 ] || { cat "$T/$1.out" "$T/$1.err"; fail "agent $1 --once exit $_rc"; }
}
host_id() { cat "$T/$1.state/host_id"; }
host() { api_ok GET "/v1/hosts/$1"; }
# wait_for DESCRIPTION COMMAND...: retry the command until it succeeds (deadlock guard only).
wait_for() {
        _what=$1; shift
        _i=0
        until "$@"; do
                _i=$((_i + 1)); [ $_i -lt $WAIT_TRIES ] || fail "gave up waiting for $_what"
                sleep 0.1
        done
}
# hosts_of QUERY: the sorted host names GET /v1/hosts?QUERY lists, space-separated.
hosts_of() { api_ok GET "/v1/hosts?$1" | jq -r '[.hosts[].hostname] | sort | join(" ")'; }
