#!/usr/bin/env bash
# The native worker's GPU run (docs/benchmarks.md, "CUDA worker on the H100"), on a GPU host
# with the release build carried: BUILD=build-cudarel kernels/cuda/h100-run.sh OUT_DIR
#   1. the worker's self-test (hello, each kernel verified and timed on a small problem, a
#      dropped store caught), then a few engine evaluations of each kernel at its default problem
#   2. vendor baselines (torch: cuBLAS fp32 matmul, torch.sum, cuDNN conv2d) before and after
#   3. an exhaustive grid sweep of the GEMM space through the engine
#   4. a fault-injection session: an illegal address, a hang, a dropped store
#   5. kernels/cuda/protocol_check.py: the protocol answers, prepare, graph timing
# PARTS selects (default: all): selftest baselines kernels gemm faults graph protocol
# GEMM_OPTS: device options or worker flags of the GEMM sweep (default --precompile; e.g. prepare=16)
set -uo pipefail
PARTS=${PARTS:-selftest baselines kernels gemm faults graph protocol}
want() { [[ " $PARTS " == *" $1 "* ]]; }
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-cudarel}
OUT=${1:?usage: h100-run.sh OUT_DIR}
M=${GEMM_SIZE:-2048}
# Worker arguments for every session; --no-capabilities for an engine that predates `prepare`.
WARGS=${WORKER_ARGS:-}
mkdir -p "$OUT"
TUNE=$BUILD/app/cli/dejavu-tune
WORKER=$BUILD/kernels/cuda/dejavu-cuda-worker
export DEJAVU_CUDA_WORKER=$PWD/$WORKER
if ldd "$WORKER" | grep -q "libnvrtc.*not found"; then
    nvrtc=$(ls -d /usr/local/cuda/lib64 /usr/local/cuda-13*/lib64 /usr/local/cuda/targets/*/lib 2>/dev/null | while read d; do
                [ -e "$d/libnvrtc.so.13" ] && echo "$d"; done | head -1)
    [ -n "$nvrtc" ] || nvrtc=$(dirname "$(find / -name libnvrtc.so.13 -not -path "/proc/*" 2>/dev/null | head -1)")
    export LD_LIBRARY_PATH=${nvrtc}:${LD_LIBRARY_PATH:-}
fi
ldd "$WORKER" | grep nvrtc
log() { echo "== $(date -u +%H:%M:%S) $*"; }

log "GPU"; python3 -c "import torch; print('torch', torch.__version__)"; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,temperature.gpu --format=csv
log "worker version"; $WORKER --version
if want selftest; then
    log "self-test"; timeout 120 $WORKER --self-test > "$OUT/selftest.txt" 2>&1; echo "rc=$?"
    tail -1 "$OUT/selftest.txt"; head -c 600 "$OUT/selftest.txt"; echo
fi

baseline() {
    python3 - "$M" <<'EOF'
import sys, torch
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
m = int(sys.argv[1])
flush = torch.empty(256 * 1024 * 1024 // 4, dtype=torch.float32, device="cuda")
def bench(f, reps=50):
    for _ in range(3): f()
    times = []
    for _ in range(reps):
        flush.zero_()
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); f(); e.record(); e.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]
a = torch.randn(m, m, device="cuda"); b = torch.randn(m, m, device="cuda")
x = torch.randn(64 * 1024 * 1024, device="cuda")
img = torch.randn(1, 1, 4096 + 6, 4096 + 6, device="cuda"); w = torch.randn(1, 1, 7, 7, device="cuda")
print(f"cublas_sgemm_{m}_ms {bench(lambda: torch.matmul(a, b)):.4f}")
print(f"torch_sum_64M_ms {bench(lambda: x.sum()):.4f}")
print(f"cudnn_conv2d_4096_f7_ms {bench(lambda: torch.nn.functional.conv2d(img, w)):.4f}")
EOF
}
want baselines && { log "baselines before"; baseline | tee "$OUT/baseline-before.txt"; }

want kernels && {
log "engine: a few evaluations of each kernel at its default problem"
$TUNE tune --device "cuda:0/reduce timeout=60 $WARGS" --strategy random --budget 6 --seed 1 --db "$OUT/kernels.sqlite" --quiet 2>&1 | tail -4
$TUNE tune --device "cuda:0/conv2d timeout=60 $WARGS" --strategy random --budget 6 --seed 1 --db "$OUT/kernels.sqlite" --quiet 2>&1 | tail -4
}

want gemm && {
log "engine: exhaustive GEMM sweep ${M}^3"
start=$(date +%s%N)
$TUNE tune --device "cuda:0/gemm 'problem={\"M\":$M,\"N\":$M,\"K\":$M}' timeout=60 ${GEMM_OPTS:---precompile} $WARGS" --strategy grid \
    --db "$OUT/gemm.sqlite" --quiet > "$OUT/gemm-tune.txt" 2>&1
echo "rc=$? wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
tail -8 "$OUT/gemm-tune.txt"
}

want baselines && { log "baselines after"; baseline | tee "$OUT/baseline-after.txt"; }

want faults && {
log "engine: fault injection (reduce, 2^20): illegal address, hang (timeout 10 s), dropped store"
FAULTS="--fault-illegal-address-on '{\"BLOCK\":64,\"ITEMS\":1,\"VEC\":2}' --fault-hang-on '{\"BLOCK\":64,\"ITEMS\":2,\"VEC\":1,\"UNROLL\":2}' --fault-wrong-on '{\"BLOCK\":64,\"ITEMS\":2,\"VEC\":2}'"
$TUNE tune --device "cuda:0/reduce 'problem={\"n\":1048576}' timeout=10 $FAULTS $WARGS" --strategy grid --budget 9 \
    --db "$OUT/faults.sqlite" --quiet > "$OUT/faults-tune.txt" 2>&1
echo "rc=$?"; tail -6 "$OUT/faults-tune.txt"
}

want graph && {
log "engine: event against graph timing (reduce, 2^16, launch-bound)"
for mode in events graph; do
    flag=""; [ $mode = graph ] && flag=--cuda-graph
    $TUNE tune --device "cuda:0/reduce 'problem={\"n\":65536}' timeout=30 $WARGS" --strategy grid --budget 30 $flag \
        --db "$OUT/timing-$mode.sqlite" --quiet 2>&1 | tail -3
done
}

want protocol && { log "protocol check"; timeout 120 python3 kernels/cuda/protocol_check.py $WORKER > "$OUT/protocol.txt" 2>&1; echo "rc=$?"; tail -3 "$OUT/protocol.txt"; }
log "done"
