#!/bin/sh
# Benchmark: `fleetpatch scan` against its reference `apt list --upgradable` on this host,
# measured in the same run, read-only (neither changes anything). Prints for each the median
# wall time and the peak RSS over N runs, and the ratios. No pass/fail: numbers only.
# Usage: bench/scan_vs_apt.sh [BUILD_DIR] [RUNS]    (defaults: build, 7)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
RUNS=${2:-7}
FP="$BUILD/src/cli/fleetpatch"
[ -x "$FP" ] || { echo "build first: $FP not found" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (package time)" >&2; exit 2; }
command -v apt >/dev/null || { echo "needs apt" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# measure NAME CMD...: RUNS runs after one warm-up; writes "median_s max_rss_kib" to $tmp/NAME
measure() {
  name=$1; shift
  "$@" >/dev/null 2>&1 || true
  : >"$tmp/$name.runs"
  i=0
  while [ "$i" -lt "$RUNS" ]; do
    # time(1) gives the peak RSS; the wall time comes from date(1) in ns (time(1)'s %e has
    # only 10 ms resolution).
    s=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$tmp/$name.one" "$@" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    echo "$(( (e - s) / 1000 )) $(tail -1 "$tmp/$name.one")" >>"$tmp/$name.runs"
    i=$((i + 1))
  done
  sort -n "$tmp/$name.runs" | awk -v n="$RUNS" '
    { t[NR] = $1; if ($2 > m) m = $2 }
    END { printf "%.4f %d\n", t[int((n + 1) / 2)] / 1e6, m }' >"$tmp/$name"
}

measure apt apt list --upgradable
measure fp "$FP" scan
read -r apt_t apt_rss <"$tmp/apt"
read -r fp_t fp_rss <"$tmp/fp"
n_apt=$(apt list --upgradable 2>/dev/null | grep -c upgradable || true)
n_fp=$("$FP" scan --json 2>/dev/null | grep -o '"count": *[0-9]*' | grep -o '[0-9]*$' || echo '?')

echo "scan benchmark on $(hostname), $RUNS runs each (median wall time, peak RSS)"
printf '%-28s %8ss %8d KiB  (%s upgradable)\n' "apt list --upgradable" "$apt_t" "$apt_rss" "$n_apt"
printf '%-28s %8ss %8d KiB  (%s upgradable)\n' "fleetpatch scan" "$fp_t" "$fp_rss" "$n_fp"
awk -v a="$apt_t" -v f="$fp_t" -v ar="$apt_rss" -v fr="$fp_rss" 'BEGIN {
  printf "speed-up: %.1fx (apt time / fleetpatch time)\n", a / f;
  printf "memory: fleetpatch peak RSS is %.2f of apt'"'"'s (%.1f MiB vs %.1f MiB)\n", fr / ar, fr / 1024, ar / 1024 }'
