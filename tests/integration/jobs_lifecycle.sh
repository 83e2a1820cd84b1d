#!/bin/sh
# Hosts that were away must not slip through as compliant. A real fleetpatchd and real agents on
# Debian sandbox roots (real apt/dpkg, never this machine's packages):
# - suspend: the agent daemon is stopped (SIGSTOP) past the server's catch-up deadline; when it
#   runs again the host is marked "offline" until a scan brings it back;
# - snapshot revert: the host's root and the agent's state are copied, a patch is installed,
#   then both copies are put back (a VM snapshot revert); the server sees the sequence go back
#   and the patched version missing, marks the host, and clears the mark only once the patch
#   is back;
# - clone: the same root and state copied to a second machine with its own machine id; the
#   clone is refused with 409 clone_detected, enrolls as a new host with cloned_from, and the
#   original keeps its identity.
set -u
T=$(mktemp -d) || exit 1
SRV_PID= DAEMON_PID=
cleanup() {
        [ -n "$DAEMON_PID" ] && kill -CONT "$DAEMON_PID" 2>/dev/null
        [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
        [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
need dpkg-deb apt-ftparchive apt-get dpkg busybox
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root)"; exit 77; }

debrepo_build "$T/d" || fail "debrepo_build"
# new_root DIR MACHINE_ID: a sandbox host with hello-fp 1.0 installed
new_root() {
        debroot_new "$1" "$T/d/repo" || fail "debroot_new $1"
        printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' > "$1/etc/os-release"
        echo "$2" > "$1/etc/machine-id"
        # shellcheck disable=SC2046
        apt-get $(debroot_apt_opts "$1") -qq update > "$T/apt.log" 2>&1 &&
                apt-get $(debroot_apt_opts "$1") -qq -y install hello-fp=1.0 >> "$T/apt.log" 2>&1 ||
                { cat "$T/apt.log"; fail "preparing $1"; }
}
catchup() { api_ok GET "/v1/hosts/$1" | jq -r '(.catchup // []) | sort | join(",")'; }
job_done() { api_ok GET "/v1/jobs/$1" | jq -r .status | grep -qE '^(succeeded|failed)$'; }

# catch-up after 2 s without a check-in (the agents check in every second)
srv_start "$T/srv" "$T/srv.log" --port 0 --catchup-after 2
enroll_token "$T/tok" '{"uses":10}'

# ---- suspend ----
new_root "$T/r1" 11111111aaaaaaaa11111111aaaaaaaa
agent_conf h1 "$T/r1" "$T/tok" 'checkin_interval = 1'
agent_once h1
H1=$(host_id h1)
[ "$(catchup "$H1")" = "" ] || fail "a new host needs catch-up: $(catchup "$H1")"
"$FLEETPATCH_AGENT" --config "$T/h1.conf" --foreground 2> "$T/h1.daemon.log" &
DAEMON_PID=$!
seen() { api_ok GET "/v1/hosts/$H1" | jq -r .last_seen; }
s0=$(seen)
wait_for "a daemon check-in" sh -c "[ \"\$(curl -sS --cacert '$CA' -H 'Authorization: Bearer $ADM' '$URL/v1/hosts/$H1' | jq -r .last_seen)\" -gt $s0 ]"
kill -STOP "$DAEMON_PID"
stopped_at=$(date +%s)
# the deadline passes while the agent is stopped (a condition on the clock, not a bound)
wait_for "the catch-up deadline" sh -c "[ \$(date +%s) -gt $((stopped_at + 3)) ]"
kill -CONT "$DAEMON_PID"
wait_for "the host to be marked after it returns" sh -c "curl -sS --cacert '$CA' -H 'Authorization: Bearer $ADM' '$URL/v1/hosts/$H1' | jq -e '(.catchup // []) | index(\"offline\")' > /dev/null"
ok "a host stopped past the deadline is marked offline when it returns: $(catchup "$H1")"
J=$(api_ok POST "/v1/hosts/$H1/jobs" '{"type":"scan","params":{}}' | jq -r .id)
wait_for "the scan job" job_done "$J"
[ "$(catchup "$H1")" = "" ] || fail "after a scan the host still needs catch-up: $(catchup "$H1")"
ok "a scan after its return clears the mark"
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=

# ---- snapshot revert ----
cp -a "$T/r1" "$T/r1.snap"; cp -a "$T/h1.state" "$T/h1.state.snap"
J=$(api_ok POST "/v1/hosts/$H1/jobs" '{"type":"install","params":{"packages":[{"name":"hello-fp","version":"1.1"}]}}' | jq -r .id)
agent_once h1
[ "$(api_ok GET "/v1/jobs/$J" | jq -r '.status + " " + .result.verdict')" = "succeeded verified" ] ||
        fail "the install before the revert"
agent_once h1
rm -rf "$T/r1" "$T/h1.state"; mv "$T/r1.snap" "$T/r1"; mv "$T/h1.state.snap" "$T/h1.state"
agent_once h1
c=$(catchup "$H1")
case ",$c," in *,revert,*) ;; *) fail "after a snapshot revert: catch-up '$c', want revert" ;; esac
case ",$c," in *,downgraded,*) ;; *) fail "after a snapshot revert: catch-up '$c', want downgraded (1.1 gone)" ;; esac
ok "snapshot revert: the host is marked ($c)"
# the CLI shows it: a CATCH-UP column and a --catchup filter
fpcli() { FLEETPATCH_SERVER=$URL FLEETPATCH_TOKEN=$ADM FLEETPATCH_CACERT=$CA "$FLEETPATCH" "$@"; }
[ "$(fpcli hosts ls --catchup --json | jq -r '[.hosts[].id] | join(" ")')" = "$H1" ] ||
        fail "fleetpatch hosts ls --catchup does not list the reverted host"
