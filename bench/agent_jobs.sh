#!/bin/sh
# Benchmark: the agent's own cost per job. `fleetpatch-agent --timing run-job` (docs/agent.md)
# reports each job's total time, the package manager's own time inside it and the rest, the
# agent's overhead; the goal is an overhead of at most 100 ms per job. The reference, measured
# in the same run on a sandbox root of its own, is plain
#   apt-get $(debroot_apt_opts R) -y [--allow-downgrades] install hello-fp=V
# with APT_CONFIG naming only the sandbox's configuration, as the agent runs it (and dnf install
# hello-fp-V with the agent's dnf options on an RPM installroot when rpm, dnf and createrepo_c
# exist).
# Each of N rounds installs hello-fp 1.1 then goes back to 1.0 (allow_downgrade), agent and
# reference interleaved; then N no-op jobs (hello-fp 1.0 again: the plan is empty). Sandbox
# roots only (tests/integration/lib/debrepo.sh, rpmrepo.sh), never this machine's packages.
# No pass/fail: numbers only, exit 0 (1 only when the setup or a job failed, 77 when it cannot
# run here).
# Usage, as root:  bench/agent_jobs.sh [BUILD_DIR] [ROUNDS]    (defaults: build, 10)
#   or:            meson test -C BUILD --benchmark -v agent_jobs
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ROUNDS=${2:-10}
AGENT="$BUILD/src/agent/daemon/fleetpatch-agent"
case $AGENT in /*) ;; *) AGENT=$PWD/$AGENT ;; esac
[ -x "$AGENT" ] || { echo "build first: $AGENT not found" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (dpkg --root, rpm --root chroot)"; exit 77; }
for t in apt-get dpkg-deb apt-ftparchive busybox; do
        command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
RPM=yes
for t in rpm rpmbuild dnf createrepo_c; do
        command -v "$t" >/dev/null 2>&1 || RPM=
done

. tests/integration/lib/debrepo.sh
. tests/integration/lib/rpmrepo.sh
T=$(mktemp -d /tmp/fp-bench-jobs.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
# rpm and dnf read ~/.rpmmacros: the installroot's database where RPM distributions keep it
# (Debian's rpm default is ~/.rpmdb); the agent inherits HOME
export HOME=$T/home
mkdir -p "$HOME"
echo '%_dbpath /var/lib/rpm' >"$HOME/.rpmmacros"

now() { date +%s%N; }
die() { echo "agent_jobs: $*" >&2; exit 1; }

# A sandbox root with its own agent configuration: agent_root NAME BACKEND ROOT
agent_conf() {
        printf 'root = %s\nstate_dir = %s\nbackend = %s\nlock_wait = 30\nhooks_dir = %s\n' \
                "$3" "$T/$1.state" "$2" "$T/$1.hooks" >"$T/$1.conf"
}

JOBS=0
# agent_job NAME VERSION [OUT]: one install job; with OUT, "wall total pm overhead" (ms) is
# appended to $T/OUT
agent_job() {
        JOBS=$((JOBS + 1))
        printf '{"id":"%016x","type":"install","params":{"allow_downgrade":true,' "$JOBS" >"$T/job"
        printf '"packages":[{"name":"hello-fp","version":"%s"}]}}\n' "$2" >>"$T/job"
        s=$(now)
        "$AGENT" --config "$T/$1.conf" --timing run-job "$T/job" >"$T/rep" 2>"$T/agent.log" ||
                { cat "$T/rep" "$T/agent.log" >&2; die "$1: the job for hello-fp $2 failed"; }
        e=$(now)
        [ $# -ge 3 ] || return 0
        # one member a line (JSON_INDENT): "total_ms": 123.456,
        for k in total_ms package_manager_ms overhead_ms; do
                sed -n "s/^ *\"$k\": *\([-0-9.eE+]*\).*/\1/p" "$T/rep"
        done | { read -r tot; read -r pm; read -r ov
                echo "$(((e - s) / 1000)) $tot $pm $ov"; } |
                awk '{ printf "%.3f %s %s %s\n", $1 / 1000, $2, $3, $4 }' >>"$T/$3"
}
# ref CMD...: the reference command; its wall time (ms) appended to $T/$REF
ref() {
        s=$(now)
        "$@" >"$T/ref.log" 2>&1 || { cat "$T/ref.log" >&2; die "reference failed: $*"; }
        e=$(now)
        awk -v ns=$((e - s)) 'BEGIN { printf "%.3f\n", ns / 1e6 }' >>"$T/$REF"
}
# stats FILE COLUMN: "median p90" (p90: nearest rank)
stats() {
        cut -d' ' -f"$2" "$1" | sort -g | awk '{ v[NR] = $1 } END {
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.1f %.1f\n", m, v[int((9 * NR + 9) / 10)] }'
}
line() { # LABEL FILE COLUMN
        set -- "$1" $(stats "$2" "$3")
        printf '  %-44s %9s %9s\n' "$1" "$2" "$3"
}

