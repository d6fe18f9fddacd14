#!/usr/bin/env bash
# Issue 4's wall-clock comparison, in one run on the GPU host: the engine's exhaustive sweep of
# the 384-configuration Triton matmul space (4096^3 fp16) through the Triton worker, with the
# whole sweep announced to the worker's compile processes (prepare=384), against Triton's own
# @triton.autotune over the same configuration list, each with an empty Triton cache.
# From the repository root on the GPU host, after `source .devicepkgs/qt-runtime.sh install .devicepkgs`:
#   bash bench/gpu/sweep_vs_autotune.sh OUTDIR
set -uo pipefail
OUT=${1:?usage: sweep_vs_autotune.sh OUTDIR}
TUNE=${DEJAVU_TUNE:-build-release/app/cli/dejavu-tune}
mkdir -p "$OUT"
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
  python3 -c 'import torch, triton; print("torch", torch.__version__, "triton", triton.__version__)'; nproc; } > "$OUT/host.txt" 2>&1
cat "$OUT/host.txt"

DEV="worker:kernel=matmul 'problem={\"M\":4096,\"N\":4096,\"K\":4096}' prepare=384 timeout=120 python3 kernels/triton/dejavu_triton_worker.py"
t0=$(date +%s.%N)
TRITON_CACHE_DIR=$(mktemp -d) "$TUNE" tune --device "$DEV" --strategy grid --db "$OUT/sweep.sqlite" --quiet > "$OUT/sweep.log" 2>&1
echo "exit $?" >> "$OUT/sweep.log"
t1=$(date +%s.%N)
echo "engine sweep wall: $(python3 -c "print(f'{$t1 - $t0:.1f}')") s" | tee -a "$OUT/sweep.log"
tail -n 8 "$OUT/sweep.log"

t0=$(date +%s.%N)
TRITON_CACHE_DIR=$(mktemp -d) python3 bench/gpu/triton_autotune_baseline.py > "$OUT/autotune.txt" 2>&1
t1=$(date +%s.%N)
echo "autotune process wall: $(python3 -c "print(f'{$t1 - $t0:.1f}')") s" | tee -a "$OUT/autotune.txt"
cat "$OUT/autotune.txt"

"$TUNE" export --db "$OUT/sweep.sqlite" --session 1 --format kerneltuner --out "$OUT/triton_matmul_sweep.json" > "$OUT/export.log" 2>&1 \
    || cat "$OUT/export.log"
"$TUNE" sessions --db "$OUT/sweep.sqlite" > "$OUT/sessions.txt" 2>&1
python3 - "$OUT/sweep.sqlite" <<'PY' | tee "$OUT/sweep-summary.txt"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cols = [r[1] for r in db.execute("pragma table_info(trials)")]
print("trial columns:", ",".join(cols))
rows = db.execute("select status, count(*) from trials group by status").fetchall()
print("statuses:", dict(rows))
extra_col = "extra" if "extra" in cols else None
if extra_col:
    fresh = sum(1 for (e,) in db.execute(f"select {extra_col} from trials where status='ok'") if e and json.loads(e).get("fresh_inputs") is True)
    print("ok trials with fresh_inputs true:", fresh)
PY
