#!/usr/bin/env bash
# The Triton-worker figures of docs/benchmarks.md ("Triton worker: softmax, fused MoE,
# compile-ahead, re-measurement"). On the GPU host, from the repository root, after
#   source .devicepkgs/qt-runtime.sh install .devicepkgs
# run:  bash kernels/triton/h100-run.sh OUTDIR [softmax] [moe] [prepare] [graph] [baseline]
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
    # The same 48 matmul configurations, each run with an empty Triton cache of its own:
    # the main process compiles everything itself (prepare=0) or finds it compiled ahead
    # (batches of 8 or 16 announced).
    for mode in 0 8 16; do
        TRITON_CACHE_DIR=$(mktemp -d) tune "prepare$mode" \
            --device "worker:kernel=matmul 'problem={\"M\":4096,\"N\":4096,\"K\":4096}' prepare=$mode timeout=60 $W" \
            --strategy random --budget 48 --seed 2 --remeasure 0
    done ;;
baseline)
    # Vendor and dense references for the tuned kernels (triton.testing.do_bench, L2 flushed).
    python3 - > "$OUT/baseline.txt" 2>&1 <<'PY'
import torch, triton
from triton.testing import do_bench
x = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
print("torch.softmax fp16 8192x8192: %.4f ms" % do_bench(lambda: torch.softmax(x, dim=-1)))
a = torch.randn(512, 4096, device="cuda", dtype=torch.float16)
w = torch.randn(14336, 4096, device="cuda", dtype=torch.float16)
print("dense torch.matmul [512,4096]x[4096,14336] fp16 (the MoE GEMM's FLOPs without routing): %.4f ms" % do_bench(lambda: a @ w.t()))
ws = torch.randn(8, 14336, 4096, device="cuda", dtype=torch.float16)
ids = torch.topk(torch.randn(256, 8, device="cuda"), 2, dim=-1).indices.flatten()
tok = torch.arange(512, device="cuda") // 2
groups = [(tok[ids == e], ws[e]) for e in range(8)]
a2 = torch.randn(256, 4096, device="cuda", dtype=torch.float16)
print("torch per-expert loop (gather + matmul, 8 experts): %.4f ms" % do_bench(lambda: [a2[t] @ we.t() for t, we in groups]))
PY
    cat "$OUT/baseline.txt" ;;
graph)
    # A launch-bound kernel (RMSNorm of 16 rows of 4096): the first 10 grid configurations,
    # timed three ways.
    D="worker:kernel=rmsnorm 'problem={\"rows\":16,\"N\":4096}' timeout=60 $W"
    tune graph-flush --device "$D" --strategy grid --budget 10 --remeasure 0
    tune graph-hot --device "$D" --strategy grid --budget 10 --remeasure 0 --hot-cache
    tune graph-hot-graph --device "$D" --strategy grid --budget 10 --remeasure 0 --hot-cache --cuda-graph ;;
esac
done
python3 kernels/triton/summarize-run.py "$OUT" > "$OUT/summary.txt" 2>&1
cat "$OUT/summary.txt"
# Few files come back from the GPU host: the stores and logs in one archive.
(cd "$OUT" && tar czf stores.tgz *.sqlite *.log && rm -f *.sqlite *.log)
