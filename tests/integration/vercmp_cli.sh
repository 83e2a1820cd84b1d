#!/bin/sh
# fleetpatch vercmp against the real tools: exit codes of `dpkg --compare-versions` for every
# operator on a deterministic sample of the dpkg oracle, dpkg's verdicts and messages on
# dpkg-invalid.tsv, and `rpm --eval rpm.vercmp()` on a sample of the rpm oracle.
# Exit 0 pass, 1 fail, 77 skip (a tool or the shared data is missing).

FP=${FLEETPATCH:-}
DATA=${FP_SHARED_DATA:-}
[ -n "$FP" ] && [ -x "$FP" ] || { echo "SKIP: \$FLEETPATCH not set or not executable"; exit 77; }
[ -n "$DATA" ] && [ -d "$DATA/oracles" ] || { echo "SKIP: shared data not found"; exit 77; }
command -v dpkg >/dev/null 2>&1 || { echo "SKIP: dpkg not installed"; exit 77; }
command -v gzip >/dev/null 2>&1 || { echo "SKIP: gzip not installed"; exit 77; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
checked=0
us=$(printf '\037')

report() {
        fail=$((fail + 1))
        [ "$fail" -le 10 ] && echo "MISMATCH: $*"
}

# 1. Every operator on every 1000th pair of the dpkg oracle (deterministic, ~230 pairs).
ops="lt le eq ne ge gt lt-nl le-nl ge-nl gt-nl < << <= = >= >> >"
gzip -dc "$DATA/oracles/dpkg-vercmp.tsv.gz" | awk 'NR % 1000 == 1' | tr '\t' "$us" >"$tmp/deb"
while IFS="$us" read -r a b _; do
        for op in $ops; do
                dpkg --compare-versions -- "$a" "$op" "$b" 2>/dev/null
                want=$?
                "$FP" vercmp -- "$a" "$op" "$b" 2>/dev/null
                got=$?
                checked=$((checked + 1))
                [ "$want" = "$got" ] || report "deb '$a' $op '$b': dpkg $want, fleetpatch $got"
        done
done <"$tmp/deb"
# Empty versions ("no version") with every operator, on both sides.
for pair in ":1.0" "1.0:" ":"; do
        a=${pair%%:*}
        b=${pair#*:}
        for op in $ops; do
                dpkg --compare-versions -- "$a" "$op" "$b" 2>/dev/null
                want=$?
                "$FP" vercmp -- "$a" "$op" "$b" 2>/dev/null
                got=$?
                checked=$((checked + 1))
                [ "$want" = "$got" ] || report "deb '$a' $op '$b': dpkg $want, fleetpatch $got"
        done
done
echo "deb: $checked operator checks against dpkg"

# 2. dpkg-invalid.tsv: exit code and (de-duplicated) stderr of `V eq V` as recorded.
n=0
tail -n +2 "$DATA/oracles/dpkg-invalid.tsv" | tr '\t' "$us" >"$tmp/invalid"
while IFS="$us" read -r v _status _msg cli_exit cli_stderr _eq; do
        "$FP" vercmp -- "$v" eq "$v" 2>"$tmp/err"
        got=$?
        err=$(awk '!seen[$0]++' "$tmp/err")
        n=$((n + 1))
        [ "$got" = "$cli_exit" ] || report "invalid '$v': exit want $cli_exit got $got"
        [ "$err" = "$cli_stderr" ] || report "invalid '$v': stderr want '$cli_stderr' got '$err'"
done <"$tmp/invalid"
echo "deb: $n rows of dpkg-invalid.tsv"

# 3. Operator and usage errors exit 2.
for args in "1 xx 2" "1 lt" "1 lt 2 3"; do
        # shellcheck disable=SC2086
        "$FP" vercmp $args 2>/dev/null
        [ $? = 2 ] || report "usage '$args' should exit 2"
done
"$FP" vercmp --help >/dev/null || report "--help should exit 0"

# 4. rpm: every 500th pair of the rpm oracle against rpm's own lua rpm.vercmp().
if command -v rpm >/dev/null 2>&1; then
        gzip -dc "$DATA/oracles/rpm-vercmp.tsv.gz" | awk 'NR % 500 == 1' | tr '\t' "$us" >"$tmp/rpm"
        lua=""
        while IFS="$us" read -r a b _; do
                lua="$lua print(rpm.vercmp('$a', '$b') .. '\\n');"
        done <"$tmp/rpm"
        rpm --eval "%{lua: $lua}" >"$tmp/rpm-want" 2>/dev/null || report "rpm --eval failed"
        m=0
        while IFS="$us" read -r a b _; do
                m=$((m + 1))
                want=$(sed -n "${m}p" "$tmp/rpm-want")
                if "$FP" vercmp --scheme rpm -- "$a" lt "$b" 2>/dev/null; then
                        got=-1
                elif "$FP" vercmp --scheme rpm -- "$a" gt "$b" 2>/dev/null; then
                        got=1
                else
                        got=0
                fi
                [ "$want" = "$got" ] || report "rpm '$a' vs '$b': rpm $want, fleetpatch $got"
        done <"$tmp/rpm"
        echo "rpm: $m pairs against rpm --eval rpm.vercmp()"
else
        echo "note: rpm not installed, rpm part skipped"
fi

if [ "$fail" -ne 0 ]; then
        echo "FAIL: $fail mismatches"
        exit 1
fi
echo "PASS"
exit 0
