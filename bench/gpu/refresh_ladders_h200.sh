#!/usr/bin/env bash
# Issue 16 item 6 on the H200: the H100-tuned ladders (the shipped H100 landscapes stand in for
# the H100 sessions) refreshed on this GPU through the Triton worker, against a cold ladder of
# the same keys; then the refreshed matmul exported as Triton's own autotune cache and loaded the
# way a deployment loads it (bench/gpu/deployment_check.py: no benchmark may run at start-up).
# From the repository root on the GPU host, after `source .devicepkgs/qt-runtime.sh install .devicepkgs`:
#   bash bench/gpu/refresh_ladders_h200.sh OUTDIR
set -uo pipefail
OUT=${1:?usage: refresh_ladders_h200.sh OUTDIR}
TUNE=${DEJAVU_TUNE:-.devpack/bin/dejavu-tune}
COLD_BUDGET=${COLD_BUDGET:-40}
mkdir -p "$OUT"
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  python3 -c 'import torch, triton; print("torch", torch.__version__, "triton", triton.__version__)'; } > "$OUT/host.txt" 2>&1
cat "$OUT/host.txt"
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.1f}')"; }
WORKER='prepare=16 timeout=120 python3 kernels/triton/dejavu_triton_worker.py'
MM_DEV="worker:kernel=matmul 'problem={\"M\":{key},\"N\":{key},\"K\":{key}}' $WORKER"
RN_DEV="worker:kernel=rmsnorm 'problem={\"rows\":{key},\"N\":4096}' $WORKER"
MM_DATA=replay:h100/triton_matmul_fp16_M1024_N1024_K1024,replay:h100/triton_matmul_fp16_M4096_N4096_K4096
RN_DATA=$(for r in 1 16 256 4096 32768; do printf 'replay:h100/triton_rmsnorm_fp16_rows%s_N4096,' $r; done); RN_DATA=${RN_DATA%,}
status=0
for kernel in matmul rmsnorm; do
    if [ $kernel = matmul ]; then DEV=$MM_DEV; DATA=$MM_DATA; KEYS=1024,4096; else DEV=$RN_DEV; DATA=$RN_DATA; KEYS=1,16,256,4096,32768; fi
    t0=$(now)
    TRITON_CACHE_DIR=$(mktemp -d) "$TUNE" refresh --dataset "$DATA" --device "$DEV" --db "$OUT/refresh.db" --json \
        > "$OUT/refresh-$kernel.json" 2> "$OUT/refresh-$kernel.log" || status=1
    echo "$kernel refresh wall: $(since "$t0") s" | tee -a "$OUT/refresh-$kernel.log"
    cat "$OUT/refresh-$kernel.log"
    t0=$(now)
    TRITON_CACHE_DIR=$(mktemp -d) "$TUNE" ladder --device "$DEV" --keys "$KEYS" --budget "$COLD_BUDGET" --db "$OUT/cold.db" \
        > "$OUT/cold-$kernel.log" 2>&1 || status=1
    echo "$kernel cold ladder wall: $(since "$t0") s" | tee -a "$OUT/cold-$kernel.log"
    tail -n 12 "$OUT/cold-$kernel.log"
done
# Per key: evaluations, seconds, best, from the stored sessions of both stores.
python3 - "$OUT" <<'PY' | tee "$OUT/summary.md"
import json, sqlite3, sys
out = sys.argv[1]
def rows(db):
    c = sqlite3.connect(db)
    res = {}
    for sid, kernel, problem, elapsed in c.execute("SELECT id, kernel, problem, elapsed_ms FROM sessions ORDER BY id"):
        n, best = c.execute("SELECT COUNT(*), MIN(CASE WHEN status='ok' THEN objective_ms END) FROM trials WHERE session_id=?", (sid,)).fetchone()
        res[(kernel, problem)] = (sid, n, (elapsed or 0) / 1000, best)
    return res
r, c = rows(f"{out}/refresh.db"), rows(f"{out}/cold.db")
print("| kernel | problem | refresh: evals | refresh: s | refresh best (ms) | cold: evals | cold: s | cold best (ms) | refresh best / cold best |")
print("|---|---|---|---|---|---|---|---|---|")
for key in sorted(set(r) | set(c)):
    a, b = r.get(key), c.get(key)
    f = lambda v, d=1: "-" if v is None else (f"{v:.{d}f}" if isinstance(v, float) else str(v))
    ratio = f"{a[3] / b[3]:.3f}" if a and b and a[3] and b[3] else "-"
    print(f"| {key[0]} | {key[1]} | {f(a and a[1])} | {f(a and a[2])} | {f(a and a[3], 4)} | {f(b and b[1])} | {f(b and b[2])} | {f(b and b[3], 4)} | {ratio} |")
PY
# The refreshed matmul as Triton's autotune cache, loaded as a deployment loads it.
MM_IDS=$(python3 -c "
import json; print(','.join(str(r['session']) for r in json.load(open('$OUT/refresh-matmul.json'))['refresh']))")
python3 kernels/triton/deployment.py --kernel matmul --problem '{"M":1024,"N":1024,"K":1024}' > "$OUT/deploy-matmul.json" || status=1
"$TUNE" export --db "$OUT/refresh.db" --session "$MM_IDS" --format triton-cache --deployment "$OUT/deploy-matmul.json" \
    --out "$OUT/triton-cache" 2> "$OUT/export-matmul.log" || status=1
cat "$OUT/export-matmul.log"
cp -r "$OUT/triton-cache" "$OUT/run-matmul"
TRITON_CACHE_DIR="$OUT/run-matmul" python3 bench/gpu/deployment_check.py --kernel matmul \
    --problems '[{"M":1024,"N":1024,"K":1024},{"M":4096,"N":4096,"K":4096}]' --expected "$OUT/export-matmul.log" \
    | tee "$OUT/check-matmul.jsonl" || status=1
rm -rf "$OUT/run-matmul" "$OUT/triton-cache"
echo "status $status"
exit $status
