# orch.sh: shared setup of the orchestration end-to-end tests (orch_e2e_apt, orch_restart);
# source it after server_lib.sh and lib/debrepo.sh (POSIX sh). The caller sets T, owns the
# traps and calls orch_cleanup from its EXIT trap.
#
# A fleet of Debian sandbox hosts (one root, one agent config/state, one hooks dir and one
# distinct machine id each), a real fleetpatchd (scheduler_interval 1), the repository of
# lib/debrepo.sh, and a loop per host running `fleetpatch-agent --once` so the hosts pick up
# what the scheduler queues. Nothing touches this machine's own packages.
#
# orch_fleet N_CANARY N_PRODUCTION [fleetpatchd options...]
#       Builds the repository, N hosts named c1.. (tag ring=canary) and p1.. (ring=production),
#       each with hello-fp 1.0 and hello-fp-conf 1.0 installed (so 2.0 / 1.1 are pending),
#       starts the server, enrolls every host (one check-in each) and makes the users
#       "approver" (role approver on account default) and "viewer" (viewer). Sets HOSTS (the
#       names), APPROVER and VIEWER (tokens), and per host NAME: $T/NAME.root, $T/NAME.hooks,
#       host id in $T/NAME.state/host_id (host_id NAME).
# orch_agents_start / orch_agents_stop
#       The per-host loops of `fleetpatch-agent --once` (0.3 s apart; a failed run, e.g. while
#       the server is down, is retried). Output in $T/NAME.loop.log.
# as TOKEN METHOD PATH [JSON]: like api, with another bearer token.
# installed ROOT NAME: the version dpkg has installed in that root, "-" if none.
# ro_get CR: GET …/rollout into $T/ro.json; ro_status CR, ro_hstate CR HOSTID.
# sched_jobs HOSTID TYPE: how many jobs of TYPE the scheduler queued for the host.

ORCH_LOOPS=

orch_fleet() {
        _nc=$1 _np=$2; shift 2
        debrepo_build "$T/d" || fail "debrepo_build"
        HOSTS=
        _i=1; while [ $_i -le "$_nc" ]; do HOSTS="$HOSTS c$_i"; _i=$((_i + 1)); done
        _i=1; while [ $_i -le "$_np" ]; do HOSTS="$HOSTS p$_i"; _i=$((_i + 1)); done
        _n=0
        for _h in $HOSTS; do
                _n=$((_n + 1))
                _R=$T/$_h.root
                debroot_new "$_R" "$T/d/repo" || fail "debroot_new $_h"
                printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian sandbox %s"\n' \
                        "$_h" > "$_R/etc/os-release"
                printf '%032x\n' $((0x5e1f0000 + _n)) > "$_R/etc/machine-id"
                _apt=$(debroot_apt_opts "$_R")
                # shellcheck disable=SC2086
                { apt-get $_apt -qq update && apt-get $_apt -qq -y install hello-fp=1.0 hello-fp-conf=1.0; } \
                        > "$T/$_h.apt.log" 2>&1 || { cat "$T/$_h.apt.log"; fail "apt-get in $_h"; }
                [ "$(installed "$_R" hello-fp) $(installed "$_R" hello-fp-conf)" = "1.0 1.0" ] ||
                        fail "$_h: the 1.0 packages are not installed"
                # hooks: root's, 0755 (mktemp made $T root's and 0700)
                mkdir "$T/$_h.hooks" && chmod 755 "$T/$_h.hooks"
        done
        srv_start "$T/srv" "$T/srv.log" --port 0 --scheduler-interval 1 "$@"
        enroll_token "$T/tok-canary" '{"uses":100,"tags":{"ring":"canary"}}'
        enroll_token "$T/tok-production" '{"uses":100,"tags":{"ring":"production"}}'
        for _h in $HOSTS; do
                case $_h in c*) _tok=$T/tok-canary ;; *) _tok=$T/tok-production ;; esac
                agent_conf "$_h" "$T/$_h.root" "$_tok" "lock_wait = 60
