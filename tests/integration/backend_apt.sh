#!/bin/sh
# The apt backend (src/agent/backend/apt.c) through be_cli against real apt and dpkg on
# sandbox roots built here (tests/integration/lib/debrepo.sh): plans, exact installs,
# keep + rollback, refusals (removals, downgrades, held, not-found, locked, untrusted),
# a failing postinst and recovery, conffile policy. Every outcome is checked against dpkg's
# database or apt's own answer. Never touches the machine's own packages.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root)"; exit 77; }
for t in dpkg dpkg-deb dpkg-query apt-get apt apt-ftparchive busybox gpg gpgv python3; do
        command -v $t >/dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done
[ -n "${BE_CLI:-}" ] && [ -x "$BE_CLI" ] || { echo "SKIP: BE_CLI not built"; exit 77; }
SRC=${FP_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/integration/lib/debrepo.sh"

T=$(mktemp -d) || exit 1
HOLDER=
cleanup() {
        [ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail() {
        echo "FAIL: $*"
        echo "--- last backend output:"; tail -30 "$T/log" 2>/dev/null
        exit 1
}
R=$T/root
C=$T/cache
mkdir -m 700 "$C"
debrepo_build "$T/d" || fail "debrepo_build"
debroot_new "$R" "$T/d/repo" || fail "debroot_new"
A=$(debroot_apt_opts "$R")

# be ARGS...: run be_cli on the root, its JSON in $OUT, exit status in $RC
be() {
        echo "== be_cli $*" >>"$T/log"
        OUT=$("$BE_CLI" apt "$R" "$C" "$@" 2>>"$T/log")
        RC=$?
        echo "=> $OUT" >>"$T/log"
}
# js EXPR: a Python expression over the last answer o
js() {
        python3 -c 'import json,sys; o=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' \
                "$OUT" "$1"
}
expect_ok() {
        [ "$RC" = 0 ] && [ "$(js 'o["ok"]')" = True ] || fail "$1: expected ok, got $OUT"
}
expect_reason() {
        [ "$RC" = 1 ] && [ "$(js 'o["reason"]')" = "$2" ] ||
                fail "$1: expected reason $2, got $OUT"
}
# ver NAME: the version dpkg has installed ("" when none)
ver() {
        dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Version}' "$1" 2>/dev/null
}
status_of() {
        dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' "$1" 2>/dev/null
}
# plan_str: the plan as "action name arch from to;" sorted as the backend sorts it
plan_str() {
        js '"".join("%s %s %s %s %s;" % (c["action"], c["name"], c["arch"], c["from"], c["to"]) for c in o["plan"])'
}

# --- refresh, simulate (nothing changes, the plan is apt's) --------------------------------
be refresh; expect_ok refresh
cp "$R/var/lib/dpkg/status" "$T/status.before"
be simulate hello-fp=2.0; expect_ok "simulate 2.0"
[ "$(plan_str)" = "install hello-fp all None 2.0;install libhello-fp all None 1.0;" ] ||
        fail "simulate 2.0 plan: $(plan_str)"
# apt's own answer: the same packages in its Inst lines
apt_inst=$(apt-get $A -s install hello-fp=2.0 2>/dev/null | awk '/^Inst /{print $2}' | sort | tr '\n' ' ')
[ "$apt_inst" = "hello-fp libhello-fp " ] || fail "apt-get -s says: $apt_inst"
cmp -s "$T/status.before" "$R/var/lib/dpkg/status" || fail "simulate changed the dpkg status"
[ -z "$(ver hello-fp)" ] || fail "simulate installed hello-fp"

# --- apply exact versions ------------------------------------------------------------------
be apply hello-fp=1.0; expect_ok "apply 1.0"
[ "$(ver hello-fp)" = 1.0 ] || fail "hello-fp is $(ver hello-fp) after apply 1.0"
[ "$(plan_str)" = "install hello-fp all None 1.0;" ] || fail "apply 1.0 plan: $(plan_str)"
be keep hello-fp=1.0; expect_ok keep
KEPT=$(js 'o["paths"][0]')
[ -f "$KEPT" ] || fail "keep gave no file: $OUT"
[ "$(dpkg-deb -f "$KEPT" Package Version | tr '\n' ' ')" = "Package: hello-fp Version: 1.0 " ] ||
        fail "kept file is not hello-fp 1.0: $KEPT"
be keep nosuch-fp=3.0; expect_ok "keep of an unavailable version"
[ "$(js 'o["paths"][0]')" = None ] || fail "keep of nosuch-fp gave a path: $OUT"

be apply hello-fp=1.1; expect_ok "apply 1.1"
[ "$(ver hello-fp)" = 1.1 ] || fail "hello-fp is $(ver hello-fp) after apply 1.1"
[ "$(plan_str)" = "upgrade hello-fp all 1.0 1.1;" ] || fail "apply 1.1 plan: $(plan_str)"
[ "$(cat "$R/opt/hello-fp/version")" = 1.1 ] || fail "1.1's file not on disk"
# apt's own view of the sandbox: 2.0 is the upgrade, and our plan for it says so
apt $A list --upgradable 2>/dev/null | grep -q '^hello-fp/.* 2.0 all \[upgradable from: 1.1\]' ||
        fail "apt list --upgradable disagrees: $(apt $A list --upgradable 2>/dev/null)"
be simulate hello-fp=2.0; expect_ok "simulate upgrade"
[ "$(plan_str)" = "upgrade hello-fp all 1.1 2.0;install libhello-fp all None 1.0;" ] ||
        fail "simulate upgrade plan: $(plan_str)"
# an install of the version present plans nothing and changes nothing
be apply hello-fp=1.1; expect_ok "apply same"
[ "$(js 'len(o["plan"])')" = 0 ] || fail "apply of the installed version planned: $OUT"

# --- rollback from the kept file -------------------------------------------------------------
be apply --file "$KEPT"; expect_reason "rollback without permission" downgrades
[ "$(ver hello-fp)" = 1.1 ] || fail "a refused downgrade changed hello-fp"
be apply --allow-downgrade --file "$KEPT"; expect_ok "rollback"
[ "$(plan_str)" = "downgrade hello-fp all 1.1 1.0;" ] || fail "rollback plan: $(plan_str)"
[ "$(ver hello-fp)" = 1.0 ] && [ "$(cat "$R/opt/hello-fp/version")" = 1.0 ] ||
        fail "rollback left hello-fp $(ver hello-fp)"

# --- removals need permission --------------------------------------------------------------
cp "$R/var/lib/dpkg/status" "$T/status.before"
be apply conflict-fp=1.0; expect_reason "conflicting install" removals
[ "$(plan_str)" = "install conflict-fp all None 1.0;remove hello-fp all 1.0 None;" ] ||
        fail "removal plan: $(plan_str)"
cmp -s "$T/status.before" "$R/var/lib/dpkg/status" || fail "a refused plan changed dpkg status"
be simulate --allow-remove conflict-fp=1.0; expect_ok "removal allowed"
be simulate --remove hello-fp; expect_ok "removal named"
[ "$(plan_str)" = "remove hello-fp all 1.0 None;" ] || fail "named removal: $(plan_str)"

# --- not found --------------------------------------------------------------------------------
be simulate hello-fp=9.9; expect_reason "unknown version" not-found
js 'o["message"]' | grep -q "Version '9.9' for 'hello-fp' was not found" || fail "message: $OUT"
be apply nosuch-fp=1.0; expect_reason "unknown package" not-found

# --- held ----------------------------------------------------------------------------------
echo "hello-fp hold" | dpkg --root="$R" --set-selections || fail "set-selections"
be apply hello-fp=1.1; expect_reason "held package" held
[ "$(ver hello-fp)" = 1.0 ] || fail "a held package changed"
apt-get $A -s -y install hello-fp=1.1 >/dev/null 2>&1 && fail "apt itself changes the held package"
echo "hello-fp install" | dpkg --root="$R" --set-selections

# --- lock ----------------------------------------------------------------------------------
mkfifo "$T/fifo"
python3 -c 'import fcntl,sys
f = open(sys.argv[1], "a"); fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); sys.stdin.read()' \
        "$R/var/lib/dpkg/lock-frontend" "$T/locked" <"$T/fifo" &
HOLDER=$!
exec 3>"$T/fifo"
while [ ! -e "$T/locked" ]; do
        kill -0 "$HOLDER" 2>/dev/null || fail "lock holder died"
        sleep 0.1
done
be apply --lock-wait 1 hello-fp=1.1; expect_reason "lock held" locked
js 'o["message"]' | grep -q "held by process $HOLDER" || fail "lock message: $OUT"
[ "$(ver hello-fp)" = 1.0 ] || fail "hello-fp changed while locked"
exec 3>&-
wait "$HOLDER"
HOLDER=
be apply --lock-wait 1 hello-fp=1.1; expect_ok "apply after the lock is gone"

# --- conffile: the local change is kept (confold) ------------------------------------------
be apply hello-fp-conf=1.0; expect_ok "conf 1.0"
[ "$(cat "$R/etc/hello-fp.conf")" = greeting=one ] || fail "conffile 1.0 content"
echo greeting=local >"$R/etc/hello-fp.conf"
be apply hello-fp-conf=1.1; expect_ok "conf 1.1"
[ "$(ver hello-fp-conf)" = 1.1 ] || fail "hello-fp-conf not upgraded"
[ "$(cat "$R/etc/hello-fp.conf")" = greeting=local ] || fail "local conffile overwritten"
[ "$(cat "$R/etc/hello-fp.conf.dpkg-dist")" = greeting=two ] || fail "no .dpkg-dist with 1.1's file"

# --- failing postinst, recovery -------------------------------------------------------------
be apply failing-fp=1.0; expect_ok "failing-fp 1.0"
be apply failing-fp=1.1; expect_reason "failing postinst" script
[ "$(status_of failing-fp)" = "install ok half-configured" ] ||
        fail "failing-fp is '$(status_of failing-fp)' after its postinst failed"
be recover; expect_reason "recover with the postinst still failing" script
dpkg --root="$R" --audit | grep -q failing-fp || fail "dpkg --audit does not list failing-fp"
[ "$(status_of failing-fp)" = "install ok half-configured" ] || fail "recover changed the state"
be apply --allow-downgrade failing-fp=1.0; expect_ok "failing-fp back to 1.0"
be recover; expect_ok "recover when consistent"
[ -z "$(dpkg --root="$R" --audit)" ] || fail "dpkg --audit not clean: $(dpkg --root="$R" --audit)"
[ "$(status_of failing-fp) $(ver failing-fp)" = "install ok installed 1.0" ] ||
        fail "failing-fp is $(status_of failing-fp) $(ver failing-fp)"

# --- untrusted repositories ----------------------------------------------------------------
debrepo_build "$T/s" || fail "debrepo_build signed"
debrepo_sign "$T/s" "$T/gnupg" || fail "debrepo_sign"
R=$T/root-signed
debroot_new "$R" "$T/s/repo" signed || fail "debroot_new signed"
be refresh; expect_ok "refresh of a signed repository"
be simulate hello-fp=1.1; expect_ok "simulate from the signed repository"
R=$T/root-tampered
debroot_new "$R" "$T/s/repo" signed || fail "debroot_new tampered"
sed -i 's/^Description: fleetpatch backend test package$/Description: fleetpatch backend test packagf/' \
        "$T/s/repo/Packages"
be refresh; expect_reason "tampered Packages" untrusted
R=$T/root-unsigned
debroot_new "$R" "$T/d/repo" || fail "debroot_new unsigned"
echo "deb file:$T/d/repo ./" >"$R/etc/apt/sources.list"
be refresh; expect_reason "unsigned repository" untrusted
echo "PASS"
