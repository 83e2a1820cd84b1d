#!/bin/sh
# The dnf backend against real dnf 4 and rpm on an installroot built here (never the host's
# packages): plans agree with dnf's own --assumeno table and change nothing; exact installs,
# upgrades and the rollback from a kept file; every refusal and failure reason the backend
# maps (downgrades, removals, not-found, script, locked, untrusted), each checked against what
# rpm says is installed afterwards.
# Exit: 0 pass, 1 fail, 77 skip (not root, tools or be_cli missing).
set -u

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (dnf --installroot)"; exit 77; }
for t in rpm rpmbuild createrepo_c dnf busybox python3; do
        command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
[ -n "${BE_CLI:-}" ] && [ -x "$BE_CLI" ] || { echo "SKIP: BE_CLI (tests/tools/be_cli) not built"; exit 77; }

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/rpmrepo.sh"

T=$(mktemp -d /tmp/fp-be-dnf.XXXXXX) || exit 1
LOCKER=
cleanup() {
        [ -n "$LOCKER" ] && kill "$LOCKER" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT INT TERM
# rpm's database where RPM distributions keep it (Debian's rpm default is ~/.rpmdb); be_cli,
# dnf and rpm below all read this HOME.
export HOME=$T/home
mkdir -p "$HOME" "$T/cache"
echo '%_dbpath /var/lib/rpm' > "$HOME/.rpmmacros"
R=$T/root
REPO=$T/repo
rpmrepo_build "$REPO" || { echo "FAIL: rpmrepo_build"; exit 1; }
rpmroot_new "$R" "$REPO" || { echo "FAIL: rpmroot_new"; exit 1; }
fail=0

# be CMD ARGS...: run be_cli, its JSON in $T/out.json, its exit status in $rc
be() {
        "$BE_CLI" dnf "$R" "$T/cache" "$@" > "$T/out.json" 2> "$T/out.log"
        rc=$?
}
# jq-like checks on $T/out.json with python: j EXPR (prints the value)
j() {
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
                "$T/out.json" "$1"
}
check() { # LABEL EXPR EXPECTED
        got=$(j "$2")
        if [ "$got" = "$3" ]; then
                echo "ok($1): $2 = $3"
        else
                echo "FAIL($1): $2 = $got, expected $3"
                cat "$T/out.json"
                tail -20 "$T/out.log"
                fail=1
        fi
}
qa() { rpm --root "$R" -qa | sort; }
installed() { # LABEL NAME EXPECTED-NEVRA
        got=$(rpm --root "$R" -q "$2" 2>&1)
        if [ "$got" = "$3" ]; then
                echo "ok($1): rpm -q $2 = $3"
        else
                echo "FAIL($1): rpm -q $2 = $got, expected $3"
                fail=1
        fi
}
PLAN='" ".join("%s:%s:%s:%s>%s" % (c["action"], c["name"], c["arch"], c["from"], c["to"]) for c in d["plan"])'

be refresh
check refresh 'd["ok"]' True

# simulate: the dependency 2.0 pulls in, and nothing changes
qa > "$T/qa.before"
be simulate hello-fp=2.0-1
check simulate 'd["ok"]' True
check simulate "$PLAN" 'install:hello-fp:noarch:None>2.0-1 install:libhello-fp:noarch:None>1.0-1'
qa > "$T/qa.after"
if cmp -s "$T/qa.before" "$T/qa.after"; then
        echo "ok(simulate): rpm -qa unchanged ($(wc -l < "$T/qa.after") packages)"
else
        echo "FAIL(simulate): rpm -qa changed"; diff "$T/qa.before" "$T/qa.after"; fail=1
fi
# dnf's own table for the same request names the same packages and versions
dnf --installroot="$R" --setopt=reposdir="$R/etc/yum.repos.d" --config="$R/etc/dnf/dnf.conf" \
        --releasever=9 --setopt=cachedir=/var/cache/dnf --assumeno install hello-fp-2.0-1 \
        > "$T/dnf.txt" 2>&1
awk '/^ (hello-fp|libhello-fp) / { print $1 ":" $3 }' "$T/dnf.txt" | sort > "$T/dnf.rows"
j '"\n".join(sorted("%s:%s" % (c["name"], c["to"]) for c in d["plan"]))' > "$T/be.rows"
if [ -s "$T/dnf.rows" ] && cmp -s "$T/dnf.rows" "$T/be.rows"; then
        echo "ok(simulate): the plan matches dnf --assumeno: $(tr '\n' ' ' < "$T/dnf.rows")"
else
        echo "FAIL(simulate): plan differs from dnf --assumeno"; cat "$T/dnf.txt"; cat "$T/be.rows"
        fail=1
fi

# exact install, keep, upgrade, refused downgrade, rollback from the kept file
be apply hello-fp=1.0-1
check install 'd["ok"]' True
check install "$PLAN" 'install:hello-fp:noarch:None>1.0-1'
installed install hello-fp hello-fp-1.0-1.noarch
be keep hello-fp=1.0-1
check keep 'd["ok"]' True
kept=$(j 'd["paths"][0]')
if [ -f "$kept" ] && [ "$(rpm -qp "$kept" 2>/dev/null)" = hello-fp-1.0-1.noarch ]; then
        echo "ok(keep): $kept is hello-fp-1.0-1.noarch"
else
        echo "FAIL(keep): no copy of hello-fp-1.0-1 ($kept)"; cat "$T/out.json"; fail=1
fi
be keep hello-fp=7.0-1
check keep-missing 'd["paths"][0]' None
be apply hello-fp=1.1-1
check upgrade 'd["ok"]' True
check upgrade "$PLAN" 'upgrade:hello-fp:noarch:1.0-1>1.1-1'
installed upgrade hello-fp hello-fp-1.1-1.noarch
be apply --file "$kept"
check no-downgrade 'd["reason"]' downgrades
installed no-downgrade hello-fp hello-fp-1.1-1.noarch
be apply --allow-downgrade --file "$kept"
check rollback 'd["ok"]' True
check rollback "$PLAN" 'downgrade:hello-fp:noarch:1.1-1>1.0-1'
installed rollback hello-fp hello-fp-1.0-1.noarch

# removals need permission: libhello-fp is required by hello-fp 2.0
be apply hello-fp=2.0-1
check dep 'd["ok"]' True
installed dep libhello-fp libhello-fp-1.0-1.noarch
qa > "$T/qa.before"
be apply --remove libhello-fp
check removals 'd["reason"]' removals
check removals "$PLAN" 'remove:hello-fp:noarch:2.0-1>None remove:libhello-fp:noarch:1.0-1>None'
qa > "$T/qa.after"
cmp -s "$T/qa.before" "$T/qa.after" && echo "ok(removals): nothing changed" ||
        { echo "FAIL(removals): rpm -qa changed"; fail=1; }
# a rollback of the 2.0 upgrade: back to 1.1 and the new dependency removed
be apply --allow-downgrade --remove libhello-fp hello-fp=1.1-1
check undo-dep 'd["ok"]' True
check undo-dep "$PLAN" 'downgrade:hello-fp:noarch:2.0-1>1.1-1 remove:libhello-fp:noarch:1.0-1>None'
installed undo-dep hello-fp hello-fp-1.1-1.noarch
installed undo-dep libhello-fp 'package libhello-fp is not installed'

# no such version
be apply hello-fp=9.9-1
check not-found 'd["reason"]' not-found
installed not-found hello-fp hello-fp-1.1-1.noarch

# %post exits 1: rpm keeps the package installed and dnf says "Complete!"; the backend says script
be apply failing-fp=1.0-1
check script-base 'd["ok"]' True
be apply failing-fp=1.1-1
check script 'd["reason"]' script
installed script failing-fp failing-fp-1.1-1.noarch
grep -q 'scriptlet failed' "$T/out.log" && echo "ok(script): dnf's line is in the log" ||
        { echo "FAIL(script): no scriptlet line in the streamed log"; fail=1; }

# dnf's rpmdb lock held by a live process: locked without waiting (lock-wait 0)
mkdir -p "$R/var/lib/dnf"
sleep 3600 &
LOCKER=$!
printf '%s' "$LOCKER" > "$R/var/lib/dnf/rpmdb_lock.pid"
be apply --lock-wait 0 hello-fp=1.0-1
check locked 'd["reason"]' locked
installed locked hello-fp hello-fp-1.1-1.noarch
kill "$LOCKER"; wait "$LOCKER" 2>/dev/null; LOCKER=
rm -f "$R/var/lib/dnf/rpmdb_lock.pid"

be recover
check recover 'd["ok"]' True

# tampered repodata: primary.xml.gz no longer has the checksum repomd.xml gives
cp -a "$REPO" "$T/tampered"
P=$(ls "$T"/tampered/repodata/*primary.xml.gz)
zcat "$P" | sed 's/fleetpatch test package/tampered/' | gzip > "$P.new" && mv "$P.new" "$P"
printf '[local]\nname=local\nbaseurl=file://%s/tampered\ngpgcheck=0\n' "$T" > "$R/etc/yum.repos.d/local.repo"
be refresh
check untrusted 'd["reason"]' untrusted

[ $fail -eq 0 ] || exit 1
echo "PASS"
