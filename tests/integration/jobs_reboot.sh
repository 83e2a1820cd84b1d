#!/bin/sh
# Reboot truth, reboot jobs and hooks end to end: a real fleetpatchd over TLS, a real
# fleetpatch-agent driving real apt/dpkg on a Debian sandbox root (never this machine's
# packages, never this machine's reboot). The sandbox's running kernel and boot id are the
# agent's test hook (docs/agent.md "Sandbox roots"): ROOT/.fleetpatch-sandbox/kernel_running
# and boot_id. reboot_command is a script in $T that records its call and "boots" the sandbox
# (a new boot id, the kernel named in $T/next_kernel, an emptied /run as after a real boot).
#   - reboot truth: a newer linux-image-<abi> than the running kernel, and /run/reboot-required
#     (.pkgs) written by a postinst, as Debian's update-notifier hook does;
#   - reboot job: runs the script, stays running until the agent starts again, then succeeds
#     with the new kernel or fails with reason "reboot" when the old one came back; nothing to
#     do without a need unless forced; a reboot program that fails, or returns without a reboot,
#     fails the job (reason reboot); the daemon waiting for its reboot does not poll in a loop;
#   - install with "reboot": "if-needed";
#   - hooks: a failing pre-patch changes nothing, a failing health-check fails the job after
#     the change, a hook job gets the job id and type and its output lands in the job log, a
#     group-writable hook or hooks dir is refused, one past hook_timeout is killed with its group.
set -u
T=$(mktemp -d) || exit 1
SRV_PID=
DPID=
cleanup() {
        [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
        [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
. "$FP_SOURCE_ROOT/tests/integration/lib/debrepo.sh"
need dpkg-deb apt-ftparchive apt-get dpkg dpkg-query busybox
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root chroots for maintainer scripts; hooks must be root's)"; exit 77; }

# ---- the repository: kernels and a package that asks for a reboot ----
debrepo_build "$T/d" || fail "debrepo_build"
for abi in 90 91 92 93; do
        _debrepo_pkg "$T/d/src" "$T/d/repo" "linux-image-6.1.0-$abi-amd64" "6.1.$abi-1" ||
                fail "linux-image-6.1.0-$abi-amd64"
done
# as /etc/kernel/postinst.d/update-notifier does: the flag file and the package's name
# (busybox sh is the root's only program: builtins and redirections only)
_debrepo_pkg "$T/d/src" "$T/d/repo" libfp-ssl 1.0 '' \
        'echo "*** System restart required ***" > /run/reboot-required
echo "$DPKG_MAINTSCRIPT_PACKAGE" >> /run/reboot-required.pkgs
exit 0' || fail "libfp-ssl"
debrepo_refresh "$T/d" || fail "debrepo_refresh"

R=$T/root
debroot_new "$R" "$T/d/repo" || fail "debroot_new"
mkdir -p "$R/run" "$R/.fleetpatch-sandbox"
printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian sandbox"\n' \
        > "$R/etc/os-release"
echo 6666bbbb6666bbbb6666bbbb6666bbbb > "$R/etc/machine-id"
echo 6.1.0-90-amd64 > "$R/.fleetpatch-sandbox/kernel_running"
echo 00000000-0000-4000-8000-000000000001 > "$R/.fleetpatch-sandbox/boot_id"
APT=$(debroot_apt_opts "$R")
# shellcheck disable=SC2086
apt-get $APT -qq update > "$T/apt-update.log" 2>&1 || { cat "$T/apt-update.log"; fail "apt-get update"; }

# ---- the reboot program: records the call, then "boots" the sandbox ----
echo 6.1.0-91-amd64 > "$T/next_kernel"
: > "$T/reboot.calls"
cat > "$T/reboot.sh" <<EOF
#!/bin/sh
echo "\$*" >> "$T/reboot.calls"
[ -e "$T/reboot.fails" ] && { echo "reboot: refused" >&2; exit 1; }
[ -e "$T/reboot.noop" ] && exit 0
n=\$(wc -l < "$T/reboot.calls")
printf '00000000-0000-4000-8000-%012d\n' \$((n + 1)) > "$R/.fleetpatch-sandbox/boot_id"
cat "$T/next_kernel" > "$R/.fleetpatch-sandbox/kernel_running"
rm -f "$R/run/reboot-required" "$R/run/reboot-required.pkgs"
exit 0
EOF
chmod 755 "$T/reboot.sh"
calls() { wc -l < "$T/reboot.calls" | tr -d ' '; }
kernel_running() { cat "$R/.fleetpatch-sandbox/kernel_running"; }

# hooks: root's directory, 0755 (mktemp made $T root's and 0700)
HK=$T/hooks
mkdir "$HK" && chmod 755 "$HK"
add_hook() { # NAME BODY
        printf '#!/bin/sh\n%s\n' "$2" > "$HK/$1" && chmod 755 "$HK/$1"
}

installed() { # NAME -> version or "-"
        dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${db:Status-Abbrev} ${Version}' "$1" 2>/dev/null |
                awk '$1 == "ii" { print $2; f = 1 } END { if (!f) print "-" }'
}

srv_start "$T/srv" "$T/srv.log" --port 0
enroll_token "$T/tok" '{"uses":5}'
agent_conf deb "$R" "$T/tok" "lock_wait = 30
hooks_dir = $HK
hook_timeout = 600
reboot_command = $T/reboot.sh --sandbox-reboot"
agent_once deb
H=$(host_id deb)

queue() { # TYPE PARAMS -> job id
        api_ok POST "/v1/hosts/$H/jobs" "{\"type\":\"$1\",\"params\":$2}" | jq -r .id
}
run_job() { # ID: one agent run; the job's record lands in $T/job.json
        agent_once deb
        api_ok GET "/v1/jobs/$1" > "$T/job.json"
}
jq_job() { jq -r "$1" "$T/job.json"; }
show() { jq . "$T/job.json"; cat "$T/deb.err"; }
expect_job() { # STATUS REASON
        got="$(jq_job .status) $(jq_job '.result.reason // ""')"
        [ "$got" = "$1 $2" ] || { show; fail "job: got '$got', want '$1 $2'"; }
}
reasons() { jq_job '.result.reboot_reasons // [] | join("; ")'; }
kinstall() { # ABI [REBOOT] -> job id of an install of linux-image-6.1.0-ABI-amd64
        queue install "{\"packages\":[{\"name\":\"linux-image-6.1.0-$1-amd64\",\"version\":\"6.1.$1-1\"}],\"reboot\":\"${2:-never}\"}"
}

# ================= 1. reboot truth =================
J=$(kinstall 90)
run_job "$J"
expect_job succeeded ""
[ "$(jq_job .result.verdict) $(jq_job .result.reboot_required)" = "verified false" ] ||
        { show; fail "the running kernel installed: reboot_required should be false"; }
[ "$(reasons)" = "" ] || { show; fail "reasons without a need: $(reasons)"; }
ok "the running kernel's image installed: verified, no reboot required"

J=$(kinstall 91)
run_job "$J"
expect_job succeeded ""
[ "$(jq_job .result.verdict) $(jq_job .result.reboot_required)" = "verified true" ] ||
        { show; fail "a newer kernel installed: reboot_required should be true"; }
reasons | grep -q "6.1.0-91-amd64 installed, 6.1.0-90-amd64 running" ||
        { show; fail "the reason does not name both kernels: $(reasons)"; }
[ "$(calls)" = 0 ] || fail "reboot \"never\" ran the reboot program"
[ "$(installed linux-image-6.1.0-91-amd64)" = 6.1.91-1 ] || fail "kernel 91 not installed"
api_ok GET "/v1/hosts/$H" > "$T/host.json"
[ "$(jq -r '.facts.kernel_running // empty' "$T/host.json")" = 6.1.0-90-amd64 ] ||
        { jq . "$T/host.json"; fail "the server does not show the sandbox's running kernel"; }
ok "a newer kernel image installed: reboot_required, reason names 6.1.0-91 and 6.1.0-90; nothing rebooted"

J=$(queue install '{"packages":[{"name":"libfp-ssl","version":"1.0"}]}')
run_job "$J"
expect_job succeeded ""
[ -f "$R/run/reboot-required" ] || fail "the postinst did not write run/reboot-required"
[ "$(jq_job .result.reboot_required)" = true ] || { show; fail "reboot-required not reported"; }
reasons | grep -q "reboot-required file (libfp-ssl)" || { show; fail "the reason does not name libfp-ssl: $(reasons)"; }
reasons | grep -q "6.1.0-91-amd64 installed, 6.1.0-90-amd64 running" || { show; fail "kernel reason lost: $(reasons)"; }
ok "run/reboot-required(.pkgs) written by a postinst: reported with the package's name, besides the kernel"

# ================= 2. reboot jobs =================
J=$(queue reboot '{}')
run_job "$J"
[ "$(calls)" = 1 ] || fail "the reboot program was called $(calls) times, want 1"
[ "$(sed -n 1p "$T/reboot.calls")" = "--sandbox-reboot" ] || fail "reboot_command's argv: $(cat "$T/reboot.calls")"
[ "$(jq_job .status)" = running ] || { show; fail "the reboot job is $(jq_job .status) before the agent started again"; }
[ "$(jq_job .phase)" = rebooting ] || { show; fail "the reboot job's phase is $(jq_job .phase)"; }
[ "$(jq_job .finished)" = 0 ] || { show; fail "the reboot job has an end before the reboot is confirmed"; }
# the sandbox "booted" kernel 91; the next start of the agent confirms it
run_job "$J"
expect_job succeeded ""
[ "$(jq_job .result.resumed)" = true ] || { show; fail "the confirmed reboot is not reported as resumed"; }
jq_job .detail | grep -q "6.1.0-91-amd64" || { show; fail "detail does not name the new kernel"; }
[ "$(calls)" = 1 ] || fail "the confirmation ran the reboot program again"
api_ok GET "/v1/hosts/$H" > "$T/host.json"
[ "$(jq -r '.facts.kernel_running // empty' "$T/host.json")" = 6.1.0-91-amd64 ] ||
        { jq . "$T/host.json"; fail "the server does not show the new running kernel"; }
ok "reboot job: reboot program run once, job running until the agent starts again, then succeeded on 6.1.0-91"

J=$(queue reboot '{}')
run_job "$J"
expect_job succeeded ""
[ "$(calls)" = 1 ] || fail "a reboot job without a need called the reboot program"
[ "$(jq_job .result.reboot_required)" = false ] || { show; fail "still reboot_required after the reboot"; }
jq_job .detail | grep -qi "no reboot needed" || { show; fail "detail: $(jq_job .detail)"; }
ok "reboot job with nothing requiring it: not rebooted, succeeded, 'no reboot needed'"

J=$(queue reboot '{"force":true}')
run_job "$J"
[ "$(calls) $(jq_job .status)" = "2 running" ] || { show; fail "forced reboot: $(calls) calls, job $(jq_job .status)"; }
run_job "$J"
expect_job succeeded ""
ok "forced reboot job: the reboot program runs although nothing requires it; confirmed after the restart"

# The daemon, as on a real host: the reboot program returns at once (systemd schedules the
# reboot) and the agent long-polls until it is stopped. A job waiting for its reboot is
# delivered and running: it must not end every long poll at once (the agent would poll in a
# tight loop). Counted, not timed: with the poll parked, only the two queued jobs end polls.
polls() {
        curl -sS --cacert "$CA" "$URL/metrics" |
                awk '/^fleetpatchd_requests_total\{method="GET",route="\/v1\/agent\/jobs",/ { n += $2 } END { print n + 0 }'
}
checkins() { metric checkins_total; }
c0=$(checkins)
"$FLEETPATCH_AGENT" --config "$T/deb.conf" > "$T/daemon.out" 2> "$T/daemon.err" &
DPID=$!
wait_for "the daemon's first check-in" sh -c "[ \"\$(curl -sS --cacert '$CA' '$URL/metrics' | awk '\$1 == \"fleetpatchd_checkins_total\" { print \$2 }')\" != '$c0' ]"
p0=$(polls)
J=$(queue reboot '{"force":true}')
wait_for "the daemon to run the reboot program" sh -c "[ \"\$(wc -l < '$T/reboot.calls')\" -ge 3 ]"
wait_for "the job to wait in phase rebooting" sh -c "curl -sS --cacert '$CA' -H 'Authorization: Bearer $ADM' '$URL/v1/jobs/$J' | jq -e '.status == \"running\" and .phase == \"rebooting\"' > /dev/null"
HJ=$(queue hook '{"name":"undrain"}')
wait_for "the daemon to run the hook job" sh -c "curl -sS --cacert '$CA' -H 'Authorization: Bearer $ADM' '$URL/v1/jobs/$HJ' | jq -e '.status == \"failed\"' > /dev/null"
p1=$(polls)
[ $((p1 - p0)) -le 3 ] || { cat "$T/daemon.err"; fail "$((p1 - p0)) job polls answered while the reboot job waited (want <= 3: one per queued job)"; }
api_ok GET "/v1/jobs/$J" > "$T/job.json"
[ "$(jq_job .status)" = running ] || { show; fail "the daemon finished the reboot job before its restart"; }
kill -TERM "$DPID"; wait "$DPID"; DPID=
cat "$T/daemon.err" >> "$T/deb.log"
# the host came up again: the agent starts and confirms
run_job "$J"
expect_job succeeded ""
[ "$(calls)" = 3 ] || fail "reboot program called $(calls) times, want 3"
ok "daemon: the waiting reboot job does not end long polls ($((p1 - p0)) answered for 2 queued jobs); a new job still runs; confirmed after the restart"

# ================= 3. install with reboot: if-needed =================
J=$(queue install '{"packages":[{"name":"hello-fp","version":"1.0"}],"reboot":"if-needed"}')
run_job "$J"
expect_job succeeded ""
[ "$(calls) $(jq_job .result.reboot_required)" = "3 false" ] || { show; fail "if-needed rebooted without a need"; }
ok "install with reboot if-needed and no need: finished at once, no reboot"

echo 6.1.0-92-amd64 > "$T/next_kernel"
J=$(kinstall 92 if-needed)
run_job "$J"
[ "$(calls) $(jq_job .status)" = "4 running" ] || { show; fail "if-needed with a new kernel: $(calls) calls, job $(jq_job .status)"; }
run_job "$J"
expect_job succeeded ""
[ "$(jq_job .result.verdict) $(jq_job .result.resumed)" = "verified true" ] ||
        { show; fail "the install's result was not kept through the reboot"; }
[ "$(kernel_running)" = 6.1.0-92-amd64 ] || fail "sandbox kernel $(kernel_running)"
ok "install with reboot if-needed and a new kernel: rebooted, confirmed on 6.1.0-92, verified result kept"

# ================= the old kernel comes back =================
J=$(kinstall 93)
run_job "$J"
expect_job succeeded ""
[ "$(calls)" = 4 ] || fail "reboot never rebooted"
# next_kernel stays 92: the "reboot" boots the old kernel again
J=$(queue reboot '{}')
run_job "$J"
[ "$(calls) $(jq_job .status)" = "5 running" ] || { show; fail "reboot for kernel 93: $(calls) calls, job $(jq_job .status)"; }
run_job "$J"
expect_job failed reboot
jq_job .detail | grep -q "6.1.0-92-amd64 runs, expected 6.1.0-93-amd64" || { show; fail "detail: $(jq_job .detail)"; }
ok "rebooted into the old kernel: the job failed with reason reboot, naming both kernels"

# the reboot program returns 0 but the host does not reboot: the next start finds the same boot
touch "$T/reboot.noop"
J=$(queue reboot '{}')
run_job "$J"
[ "$(calls) $(jq_job .status)" = "6 running" ] || { show; fail "reboot without a boot: $(calls) calls, job $(jq_job .status)"; }
run_job "$J"
expect_job failed reboot
jq_job .detail | grep -q "no reboot happened" || { show; fail "detail: $(jq_job .detail)"; }
rm -f "$T/reboot.noop"
ok "the reboot program returned but the boot id did not change: failed (reboot), 'no reboot happened'"

# the reboot program fails: the job fails at once, nothing waits
touch "$T/reboot.fails"
J=$(queue reboot '{}')
run_job "$J"
[ "$(calls)" = 7 ] || fail "the reboot program was not called"
expect_job failed reboot
jq_job .detail | grep -q "reboot command" || { show; fail "detail: $(jq_job .detail)"; }
rm -f "$T/reboot.fails"
ok "a failing reboot program: the job failed (reboot) at once, not left running"

# ================= 4. hooks =================
# pre-patch fails: nothing changes
add_hook pre-patch 'echo "pre-patch: maintenance window closed" >&2; exit 1'
cp "$R/var/lib/dpkg/status" "$T/status.before"
J=$(queue install '{"packages":[{"name":"hello-fp","version":"1.1"}]}')
run_job "$J"
expect_job failed hook
jq_job .detail | grep -q pre-patch || { show; fail "detail does not name pre-patch"; }
jq_job .log | grep -q "maintenance window closed" || { show; fail "the hook's output is not in the job log"; }
[ "$(installed hello-fp)" = 1.0 ] || fail "hello-fp is $(installed hello-fp) after a failing pre-patch"
cmp -s "$R/var/lib/dpkg/status" "$T/status.before" || fail "dpkg's status changed after a failing pre-patch"
ok "a failing pre-patch hook: job failed (hook), its output in the log, dpkg untouched"

# pre-patch and post-patch pass, health-check fails: the change is made, the job fails
add_hook pre-patch "echo \"pre-patch \$FLEETPATCH_JOB_TYPE\" >> $T/hook.order"
add_hook post-patch "echo post-patch >> $T/hook.order"
add_hook health-check "echo health-check >> $T/hook.order; echo 'health-check: service down' >&2; exit 1"
: > "$T/hook.order"
J=$(queue install '{"packages":[{"name":"hello-fp","version":"1.1"}],"reboot":"if-needed"}')
run_job "$J"
expect_job failed hook
jq_job .detail | grep -q health-check || { show; fail "detail does not name health-check"; }
jq_job .log | grep -q "service down" || { show; fail "the health-check's output is not in the job log"; }
[ "$(installed hello-fp)" = 1.1 ] || fail "hello-fp is $(installed hello-fp): the change was not made"
[ "$(jq_job .result.verdict)" = verified ] || { show; fail "verdict $(jq_job .result.verdict)"; }
[ "$(tr '\n' ',' < "$T/hook.order")" = "pre-patch install,post-patch,health-check," ] ||
        fail "hook order: $(tr '\n' ',' < "$T/hook.order")"
[ "$(jq_job .result.reboot_required)" = true ] || { show; fail "reboot truth missing after a failed health-check"; }
[ "$(calls)" = 7 ] || fail "a job that failed its health-check rebooted (if-needed)"
ok "a failing health-check: the change made and verified, pre/post/health in order, job failed (hook), no reboot"
rm -f "$HK/pre-patch" "$HK/post-patch" "$HK/health-check"

# a hook job: job id and type in the environment, output in the job log
add_hook snapshot "echo \"\$FLEETPATCH_JOB_ID \$FLEETPATCH_JOB_TYPE\" > $T/snapshot.env; echo 'snapshot: taken'"
J=$(queue hook '{"name":"snapshot"}')
run_job "$J"
expect_job succeeded ""
[ "$(cat "$T/snapshot.env" 2>/dev/null)" = "$J hook" ] ||
        fail "the hook's environment: '$(cat "$T/snapshot.env" 2>/dev/null)', want '$J hook'"
jq_job .log | grep -q "snapshot: taken" || { show; fail "the hook's output is not in the job log"; }
ok "hook job: FLEETPATCH_JOB_ID and FLEETPATCH_JOB_TYPE set, output in the job log"

# a group-writable hook is refused, not run
rm -f "$T/snapshot.env"
chmod 775 "$HK/snapshot"
J=$(queue hook '{"name":"snapshot"}')
run_job "$J"
expect_job failed hook
jq_job .detail | grep -q "writable by group" || { show; fail "detail: $(jq_job .detail)"; }
[ ! -e "$T/snapshot.env" ] || fail "the group-writable hook ran"
ok "a group-writable hook: refused (hook), not run"

# a group-writable hooks dir is refused too
chmod 755 "$HK/snapshot"
chmod 775 "$HK"
J=$(queue hook '{"name":"snapshot"}')
run_job "$J"
expect_job failed hook
[ ! -e "$T/snapshot.env" ] || fail "a hook in a group-writable directory ran"
chmod 755 "$HK"
ok "a hook in a group-writable hooks dir: refused, not run"

J=$(queue hook '{"name":"drain"}')
run_job "$J"
expect_job failed hook
jq_job .detail | grep -q "no such hook" || { show; fail "detail: $(jq_job .detail)"; }
ok "a hook job for a hook the host does not have: failed (hook), 'no such hook'"

# hook_timeout: a hook that never ends is killed with its process group
agent_conf deb "$R" "$T/tok" "lock_wait = 30
hooks_dir = $HK
hook_timeout = 1
reboot_command = $T/reboot.sh --sandbox-reboot"
add_hook drain "sleep 100000 & echo \$! > $T/drain.pid; echo 'drain: waiting'; wait"
J=$(queue hook '{"name":"drain"}')
run_job "$J"
expect_job failed hook
jq_job .detail | grep -q "timed out" || { show; fail "detail: $(jq_job .detail)"; }
jq_job .log | grep -q "drain: waiting" || { show; fail "the hook's output is not in the job log"; }
SP=$(cat "$T/drain.pid")
# SIGKILL went to the group; the orphan is gone once reaped (a zombie is dead already)
dead() { [ ! -e "/proc/$SP" ] || [ "$(awk '{ print $3 }' "/proc/$SP/stat" 2>/dev/null)" = Z ]; }
wait_for "the hook's child to die with its group" dead
ok "a hook past hook_timeout: killed with its child, failed (hook), its output kept"

echo "$PASSED passed, 0 failed"