# report BACKEND PM-NAME REF-LABEL
report() {
        b=$1
        echo "$b backend: $ROUNDS rounds of 2 jobs (hello-fp 1.0 -> 1.1 -> 1.0), ms"
        printf '  %-44s %9s %9s\n' "" median p90
        line "agent job, wall (process start to exit)" "$T/$b.jobs" 1
        line "agent job, total (read job to result)" "$T/$b.jobs" 2
        line "  in the package manager ($2)" "$T/$b.jobs" 3
        line "  agent overhead (total - package manager)" "$T/$b.jobs" 4
        line "reference: $3" "$T/$b.ref" 1
        line "no-op job (plan empty), total" "$T/$b.noop" 2
        line "  in the package manager" "$T/$b.noop" 3
        line "  agent overhead" "$T/$b.noop" 4
        line "reference no-op: the same command again" "$T/$b.refnoop" 1
        set -- $(stats "$T/$b.jobs" 1) $(stats "$T/$b.jobs" 2) $(stats "$T/$b.ref" 1) \
                $(stats "$T/$b.jobs" 4) $(stats "$T/$b.noop" 4)
        awk -v w="$1" -v t="$3" -v r="$5" -v o="$8" -v n="${10}" 'BEGIN {
                printf "  ratio agent total / reference: %.2f (wall / reference: %.2f)\n", t / r, w / r
                printf "  overhead goal (<= 100 ms per job, p90): %s (jobs %.1f ms, no-op %.1f ms)\n",
                        o <= 100 && n <= 100 ? "met" : "NOT met", o, n }'
}

# ---- apt ------------------------------------------------------------------------------------
debrepo_build "$T/deb" || die "debrepo_build"
for n in apt aptref; do
        debroot_new "$T/$n.root" "$T/deb/repo" || die "debroot_new"
        printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' >"$T/$n.root/etc/os-release"
        # shellcheck disable=SC2046
        apt-get $(debroot_apt_opts "$T/$n.root") -qq update >"$T/update.log" 2>&1 ||
                { cat "$T/update.log" >&2; die "apt-get update"; }
done
mkdir -p "$T/apt.hooks"
agent_conf apt apt "$T/apt.root"
APT=$(debroot_apt_opts "$T/aptref.root")
# Like the agent (backend/apt.c), the reference reads its configuration from the sandbox only:
# without APT_CONFIG apt-get would first read the host's /etc/apt/apt.conf.d, whose hooks
# (dpkg-preconfigure, packagekit, docker-clean, ...) are not part of the transaction.
printf 'Dir "%s/";\nDir::State::status "%s/var/lib/dpkg/status";\n' "$T/aptref.root" \
        "$T/aptref.root" >"$T/aptref.conf"
export APT_CONFIG="$T/aptref.conf"
# warm-up (not measured): both roots at hello-fp 1.0, caches filled
agent_job apt 1.0
REF=apt.warm
# shellcheck disable=SC2086
ref apt-get $APT -y install hello-fp=1.0
i=0
while [ "$i" -lt "$ROUNDS" ]; do
        agent_job apt 1.1 apt.jobs
        REF=apt.ref
        # shellcheck disable=SC2086
        ref apt-get $APT -y install hello-fp=1.1
        agent_job apt 1.0 apt.jobs
        # shellcheck disable=SC2086
        ref apt-get $APT -y --allow-downgrades install hello-fp=1.0
        agent_job apt 1.0 apt.noop
        REF=apt.refnoop
        # shellcheck disable=SC2086
        ref apt-get $APT -y install hello-fp=1.0
        i=$((i + 1))
done

# ---- dnf ------------------------------------------------------------------------------------
if [ -n "$RPM" ]; then
        rpmrepo_build "$T/rpm" 2>"$T/rpmbuild.log" || { cat "$T/rpmbuild.log" >&2; die "rpmrepo_build"; }
        for n in dnf dnfref; do
                rpmroot_new "$T/$n.root" "$T/rpm" || die "rpmroot_new"
        done
        mkdir -p "$T/dnf.hooks"
        agent_conf dnf dnf "$T/dnf.root"
        # the options the agent's dnf backend gives dnf for an installroot
        dnf_opts() {
                echo "-y -q --setopt=install_weak_deps=False" \
                        "--setopt=clean_requirements_on_remove=False --installroot=$1" \
                        "--setopt=reposdir=$1/etc/yum.repos.d --setopt=cachedir=/var/cache/dnf" \
                        "--config=$1/etc/dnf/dnf.conf --releasever=9"
        }
        # seeding (not measured; the agent needs an rpm database to read): both installroots
        # at hello-fp 1.0-1, then a warm-up job
        REF=dnf.warm
        # shellcheck disable=SC2046
        ref dnf $(dnf_opts "$T/dnf.root") install hello-fp-1.0-1
        agent_job dnf 1.0-1
        DNF=$(dnf_opts "$T/dnfref.root")
        # shellcheck disable=SC2086
        ref dnf $DNF install hello-fp-1.0-1
        i=0
        while [ "$i" -lt "$ROUNDS" ]; do
                agent_job dnf 1.1-1 dnf.jobs
                REF=dnf.ref
                # shellcheck disable=SC2086
                ref dnf $DNF install hello-fp-1.1-1
                agent_job dnf 1.0-1 dnf.jobs
                # shellcheck disable=SC2086
                ref dnf $DNF install hello-fp-1.0-1
                agent_job dnf 1.0-1 dnf.noop
                REF=dnf.refnoop
                # shellcheck disable=SC2086
                ref dnf $DNF install hello-fp-1.0-1
                i=$((i + 1))
        done
fi

echo "agent jobs benchmark on $(hostname), $("$AGENT" --version)"
report apt "apt-get, dpkg" "apt-get -y install hello-fp=V"
if [ -n "$RPM" ]; then
        report dnf "dnf, rpm" "dnf -y install hello-fp-V"
else
        echo "dnf backend: not measured (needs rpm, rpmbuild, dnf and createrepo_c)"
fi
