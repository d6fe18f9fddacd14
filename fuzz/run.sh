#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": clang, ASan + UBSan) and runs each one, then prints a
# table: target, executions, exec/s, corpus, coverage, findings.
#
#   fuzz/run.sh [SECONDS | runs=N | time=SECONDS]... [TARGET...]
#
#   fuzz/run.sh 120                              every target for 120 s
#   fuzz/run.sh runs=10000000 time=3600          10 million executions or one hour, whichever comes first
#   fuzz/run.sh 600 space_file constraints       two targets only
#
# FUZZ_PARALLEL (default: the number of cores) targets run at once, each under `nice -n 19` in
# libFuzzer's fork mode (-fork=1: it goes on after a crash, a timeout or an out-of-memory and keeps
# each input). Working corpora, logs and raw artifacts go to fuzz/out/<target>/ (not committed); the
# seeds fuzz/corpus/<target> are read, never written. Every crash,
# timeout or out-of-memory input is copied into fuzz/regressions/<target>/, where the replay test
# (ctest -L fuzz) finds it; fix the cause, keep the input.
set -euo pipefail
cd "$(dirname "$0")/.."

time_s=0
runs=0
targets=()
for a in "$@"; do
    case "$a" in
        runs=*) runs=${a#runs=} ;;
        time=*) time_s=${a#time=} ;;
        [0-9]*) time_s=$a ;;
        *) targets+=("$a") ;;
    esac
done
if [ "$time_s" = 0 ] && [ "$runs" = 0 ]; then time_s=60; fi
if [ ${#targets[@]} = 0 ]; then
    for f in fuzz/fuzz_*.cpp; do t=$(basename "$f" .cpp); targets+=("${t#fuzz_}"); done
fi
parallel=${FUZZ_PARALLEL:-$(nproc)}

if [ ! -f build-fuzz/build.ninja ]; then
    cmake --preset fuzz >/dev/null
fi
nice -n 19 cmake --build build-fuzz -j"$parallel" --target "${targets[@]/#/fuzz_}"

run_one() {
    local t=$1 out=fuzz/out/$1
    rm -rf "$out/artifacts"   # copied into fuzz/regressions/ by the run that made them
    mkdir -p "$out/corpus" "$out/artifacts"
    local dict=()
    case "$t" in
        constraints) dict=(-dict=fuzz/dicts/constraints.dict) ;;
        bundle_archive) ;;
        *) dict=(-dict=fuzz/dicts/json.dict) ;;
    esac
    local limits=()
    [ "$time_s" != 0 ] && limits+=(-max_total_time="$time_s")
    [ "$runs" != 0 ] && limits+=(-runs="$runs")
    # Seeds: the corpus only. Findings are replayed by ctest; some are slow by design (a refused
    # space file of 10^12 combinations takes minutes under ASan) and would stall every fuzzing job.
    local seeds=(fuzz/corpus/"$t")
    local start=$(date +%s)
    # -timeout: one input taking longer is a finding (a hang; 120 s under ASan is about 30 s in a
    # release build, what the largest space a file may describe costs); -rss_limit_mb: so is more memory.
    nice -n 19 build-fuzz/fuzz/fuzz_"$t" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -timeout=120 -rss_limit_mb=3072 -print_final_stats=1 "${dict[@]}" "${limits[@]}" \
        -artifact_prefix="$out/artifacts/" "$out/corpus" "${seeds[@]}" >"$out/log.txt" 2>&1 || true
    echo $(($(date +%s) - start)) >"$out/seconds"
    local found=0
    for a in "$out"/artifacts/{crash,leak,timeout,oom}-*; do
        [ -f "$a" ] || continue
        mkdir -p fuzz/regressions/"$t"
        cp -n "$a" fuzz/regressions/"$t"/ && found=$((found + 1))
    done
    echo "$found" >"$out/findings"
}

echo "fuzzing ${targets[*]} (${time_s:-0} s, ${runs} runs; $parallel at once); logs in fuzz/out/<target>/log.txt" >&2
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
    run_one "$t" &
done
wait

# The table: the last status line of each log ("#N: cov: C ft: F corp: K exec/s E ...").
printf '| target | executions | exec/s | seconds | corpus | coverage (edges) | features | findings |\n|---|---|---|---|---|---|---|---|\n'
for t in "${targets[@]}"; do
    out=fuzz/out/$t
    line=$(grep -E '^#[0-9]+: cov: ' "$out/log.txt" | tail -1 || true)
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$line")
    cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$line")
    ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$line")
    corp=$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"$line")
    secs=$(cat "$out/seconds")
    eps=$(( ${execs:-0} / (secs > 0 ? secs : 1) ))
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "${execs:-?}" "$eps" "$secs" \
        "${corp:-?}" "${cov:-?}" "${ft:-?}" "$(cat "$out/findings")"
done
