#!/bin/sh
# The whole test suite, as the README and CI run it:
#   1. a normal build with -Werror, every test; then cppcheck and clang-tidy over src/;
#   2. the same suite under ASan + UBSan (halt on the first UBSan report);
#   3. every fuzz target built with clang + libFuzzer, run for a fixed number of inputs
#      from its corpus (a count, not a time, so the result does not depend on machine speed).
# Prints a closing line "N passed, N failed" summed over all passes (skipped tests are listed
# but not counted as passed). Exit status 0 only if nothing failed.
# Options: --quick (pass 1 only), FP_FUZZ_RUNS=N (default 20000 inputs per fuzz target).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
FUZZ_RUNS=${FP_FUZZ_RUNS:-20000}
JOBS=$(nproc 2>/dev/null || echo 2)
# A fresh machine gets its packages first (idempotent, quick when all are present).
scripts/deps.sh || { echo "scripts/deps.sh failed"; echo "0 passed, 1 failed"; exit 1; }
SUMMARY=$(mktemp)
trap 'rm -f "$SUMMARY"' EXIT INT TERM

# count_results BUILD_DIR LABEL: appends "passed failed skipped" of a meson test log
count_results() {
  python3 - "$1/meson-logs/testlog.json" "$2" >>"$SUMMARY" <<'PY'
import json, sys
path, label = sys.argv[1], sys.argv[2]
p = f = s = 0
try:
    with open(path) as fh:
        for line in fh:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"): p += 1
            elif r == "SKIP": s += 1
            else: f += 1
except FileNotFoundError:
    f = 1
    print(f"{label}: no test log (build failed?)", file=sys.stderr)
print(p, f, s, label)
PY
}

# run_pass LABEL BUILD_DIR [meson setup options...]
run_pass() {
  label=$1; dir=$2; shift 2
  echo "=== $label ($dir) ==="
  rm -f "$dir/meson-logs/testlog.json"
  if ! { [ -d "$dir" ] && meson setup --reconfigure "$dir" "$@" >/dev/null 2>&1 ; } &&
     ! meson setup --wipe "$dir" "$@" >/dev/null 2>&1 &&
     ! meson setup "$dir" "$@"; then
    echo "0 1 0 $label: meson setup failed" >>"$SUMMARY"
    return
  fi
  if ! ninja -C "$dir" -j "$JOBS"; then
    echo "0 1 0 $label: build failed" >>"$SUMMARY"
    return
  fi
  meson test -C "$dir" --num-processes "$JOBS" --print-errorlogs || true
  count_results "$dir" "$label"
}

run_pass "build -Werror" "$ROOT/build" -Dwerror=true -Dbuildtype=debugoptimized

# Static analysis of src/ (the library and the programs): cppcheck and clang-tidy (.clang-tidy),
# each counted as one test; findings are printed.
lint_pass() {
  echo "=== static analysis ==="
  lp=0; lf=0; log=$(mktemp)
  if cppcheck --quiet --enable=warning,performance,portability --std=c11 --inline-suppr \
       -I include -I src -D__GNUC__ --error-exitcode=1 src >"$log" 2>&1; then
    lp=$((lp + 1)); echo "cppcheck: clean"
  else
    lf=$((lf + 1)); echo "cppcheck: FAILED"; cat "$log"
  fi
  if [ -f "$ROOT/build/compile_commands.json" ] &&
     find src -name '*.c' | xargs -P "$JOBS" -n 4 clang-tidy -p "$ROOT/build" --quiet \
       --warnings-as-errors='*' >"$log" 2>&1; then
    lp=$((lp + 1)); echo "clang-tidy: clean"
  else
    lf=$((lf + 1)); echo "clang-tidy: FAILED"; grep -E "warning:|error:" "$log" | head -50
  fi
  rm -f "$log"
  echo "$lp $lf 0 static analysis" >>"$SUMMARY"
}
lint_pass

if [ "$QUICK" = 0 ]; then
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    run_pass "ASan+UBSan" "$ROOT/build-asan" -Db_sanitize=address,undefined -Dbench=false \
      -Dbuildtype=debug

  if command -v clang >/dev/null 2>&1; then
    echo "=== libFuzzer ($FUZZ_RUNS inputs per target) ==="
    CC=clang meson setup --wipe "$ROOT/build-fuzz" -Dfuzzing=true -Dbench=false \
        -Dbuildtype=debugoptimized >/dev/null 2>&1 || CC=clang meson setup "$ROOT/build-fuzz" \
        -Dfuzzing=true -Dbench=false -Dbuildtype=debugoptimized >/dev/null
    if ninja -C "$ROOT/build-fuzz" -j "$JOBS" >/dev/null; then
      fp=0; ff=0
      for f in "$ROOT"/build-fuzz/fuzz/fuzz_*; do
        [ -f "$f" ] && [ -x "$f" ] || continue  # not meson's fuzz_*.p object dirs
        name=${f##*/fuzz_}
        out=$(mktemp -d)
        # New inputs go to a scratch dir first; the committed corpus is only read.
        if "$f" -runs="$FUZZ_RUNS" -max_len=65536 -rss_limit_mb=2048 "$out" \
             "$ROOT/fuzz/corpus/$name" >"$out.log" 2>&1; then
          fp=$((fp + 1)); echo "fuzz $name: ok"
        else
          ff=$((ff + 1)); echo "fuzz $name: FAILED"; tail -40 "$out.log"
        fi
        rm -rf "$out" "$out.log"
      done
      echo "$fp $ff 0 libFuzzer" >>"$SUMMARY"
    else
      echo "0 1 0 libFuzzer: build failed" >>"$SUMMARY"
    fi
  fi
fi

echo "=== summary ==="
P=0; F=0; S=0
while read -r p f s label; do
  echo "$label: $p passed, $f failed, $s skipped"
  P=$((P + p)); F=$((F + f)); S=$((S + s))
done <"$SUMMARY"
[ "$S" -gt 0 ] && echo "note: $S tests skipped (see the logs for why)"
echo "$P passed, $F failed"
[ "$F" -eq 0 ]
