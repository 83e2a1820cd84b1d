#!/bin/sh
# fleetpatch scan on an RPM installroot must list exactly what `dnf check-update` lists there:
# the same name.arch, EVR and repo for every update, and the same "Obsoleting Packages" pairs.
# Packages are built here with rpmbuild (noarch and x86_64, an epoch bump, `~` and `^` versions,
# a rename with Obsoletes, an installonly package with two versions, an exclude=), served from two
# file:// repos, the second with a security advisory added by modifyrepo_c.
# Exit: 0 pass, 1 fail, 77 skip (tools missing). Never touches the host's packages.
set -u

for t in rpm rpmbuild createrepo_c modifyrepo_c dnf python3; do
        if ! command -v "$t" >/dev/null 2>&1; then
                echo "SKIP: $t not installed"
                exit 77
        fi
done
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: the packages are built for x86_64"; exit 77; }

T=$(mktemp -d /tmp/fp-dnf-sandbox.XXXXXX) || exit 1
HTTPD_PID=
cleanup() {
        [ -n "$HTTPD_PID" ] && kill "$HTTPD_PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT INT TERM
R=$T/root
# rpm and dnf read ~/.rpmmacros: put the installroot's database where RPM distributions keep it
# (Debian's rpm default is ~/.rpmdb), so the root looks like a real RPM host to fleetpatch too.
export HOME=$T/home
mkdir -p "$HOME" "$T/base" "$T/updates" "$T/pinned" "$T/web" "$T/dup" "$T/arm" "$T/specs" "$R/etc/yum.repos.d" "$R/etc/dnf"
echo '%_dbpath /var/lib/rpm' > "$HOME/.rpmmacros"
fail=0

# mkpkg NAME VERSION RELEASE ARCH REPO [EPOCH] [EXTRA SPEC LINES] (ARCH other than noarch is a
# --target; the packages hold one text file, so any arch builds here)
mkpkg() {
        spec=$T/specs/$1-$2-$3.spec
        {
                echo "Name: $1"
                echo "Version: $2"
                echo "Release: $3"
                [ -n "${6:-}" ] && echo "Epoch: $6"
                echo "Summary: fleetpatch test package"
                echo "License: MIT"
                [ "$4" = noarch ] && echo "BuildArch: noarch"
                [ "$4" != noarch ] && [ "$4" != x86_64 ] && echo "ExclusiveArch: $4"
                [ -n "${7:-}" ] && printf '%s\n' "$7"
                printf '%%description\ntest\n%%install\nmkdir -p %%{buildroot}/opt/%s\n' "$1"
                printf 'echo %s > %%{buildroot}/opt/%s/version-%s-%s\n' "$2" "$1" "$2" "$3"
                printf '%%files\n/opt/%s\n' "$1"
        } > "$spec"
        target=
        [ "$4" != noarch ] && target="--target $4"
        # shellcheck disable=SC2086
        if ! rpmbuild -bb --quiet $target --define "_topdir $T/build" --define "_rpmdir $T/$5" \
                --define "debug_package %{nil}" --define "_build_id_links none" \
                "$spec" > "$T/rpmbuild.log" 2>&1; then
                cat "$T/rpmbuild.log"
                echo "FAIL: rpmbuild $1-$2-$3"
                exit 1
        fi
}

# base: what gets installed, plus a few versions that are not the newest
mkpkg alpha 1.0 1 noarch base
mkpkg alpha 1.1 1 noarch base
mkpkg bravo 1.0 1 x86_64 base
mkpkg delta '2.0~rc1' 1 x86_64 base
mkpkg echo 3.0 1 x86_64 base
mkpkg echo '3.0~beta' 1 x86_64 base
mkpkg foxtrot 1.0 1 noarch base
mkpkg hotel 1.0 1 x86_64 base
mkpkg india 1.0 1 noarch base
mkpkg juliet 1.0 1 x86_64 base
mkpkg kilo 1.0 1 x86_64 base
mkpkg lima 1.0 1 x86_64 base
mkpkg mike 1.0 1 x86_64 base
mkpkg mike 1.5 1 x86_64 base
mkpkg mike 2.0 1 x86_64 base
mkpkg oscar 1.0 1 x86_64 base
# updates
mkpkg alpha 1.2 1 noarch updates
mkpkg bravo 0.9 1 x86_64 updates 1
mkpkg delta '2.0~rc2' 1 x86_64 updates
mkpkg delta 2.0 1 x86_64 updates
mkpkg echo '3.0^20240101' 1 x86_64 updates
mkpkg golf 2.0 1 noarch updates '' 'Obsoletes: foxtrot < 2.0
Provides: foxtrot = 2.0-1'
mkpkg india 1.1 1 x86_64 updates
mkpkg juliet 1.1 1 x86_64 updates
mkpkg juliet 1.2 1 x86_64 updates
mkpkg kilo 1.1 1 x86_64 updates
mkpkg lima 2.0 1 x86_64 updates
mkpkg mike 3.0 1 x86_64 updates
mkpkg oscar 3.0 1 x86_64 updates '' 'Obsoletes: oscar < 2.0'
# pinned (priority=10): its kilo is older than updates' but wins, as dnf prefers priority to EVR
mkpkg kilo 1.0.5 1 x86_64 pinned
# web: served over HTTP on loopback, so fleetpatch must read dnf's cache of it
mkpkg hotel 2.0 1 x86_64 web
# arm: an aarch64 build of india. dnf check-update offers it for the installed noarch india even
# on x86_64 (what_upgrades allows noarch<->any arch and check-update does not filter by machine)
mkpkg india 5.0 1 aarch64 arm

createrepo_c -q "$T/base" || exit 1
createrepo_c -q "$T/updates" || exit 1
createrepo_c -q "$T/pinned" || exit 1
createrepo_c -q "$T/web" || exit 1
# dup: the same alpha-1.2-1 file as updates; dnf lists the update once per repo
cp "$T"/updates/noarch/alpha-1.2-1.noarch.rpm "$T/dup/" || exit 1
createrepo_c -q "$T/dup" || exit 1
createrepo_c -q "$T/arm" || exit 1
cat > "$T/updateinfo.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="security@example.org" status="stable" type="security" version="2.0">
    <id>FP-2026-0001</id>
    <title>juliet: buffer overflow</title>
    <severity>Important</severity>
    <issued date="2026-01-02 00:00:00"/>
    <description>Fixes CVE-2026-0001.</description>
    <pkglist>
      <collection short="updates">
        <name>updates</name>
        <package name="juliet" version="1.1" release="1" epoch="0" arch="x86_64" src="juliet-1.1-1.src.rpm">
          <filename>juliet-1.1-1.x86_64.rpm</filename>
        </package>
        <package name="zulu" version="9.0" release="1" epoch="0" arch="x86_64" src="zulu-9.0-1.src.rpm">
          <filename>zulu-9.0-1.x86_64.rpm</filename>
        </package>
      </collection>
    </pkglist>
  </update>
  <update from="security@example.org" status="stable" type="security" version="2.0">
    <id>FP-2026-0003</id>
    <title>four packages, three rules of dnf's --security</title>
    <pkglist>
      <collection short="updates">
        <name>updates</name>
        <!-- security: candidate 1:0.9-1 is not older than 0:1.1-1, installed 0:1.0-1 is -->
        <package name="bravo" version="1.1" release="1" epoch="0" arch="x86_64"/>
        <!-- not: the newest installed mike (2.0) is newer than 1.5 -->
        <package name="mike" version="1.5" release="1" epoch="0" arch="x86_64"/>
        <!-- not: no india.x86_64 is installed (india.noarch is) -->
        <package name="india" version="1.1" release="1" epoch="0" arch="x86_64"/>
        <!-- security: golf obsoletes an installed package; dnf ignores that 1.0 does not exist -->
        <package name="golf" version="1.0" release="1" epoch="0" arch="noarch"/>
      </collection>
    </pkglist>
  </update>
  <update from="bugs@example.org" status="stable" type="bugfix" version="2.0">
    <id>FP-2026-0002</id>
    <title>kilo: bug fix</title>
    <pkglist>
      <collection short="updates">
        <name>updates</name>
        <package name="kilo" version="1.1" release="1" epoch="0" arch="x86_64" src="kilo-1.1-1.src.rpm">
          <filename>kilo-1.1-1.x86_64.rpm</filename>
        </package>
      </collection>
    </pkglist>
  </update>
</updates>
EOF
modifyrepo_c --mdtype=updateinfo "$T/updateinfo.xml" "$T/updates/repodata" > /dev/null || exit 1

printf '[main]\ngpgcheck=0\ninstallonlypkgs=mike\ninstallonly_limit=3\n' > "$R/etc/dnf/dnf.conf"
printf '[base]\nname=base\nbaseurl=file://%s/base\ngpgcheck=0\n' "$T" > "$R/etc/yum.repos.d/base.repo"
printf '[updates]\nname=updates $releasever $basearch\nbaseurl=file://%s/updates\ngpgcheck=0\nexclude=lima*\n' \
        "$T" > "$R/etc/yum.repos.d/updates.repo"
printf '[pinned]\nname=pinned\nbaseurl=file://%s/pinned\ngpgcheck=0\npriority=10\n' "$T" \
        > "$R/etc/yum.repos.d/pinned.repo"
for r in dup arm; do
        printf '[%s]\nname=%s\nbaseurl=file://%s/%s\ngpgcheck=0\n' "$r" "$r" "$T" "$r" > "$R/etc/yum.repos.d/$r.repo"
done
# A loopback HTTP server for the web repo; without it the web repo is left out of the test.
port=$((20000 + $$ % 20000))
(cd "$T/web" && exec python3 -m http.server --bind 127.0.0.1 "$port") > "$T/httpd.log" 2>&1 &
HTTPD_PID=$!
web=0
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/repodata/repomd.xml')" 2>/dev/null; then
                web=1
                break
        fi
        sleep 0.2
done
if [ $web -eq 1 ]; then
        printf '[web]\nname=web\nbaseurl=http://127.0.0.1:%s/\ngpgcheck=0\n' "$port" > "$R/etc/yum.repos.d/web.repo"
else
        echo "note: no loopback HTTP server; the dnf-cache case is not covered in this run"
fi
# A disabled remote repo must be ignored by both.
printf '[remote]\nname=remote\nbaseurl=https://mirror.invalid/$releasever/\nenabled=0\n' \
        > "$R/etc/yum.repos.d/remote.repo"

D="--installroot=$R --config=$R/etc/dnf/dnf.conf --setopt=reposdir=$R/etc/yum.repos.d --releasever=9 --setopt=cachedir=$R/var/cache/dnf"
# shellcheck disable=SC2086
if ! dnf -y -q $D --disablerepo=updates install alpha-1.0-1 bravo-1.0-1 'delta-2.0~rc1-1' \
        echo-3.0-1 foxtrot-1.0-1 hotel-1.0-1 india-1.0-1 juliet-1.0-1 kilo-1.0-1 lima-1.0-1 \
        mike-1.0-1 mike-2.0-1 oscar-1.0-1 > "$T/install.log" 2>&1; then
        cat "$T/install.log"
        echo "FAIL: dnf install into the sandbox"
        exit 1
fi
# exclude= naming only the installed alpha: dnf still offers alpha's update.
echo 'exclude=alpha-1.0-1' >> "$R/etc/dnf/dnf.conf"
echo "installed: $(rpm --root "$R" -qa | sort | tr '\n' ' ')"

# dnf's table -> "name.arch<TAB>evr<TAB>repo" and "OBS new.arch evr repo old.arch old-evr".
# Long names make dnf wrap a row; rows are joined until they have three columns.
parse_dnf() {
        python3 -c '
import sys
rows, obs, section, pend = [], [], "up", []
for line in sys.stdin.read().splitlines():
    if not line.strip() or line.startswith("Last metadata") or line.startswith("Security:"):
        continue
    if line.startswith("Obsoleting Packages"):
        section = "obs"; continue
    indented = line.startswith(" ")
    pend += line.split()
    if len(pend) < 3:
        continue
    if section == "up":
        rows.append("%s\t%s\t%s" % tuple(pend[:3]))
    elif not indented:
        cur = pend[:3]
    else:
        obs.append("OBS\t%s\t%s\t%s\t%s\t%s" % (cur[0], cur[1], cur[2], pend[0], pend[1]))
    pend = []
for r in sorted(rows) + sorted(obs):
    print(r)
'
}

# fleetpatch's answer in the same shape, from the CLI itself (what users run).
run_fleetpatch() {
        # shellcheck disable=SC2086
        if ! "$FLEETPATCH" scan --root "$R" --json $1 > "$T/fp.json" 2> "$T/fp.err"; then
                cat "$T/fp.err"
                echo "FAIL: fleetpatch scan --root of an RPM root failed"
                return 1
        fi
        python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
if not isinstance(d, dict) or "obsoletes" not in d or "updates" not in d:
    sys.exit("the CLI JSON lacks \"updates\" or \"obsoletes\"")
# dnf prints one row per repo offering the candidate: suites lists them for RPM.
rows = ["%s.%s\t%s\t%s" % (u["name"], u["arch"], u["candidate"], r)
        for u in d["updates"] for r in (u.get("suites") or u.get("origin") or "").split(",")]
obs = ["OBS\t%s.%s\t%s\t%s\t%s.%s\t%s" % (o["name"], o["arch"], o["candidate"], o["origin"],
       o["old_name"], o["old_arch"], o["old_installed"]) for o in d["obsoletes"]]
for r in sorted(rows) + sorted(obs):
    print(r)
' "$T/fp.json" > "$T/fp.out" || { echo "FAIL: cannot read the CLI's JSON:"; cat "$T/fp.json"; return 1; }
}

compare() { # $1: label, $2: extra dnf args, $3: extra fleetpatch args
        # shellcheck disable=SC2086
        dnf -q $D check-update $2 > "$T/dnf.txt" 2> "$T/dnf.err"
        rc=$?
        if [ $rc -ne 100 ] && [ $rc -ne 0 ]; then
                cat "$T/dnf.err"
                echo "FAIL($1): dnf check-update exited $rc"
                fail=1
                return
        fi
        parse_dnf < "$T/dnf.txt" > "$T/dnf.out"
        run_fleetpatch "$3" || { fail=1; return; }
        if diff -u "$T/dnf.out" "$T/fp.out"; then
                echo "ok($1): $(grep -vc '^OBS' "$T/dnf.out") updates and $(grep -c '^OBS' "$T/dnf.out") obsoletes agree with dnf check-update (exit $rc)"
        else
                echo "FAIL($1): dnf check-update (-) and fleetpatch scan (+) differ"
                fail=1
        fi
        cp "$T/dnf.out" "$T/dnf-$1.out"
}

expect() { # $1: label, $2: a line that must be in both answers
        if ! grep -qxF "$2" "$T/dnf-$1.out"; then
                echo "FAIL($1): expected fact missing from dnf's answer: $2"
                fail=1
        fi
}
expect_not() {
        if grep -q "$2" "$T/dnf-$1.out"; then
                echo "FAIL($1): unexpected in dnf's answer: $2"
                fail=1
        fi
}

compare all "" ""
# The facts the test is about, so it cannot pass with both answers empty or both wrong alike.
tab=$(printf '\t')
expect all "alpha.noarch${tab}1.2-1${tab}updates"
expect all "alpha.noarch${tab}1.2-1${tab}dup"
expect all "india.aarch64${tab}5.0-1${tab}arm"
expect all "bravo.x86_64${tab}1:0.9-1${tab}updates"
expect all "delta.x86_64${tab}2.0-1${tab}updates"
expect all "echo.x86_64${tab}3.0^20240101-1${tab}updates"
expect all "india.x86_64${tab}1.1-1${tab}updates"
expect all "juliet.x86_64${tab}1.2-1${tab}updates"
expect all "mike.x86_64${tab}3.0-1${tab}updates"
expect all "oscar.x86_64${tab}3.0-1${tab}updates"
expect all "OBS${tab}oscar.x86_64${tab}3.0-1${tab}updates${tab}oscar.x86_64${tab}1.0-1"
expect all "OBS${tab}golf.noarch${tab}2.0-1${tab}updates${tab}foxtrot.noarch${tab}1.0-1"
[ $web -eq 1 ] && expect all "hotel.x86_64${tab}2.0-1${tab}web"
expect all "kilo.x86_64${tab}1.0.5-1${tab}pinned"
expect_not all "^lima"

compare security "--security" "--security-only"
expect security "juliet.x86_64${tab}1.2-1${tab}updates"
expect security "bravo.x86_64${tab}1:0.9-1${tab}updates"
expect security "OBS${tab}golf.noarch${tab}2.0-1${tab}updates${tab}foxtrot.noarch${tab}1.0-1"
expect_not security "^mike"
expect_not security "^india"
expect_not security "^kilo"
expect_not security "^hotel"

if [ $fail -ne 0 ]; then
        echo "--- dnf check-update output"; cat "$T/dnf.txt"
        exit 1
fi
echo "PASS"
exit 0
