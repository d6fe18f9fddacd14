#!/usr/bin/env bash
# Runs packed fuzz targets (fuzz/pack-for-device.sh) on a many-core host, all targets at once, each
# in libFuzzer's fork mode over WORKERS processes, until RUNS executions or SECONDS, whichever
# comes first. Prints one summary line per target and a Markdown table for docs/benchmarks.md.
#
#   PACK/device-run.sh [time=SECONDS] [runs=N] [workers=W] [TARGET...]
#       time=420 runs=10000000 workers=(cores / targets); default targets: every PACK/bin/fuzz_*
#
# Writes under $OUT (or ./fuzz-device-out): <target>/log.txt, <target>/artifacts/ (every crash,
# timeout, out-of-memory and slow input; the slow ones are not findings), <target>/corpus/ (the
# inputs found here, to carry back into fuzz/out/<target>/corpus), summary.txt.
# Before fuzzing, each target replays its seeds: a host that cannot run the pack stops here.
set -uo pipefail
pack=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${OUT:-$PWD/fuzz-device-out}

time_s=420
runs=10000000
workers=0
targets=()
for a in "$@"; do
    case "$a" in
        time=*) time_s=${a#time=} ;;
        runs=*) runs=${a#runs=} ;;
        workers=*) workers=${a#workers=} ;;
        *) targets+=("$a") ;;
    esac
done
if [ ${#targets[@]} = 0 ]; then
    for b in "$pack"/bin/fuzz_*; do t=$(basename "$b"); targets+=("${t#fuzz_}"); done
fi
[ "$workers" -gt 0 ] 2>/dev/null || workers=$(( $(nproc) / ${#targets[@]} ))
[ "$workers" -ge 1 ] || workers=1

# Qt: the host's if it has Qt 6, else the packed Debian runtime (unpacked under /opt/qtrt).
if ldd "$pack/bin/fuzz_${targets[0]}" | grep -q 'libQt6Core.so.6 => not found' && ls "$pack"/qt/*.deb >/dev/null 2>&1; then
    # shellcheck disable=SC1091
    source "$pack/qt/qt-runtime.sh" install "$pack/qt"
fi
# shellcheck disable=SC1091
source "$pack/env.sh"
for t in "${targets[@]}"; do
    if [ ! -x "$pack/bin/fuzz_$t" ]; then echo "fuzz_$t: not in $pack/bin" >&2; exit 2; fi
    missing=$(ldd "$pack/bin/fuzz_$t" | grep 'not found' || true)
    if [ -n "$missing" ]; then echo "fuzz_$t: libraries not found:" >&2; echo "$missing" >&2; exit 1; fi
done

mkdir -p "$out"
# The seeds first: each must run clean (what the normal build's ctest -L fuzz checks). LeakSanitizer
# needs ptrace; where a container forbids it, leaks are not checked (said in the summary).
leaks=on
for t in "${targets[@]}"; do
    mkdir -p "$out/$t"
    if ! "$pack/bin/fuzz_$t" -runs=1 "$pack"/seeds/"$t"/* >"$out/$t/seeds.txt" 2>&1; then
        if grep -q 'LeakSanitizer has encountered a fatal error' "$out/$t/seeds.txt"; then
            leaks=off
            export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
            "$pack/bin/fuzz_$t" -runs=1 "$pack"/seeds/"$t"/* >"$out/$t/seeds.txt" 2>&1 && continue
        fi
        echo "fuzz_$t: a seed fails on this host (tail of $out/$t/seeds.txt):" >&2
        tail -20 "$out/$t/seeds.txt" >&2
        exit 1
    fi
done

run_one() {
    local t=$1 dir=$out/$1
    mkdir -p "$dir/corpus" "$dir/artifacts"
    local dict=-dict=$pack/dicts/json.dict
    case "$t" in
        constraints) dict=-dict=$pack/dicts/constraints.dict ;;
        bundle_archive) dict= ;;
    esac
    local start=$(date +%s)
    # As fuzz/run.sh: a crash, timeout (120 s; the largest space a file may describe costs about
    # 30 s under ASan) or out-of-memory (3 GB per worker) is kept and fuzzing goes on. New inputs go
    # to $dir/corpus, the packed corpus is read only. The outer timeout only guards the wrap-up.
    timeout -k 30 $((time_s + 150)) "$pack/bin/fuzz_$t" -fork="$workers" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -timeout=120 -rss_limit_mb=3072 -print_final_stats=1 ${dict:+"$dict"} -max_total_time="$time_s" -runs="$runs" \
        -artifact_prefix="$dir/artifacts/" "$dir/corpus" "$pack/corpus/$t" "$pack/seeds/$t" >"$dir/log.txt" 2>&1
    echo "$? $(($(date +%s) - start))" >"$dir/status"
}

echo "fuzzing ${targets[*]}: $workers workers each, ${time_s} s or $runs executions; $(nproc) cores; leaks $leaks" >&2
for t in "${targets[@]}"; do run_one "$t" & done
wait

summary=$out/summary.txt
: >"$summary"
failed=0
for t in "${targets[@]}"; do
    dir=$out/$t
    read -r rc secs <"$dir/status"
    line=$(grep -aE '^#[0-9]+: cov: ' "$dir/log.txt" | tail -1 || true)
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$line")
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$line")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$line")
    findings=$(find "$dir/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    slow=$(find "$dir/artifacts" -type f -name 'slow-unit-*' | wc -l)
    corpus=$(( $(find "$dir/corpus" -type f | wc -l) ))
    packed=$(find "$pack/corpus/$t" "$pack/seeds/$t" -type f | wc -l)
    [ -n "$execs" ] || { failed=1; execs=0; }
    printf '%s execs=%s seconds=%s workers=%s exec/s=%s findings=%s slow=%s corpus_new=%s corpus_packed=%s cov=%s ft=%s rc=%s leaks=%s\n' \
        "$t" "$execs" "$secs" "$workers" $((execs / (secs > 0 ? secs : 1))) "$findings" "$slow" "$corpus" "$packed" \
        "${cov:-?}" "${ft:-?}" "$rc" "$leaks" | tee -a "$summary"
done
table=$(
    printf '| target | executions | exec/s | seconds | workers | corpus (new) | coverage (edges) | features | findings |\n|---|---|---|---|---|---|---|---|---|\n'
    while read -r t rest; do
        declare -A f=()
        for kv in $rest; do f[${kv%%=*}]=${kv#*=}; done
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "${f[execs]}" "${f[exec/s]}" "${f[seconds]}" \
            "${f[workers]}" "${f[corpus_new]}" "${f[cov]}" "${f[ft]}" "${f[findings]}"
    done <"$summary"
)
printf '\n%s\n' "$table" | tee -a "$summary"
exit $failed
