#!/usr/bin/env bash
# The Triton-worker figures of docs/benchmarks.md ("Triton worker: softmax, fused MoE,
# compile-ahead, re-measurement"). On the GPU host, from the repository root, after
#   source .devicepkgs/qt-runtime.sh install .devicepkgs
# run:  bash kernels/triton/h100-run.sh OUTDIR [softmax] [moe] [prepare] [graph]
# Each part writes OUTDIR/<run>.log (the CLI's summary) and OUTDIR/<run>.sqlite;
# kernels/triton/summarize-run.py OUTDIR prints the tables.
set -uo pipefail
OUT=${1:?usage: h100-run.sh OUTDIR [parts]}
shift
PARTS=${*:-softmax moe prepare graph}
TUNE=${DEJAVU_TUNE:-build-trel/app/cli/dejavu-tune}
W="python3 kernels/triton/dejavu_triton_worker.py"
mkdir -p "$OUT"
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; python3 -c 'import torch, triton; print("torch", torch.__version__, "triton", triton.__version__)'; nproc; } > "$OUT/host.txt" 2>&1

# tune NAME ARGS...: one session into OUTDIR/NAME.sqlite, wall time in the log.
tune() {
    local name=$1; shift
    local t0=$(date +%s%N)
    "$TUNE" tune --quiet --db "$OUT/$name.sqlite" "$@" > "$OUT/$name.log" 2>&1
    local rc=$?
    echo "exit $rc, wall $(( ($(date +%s%N) - t0) / 1000000 )) ms" >> "$OUT/$name.log"
    echo "== $name"; tail -n 14 "$OUT/$name.log"
}

for part in $PARTS; do
case $part in
softmax)
    tune softmax --device "worker:kernel=softmax 'problem={\"rows\":8192,\"N\":8192,\"dtype\":\"fp16\"}' timeout=60 $W" \
        --strategy random --budget 20 --seed 1 ;;
moe)
    tune moe --device "worker:kernel=fused_moe 'problem={\"M\":256,\"E\":8,\"N\":7168,\"K\":4096,\"topk\":2}' timeout=120 $W" \
        --strategy random --budget 20 --seed 1 ;;
prepare)
    # The same 16 matmul configurations, each run with an empty Triton cache of its own:
    # the main process compiles everything itself (prepare=0) or finds it compiled ahead.
    for mode in 0 8; do
        TRITON_CACHE_DIR=$(mktemp -d) tune "prepare$mode" \
            --device "worker:kernel=matmul 'problem={\"M\":4096,\"N\":4096,\"K\":4096}' prepare=$mode timeout=60 $W" \
            --strategy random --budget 16 --seed 2 --remeasure 0
    done ;;
graph)
    # A launch-bound kernel (RMSNorm of 16 rows of 4096): the first 10 grid configurations,
    # timed three ways.
    D="worker:kernel=rmsnorm 'problem={\"rows\":16,\"N\":4096}' timeout=60 $W"
    tune graph-flush --device "$D" --strategy grid --budget 10 --remeasure 0
    tune graph-hot --device "$D" --strategy grid --budget 10 --remeasure 0 --hot-cache
    tune graph-hot-graph --device "$D" --strategy grid --budget 10 --remeasure 0 --hot-cache --cuda-graph ;;
esac
done
python3 kernels/triton/summarize-run.py "$OUT" | tee "$OUT/summary.txt"