hooks_dir = $T/$_h.hooks"
                agent_once "$_h"
                [ -s "$T/$_h.state/host_id" ] || fail "$_h did not enroll"
        done
        for _u in approver viewer; do
                api_ok POST /v1/users "{\"name\":\"$_u\",\"password\":\"correct horse battery\",\"grants\":[{\"account\":\"default\",\"role\":\"$_u\"}]}" > /dev/null
        done
        APPROVER=$(api_ok POST /v1/auth/login '{"user":"approver","password":"correct horse battery"}' | jq -r .token)
        VIEWER=$(api_ok POST /v1/auth/login '{"user":"viewer","password":"correct horse battery"}' | jq -r .token)
        [ -n "$APPROVER" ] && [ "$APPROVER" != null ] || fail "no approver token"
}

installed() { # ROOT NAME -> version or "-"
        dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${db:Status-Abbrev} ${Version}' "$2" 2>/dev/null |
                awk '$1 == "ii" { print $2; f = 1 } END { if (!f) print "-" }'
}

as() { # TOKEN METHOD PATH [JSON]
        _save=$ADM; ADM=$1; shift
        api "$@"
        ADM=$_save
}
status_is() { [ "$(cat "$T/http_status")" = "$1" ] || { cat "$T/http_body"; echo; fail "$2: HTTP $(cat "$T/http_status"), want $1"; }; }
code_is() { [ "$(jq -r .error.code "$T/http_body")" = "$1" ] || { cat "$T/http_body"; echo; fail "$2: error code $(jq -r .error.code "$T/http_body"), want $1"; }; }

orch_agents_start() {
        rm -f "$T/agents.stop"
        for _h in $HOSTS; do
                ( while [ ! -e "$T/agents.stop" ]; do
                        "$FLEETPATCH_AGENT" --config "$T/$_h.conf" --once >> "$T/$_h.loop.log" 2>&1
                        sleep 0.3
                  done ) &
                ORCH_LOOPS="$ORCH_LOOPS $!"
        done
}
orch_agents_stop() {
        touch "$T/agents.stop"
        for _p in $ORCH_LOOPS; do wait "$_p" 2>/dev/null; done
        ORCH_LOOPS=
}
orch_cleanup() {
        [ -n "$ORCH_LOOPS" ] && orch_agents_stop
        [ -n "${SRV_PID:-}" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
        rm -rf "$T"
}

ro_get() { api_ok GET "/v1/change-requests/$1/rollout" > "$T/ro.json"; }
ro_status() { ro_get "$1"; jq -r .status "$T/ro.json"; }
ro_hstate() { ro_get "$1"; jq -r --arg h "$2" '.hosts[] | select(.host == $h) | .state' "$T/ro.json"; }
cr_state() { api_ok GET "/v1/change-requests/$1" | jq -r .state; }
sched_jobs() { # HOSTID TYPE
        api_ok GET "/v1/hosts/$1/jobs" |
                jq --arg t "$2" '[.jobs[] | select(.created_by == "scheduler" and .type == $t)] | length'
}
# orch_patched_once CR: the request and its rollout are done, and every host of $HOSTS
# succeeded with exactly one install job from the scheduler (none patched twice, none
# forgotten) and holds hello-fp 2.0 and hello-fp-conf 1.1. Leaves the rollout in $T/ro.json.
orch_patched_once() {
        ro_get "$1"
        [ "$(jq -r .status "$T/ro.json") $(cr_state "$1")" = "done done" ] ||
                { jq . "$T/ro.json"; fail "end: rollout $(jq -r .status "$T/ro.json"), request $(cr_state "$1")"; }
        for _h in $HOSTS; do
                _id=$(host_id "$_h")
                _st=$(jq -r --arg h "$_id" '.hosts[] | select(.host == $h) | .state' "$T/ro.json")
                [ "$_st" = succeeded ] || fail "$_h ended $_st"
                _n=$(sched_jobs "$_id" install)
                [ "$_n" = 1 ] || fail "$_h got $_n install jobs from the scheduler"
                _got="$(installed "$T/$_h.root" hello-fp) $(installed "$T/$_h.root" hello-fp-conf)"
                [ "$_got" = "2.0 1.1" ] || fail "$_h has hello-fp/hello-fp-conf $_got, want 2.0 1.1"
        done
}
