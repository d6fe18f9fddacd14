#!/usr/bin/env bash
# Issue 15 on one H200 (K = 1 slot: never two slots on one GPU for a measurement):
#   sweep    the 384-configuration Triton matmul sweep through the slot engine, against the
#            figure before it (docs/benchmarks.md: 58.9 s, best 0.2038 ms, BLOCK 128x256x64 8 warps 3 stages)
#   moe-grid the cost per configuration of vLLM's full fused-MoE grid (1,920 configurations per
#            batch size, the worker's space), measured on a random sample of two keys
#   moe      the 18-key fused-MoE ladder (vLLM's batch sizes 1..4096) with bayes, exported --format vllm
# From the repository root on the GPU host, after `source .devicepkgs/qt-runtime.sh install .devicepkgs`:
#   bash bench/gpu/slots_h200.sh OUTDIR [sweep] [moe-grid] [moe]
set -uo pipefail
OUT=${1:?usage: slots_h200.sh OUTDIR [PARTS...]}
shift
PARTS=${*:-sweep moe-grid moe}
TUNE=${DEJAVU_TUNE:-.devpack/bin/dejavu-tune}
mkdir -p "$OUT"
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
  python3 -c 'import torch, triton; print("torch", torch.__version__, "triton", triton.__version__)'; nproc; } > "$OUT/host.txt" 2>&1
cat "$OUT/host.txt"
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.1f}')"; }
MOE_PROBLEM='"E":8,"N":7168,"K":4096,"topk":2'
KEYS=1,2,4,8,16,24,32,48,64,96,128,256,512,1024,1536,2048,3072,4096

for part in $PARTS; do
case $part in
sweep)
    DEV="worker:kernel=matmul 'problem={\"M\":4096,\"N\":4096,\"K\":4096}' prepare=384 timeout=120 python3 kernels/triton/dejavu_triton_worker.py"
    t0=$(now)
    TRITON_CACHE_DIR=$(mktemp -d) "$TUNE" tune --device "$DEV" --strategy grid --db "$OUT/sweep.sqlite" --quiet > "$OUT/sweep.log" 2>&1
    echo "exit $?" >> "$OUT/sweep.log"
    echo "sweep wall: $(since "$t0") s" | tee -a "$OUT/sweep.log"
    tail -n 6 "$OUT/sweep.log"
    ;;
moe-grid)
    for m in 16 1024; do
        DEV="worker:kernel=fused_moe 'problem={\"M\":$m,$MOE_PROBLEM}' prepare=64 timeout=120 python3 kernels/triton/dejavu_triton_worker.py"
        t0=$(now)
        TRITON_CACHE_DIR=$(mktemp -d) "$TUNE" tune --device "$DEV" --strategy random --budget 64 --seed 3 --remeasure 0 \
            --db "$OUT/moe-grid.sqlite" --quiet > "$OUT/moe-grid-$m.log" 2>&1
        echo "exit $?" >> "$OUT/moe-grid-$m.log"
        echo "M=$m: 64 random configurations of 1920, wall $(since "$t0") s" | tee -a "$OUT/moe-grid-$m.log"
        tail -n 4 "$OUT/moe-grid-$m.log"
    done
    ;;
moe)
    DEV="worker:kernel=fused_moe 'problem={\"M\":{key},$MOE_PROBLEM}' prepare=8 timeout=120 python3 kernels/triton/dejavu_triton_worker.py"
    t0=$(now)
    TRITON_CACHE_DIR=$(mktemp -d) "$TUNE" ladder --device "$DEV" --keys "$KEYS" --strategy bayes --budget ${MOE_BUDGET:-30} \
        --time-limit ${MOE_SECONDS:-18} --db "$OUT/moe.sqlite" > "$OUT/moe.log" 2>&1
    echo "exit $?" >> "$OUT/moe.log"
    echo "moe ladder wall: $(since "$t0") s" | tee -a "$OUT/moe.log"
    tail -n 25 "$OUT/moe.log"
    "$TUNE" export --db "$OUT/moe.sqlite" --format vllm --out "$OUT/vllm" > "$OUT/moe-export.log" 2>&1
    echo "export exit $?" >> "$OUT/moe-export.log"
    "$TUNE" export --db "$OUT/moe.sqlite" --format sglang --out "$OUT/sglang" >> "$OUT/moe-export.log" 2>&1
    echo "sglang export exit $?" >> "$OUT/moe-export.log"
    cat "$OUT/moe-export.log"; find "$OUT/vllm" "$OUT/sglang" -type f 2>/dev/null
    ;;
esac
done