fpcli hosts ls > "$T/ls.txt" || fail "fleetpatch hosts ls"
grep -q "CATCH-UP" "$T/ls.txt" && grep "$H1" "$T/ls.txt" | grep -q "revert" ||
        { cat "$T/ls.txt"; fail "the host table does not show the catch-up reasons"; }
J=$(api_ok POST "/v1/hosts/$H1/jobs" '{"type":"scan","params":{}}' | jq -r .id)
agent_once h1
[ "$(catchup "$H1")" != "" ] || fail "a scan alone cleared the mark although hello-fp 1.1 is still missing"
J=$(api_ok POST "/v1/hosts/$H1/jobs" '{"type":"install","params":{"packages":[{"name":"hello-fp","version":"1.1"}]}}' | jq -r .id)
agent_once h1
[ "$(catchup "$H1")" = "" ] || fail "the patch is back and the host still needs catch-up: $(catchup "$H1")"
[ "$(fpcli hosts ls --catchup --json | jq '.hosts | length')" = 0 ] ||
        fail "hosts ls --catchup still lists the host after it caught up"
ok "the mark stays until the installed patch is back, then clears"

# ---- clone ----
cp -a "$T/r1" "$T/r2"; cp -a "$T/h1.state" "$T/h2.state"
echo 22222222bbbbbbbb22222222bbbbbbbb > "$T/r2/etc/machine-id"
agent_conf h2 "$T/r2" "$T/tok"
host_before=$(api_ok GET "/v1/hosts/$H1" | jq -c '{hostname, machine_id: .facts.machine_id}')
agent_once h2
H2=$(host_id h2)
[ "$H2" != "$H1" ] || fail "the clone kept the original's host id"
[ "$(api_ok GET "/v1/hosts/$H2" | jq -r .cloned_from)" = "$H1" ] || fail "the clone's cloned_from"
[ "$(api_ok GET "/v1/hosts/$H1" | jq -c '{hostname, machine_id: .facts.machine_id}')" = "$host_before" ] ||
        fail "the clone's check-in changed the original"
agent_once h1
[ "$(host_id h1)" = "$H1" ] || fail "the original lost its identity"
ok "a clone is refused, enrolls as its own host (cloned_from the original); the original is untouched"

echo "$PASSED passed, 0 failed"
