#!/bin/sh
# fleetpatch scan --root R against apt itself on a sandbox root built here: local repos
# (dpkg-deb + apt-ftparchive) with several versions, a NotAutomatic suite, a
# NotAutomatic+ButAutomaticUpgrades suite, a security suite, pins in preferences.d, a held
# package, a Multi-Arch: same pair (amd64 + i386), an epoch bump, a '~' pre-release and a
# phased update. Never touches the host's packages.
set -u
for t in dpkg-deb apt-ftparchive apt-get apt dpkg python3; do
        command -v $t >/dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done
BB=$(command -v busybox) || { echo "SKIP: busybox missing"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg --root)"; exit 77; }
NATIVE=$(dpkg --print-architecture)
FOREIGN=i386
[ "$NATIVE" = amd64 ] || { echo "SKIP: the multi-arch pair assumes amd64"; exit 77; }

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
R=$T/root
fail() { echo "FAIL: $*"; exit 1; }

# build NAME VERSION ARCH REPO [extra control lines]
build() {
        d=$T/src/$1-$2-$3; mkdir -p "$d/DEBIAN" "$T/$4"
        { printf 'Package: %s\nVersion: %s\nArchitecture: %s\n' "$1" "$2" "$3"
          printf 'Maintainer: t <t@example.org>\nDescription: fleetpatch sandbox test\n'
          [ $# -ge 5 ] && printf '%s\n' "$5"; } > "$d/DEBIAN/control"
        [ "$3" = all ] || printf 'Multi-Arch: same\n' >> "$d/DEBIAN/control"
        dpkg-deb -b --root-owner-group "$d" "$T/$4/$1_$2_$3.deb" >/dev/null 2>&1 || fail "dpkg-deb $1 $2"
}
# repo DIR SUITE CODENAME LABEL [extra Release options]
repo() {
        dir=$1; shift
        suite=$1; code=$2; label=$3; shift 3
        (cd "$T/$dir" && apt-ftparchive packages . > Packages 2>/dev/null &&
         apt-ftparchive -o APT::FTPArchive::Release::Origin=FPTest \
                -o APT::FTPArchive::Release::Suite="$suite" \
                -o APT::FTPArchive::Release::Codename="$code" \
                -o APT::FTPArchive::Release::Label="$label" "$@" release . > Release) ||
                fail "apt-ftparchive $dir"
}

build pkga 1.0 all main;  build pkga 1.1 all main;  build pkga 2.0 all exp
build pkgb 1.0 all main;  build pkgb 1.1 all main                        # held
build pkgc 1.5 all main;  build pkgc 1:1.0 all main                      # epoch bump
build pkgd 2.0~rc1 all main; build pkgd 2.0 all main; build pkgd 2.1~beta1 all exp
build pkge 1.0 all main;  build pkge 1.1 all main                        # pinned to 1.0
build pkgf 1.0 all main;  build pkgf 2.0 all exp                         # pinned to exp
build pkgg 1.0 all main;  build pkgg 1.0+deb1u1 all sec                  # security
build pkgh 1.0 all main;  build pkgh 1.1 all main 'Phased-Update-Percentage: 0'
build pkgi 1.0 all main;  build pkgi 1.1 all bpo                         # ButAutomaticUpgrades
build pkgj 1.0 all main;  build pkgj 0.9 all sec                         # older elsewhere
for a in $NATIVE $FOREIGN; do build libma 1.0 $a main; build libma 1.1 $a main; done
repo main stable sandbox FPTest
repo exp experimental sandbox-exp FPTest -o APT::FTPArchive::Release::NotAutomatic=yes
repo bpo stable-backports sandbox-backports FPTest \
        -o APT::FTPArchive::Release::NotAutomatic=yes \
        -o APT::FTPArchive::Release::ButAutomaticUpgrades=yes
repo sec stable-security sandbox-security Debian-Security

mkdir -p "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/info" "$R/var/lib/apt/lists/partial" \
        "$R/var/cache/apt/archives/partial" "$R/etc/apt/apt.conf.d" "$R/etc/apt/preferences.d" \
        "$R/etc/apt/sources.list.d" "$R/bin" "$R/var/log/apt"
touch "$R/var/lib/dpkg/status"
cp "$BB" "$R/bin/sh"
for r in main exp bpo sec; do echo "deb [trusted=yes] file:$T/$r ./"; done > "$R/etc/apt/sources.list"
printf 'APT::Architectures { "%s"; "%s"; };\n' "$NATIVE" "$FOREIGN" > "$R/etc/apt/apt.conf.d/10arch"
cat > "$R/etc/apt/preferences.d/fleetpatch-test" <<'PREF'
# a version pin above 1000 holds pkge at 1.0
Package: pkge
Pin: version 1.0
Pin-Priority: 1001

Package: pkgf
Pin: release n=sandbox-exp
Pin-Priority: 600
PREF
dpkg --root="$R" --add-architecture "$FOREIGN" || fail "dpkg --add-architecture"
A="-o Dir=$R -o Dir::State::status=$R/var/lib/dpkg/status -o DPkg::Options::=--root=$R
   -o DPkg::Options::=--log=$R/var/log/dpkg.log -o APT::Architectures::=$NATIVE
   -o APT::Architectures::=$FOREIGN -o Debug::NoLocking=1"
apt-get $A update > "$T/update.log" 2>&1 || { cat "$T/update.log"; fail "apt-get update"; }
apt-get $A -y install pkga=1.0 pkgb=1.0 pkgc=1.5 pkgd=2.0~rc1 pkge=1.0 pkgf=1.0 pkgg=1.0 \
        pkgh=1.0 pkgi=1.0 pkgj=1.0 "libma:$NATIVE=1.0" "libma:$FOREIGN=1.0" \
        > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "apt-get install"; }
echo "pkgb hold" | dpkg --root="$R" --set-selections || fail "hold"

apt $A list --upgradable 2>/dev/null > "$T/apt.raw"
sed -n -E 's|^([^/]+)/[^ ]* ([^ ]+) ([^ ]+) \[upgradable from: ([^]]+)\].*|\1 \3 \4 \2|p' \
        "$T/apt.raw" | sort > "$T/apt"
"$FLEETPATCH" scan --root "$R" --json > "$T/json" || fail "fleetpatch scan exit $?"
python3 -c 'import json,sys
for u in json.load(sys.stdin)["updates"]: print(u["name"], u["arch"], u["installed"], u["candidate"])' \
        < "$T/json" | sort > "$T/fp"
echo "--- apt list --upgradable:"; cat "$T/apt.raw"
diff -u "$T/apt" "$T/fp" || fail "fleetpatch scan differs from apt list --upgradable"

# Facts checked directly, so the test cannot pass by both sides being empty or wrong alike.
expect() { grep -qx "$1" "$T/fp" || fail "expected '$1'"; }
reject() { ! grep -q "$1" "$T/fp" || fail "unexpected '$1'"; }
expect "pkga all 1.0 1.1"                 # NotAutomatic 2.0 is not the candidate
expect "pkgc all 1.5 1:1.0"               # epoch bump
expect "pkgd all 2.0~rc1 2.0"             # ~ sorts before the release
expect "pkgf all 1.0 2.0"                 # release pin to the NotAutomatic suite
expect "pkgg all 1.0 1.0+deb1u1"          # security suite
expect "pkgb all 1.0 1.1"                 # held: apt list --upgradable still shows it
expect "pkgh all 1.0 1.1"                 # phased 0%: apt 2.6 lists it (phasing is upgrade-time)
reject "^pkgi "                           # ButAutomaticUpgrades 1.1 (100) < installed 1.0 in main (500)
expect "libma $NATIVE 1.0 1.1"
expect "libma $FOREIGN 1.0 1.1"
reject "^pkge "                           # version pin 1001 keeps 1.0
reject "^pkgj "                           # 0.9 is older: never a candidate below 1000
python3 - "$T/json" <<'PY' || fail "JSON facts"
import json, sys
u = {(x["name"], x["arch"]): x for x in json.load(open(sys.argv[1]))["updates"]}
g = u[("pkgg", "all")]
assert g["security"] and g["suites"] == "sandbox-security", g
assert not u[("pkga", "all")]["security"]
assert u[("pkga", "all")]["suites"] == "sandbox", u[("pkga", "all")]
if ("pkgb", "all") in u:
    assert u[("pkgb", "all")]["held"], u[("pkgb", "all")]
if ("pkgh", "all") in u:
    assert u[("pkgh", "all")]["phased_percent"] == 0
PY
"$FLEETPATCH" scan --root "$R" --security-only --json | python3 -c 'import json,sys
d=json.load(sys.stdin); assert [x["name"] for x in d["updates"]] == ["pkgg"], d' ||
        fail "--security-only"
echo "PASS: $(wc -l < "$T/fp") upgradable, identical to apt"
exit 0
