#!/usr/bin/env bash
# Deployment check (issue 5, part 4), on the GPU host from the repository root:
#   source .devicepkgs/qt-runtime.sh install .devicepkgs
#   bench/gpu/deployment_check.sh OUTDIR
# (i) tunes a small ladder of the Triton matmul (M = 256, 1024, 4096 with N = K = 4096) and of
# RMSNorm (N = 1024, 4096, 8192 with 4096 rows; Triton's autotuner keys RMSNorm on N, its only
# size argument) through the engine and the Triton worker, warm-started key to key;
# (ii) exports Triton's autotune cache (and a triton-dejavu tree, a bundle per kernel) using the
# deployment values kernels/triton/deployment.py reads from this host's Triton;
# (iii) loads each kernel in a fresh Python process the way a deployment does
# (@triton.autotune(cache_results=True), TRITON_CACHE_DIR = a copy of the export) and checks that
# no configuration is benchmarked at start-up and that the exported configuration is used;
# (iv) times the start-up with the export and, for the kernels in COLD, without it.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTDIR=${1:?usage: bench/gpu/deployment_check.sh OUTDIR}
CLI=${CLI:-build-drel/app/cli/dejavu-tune}
MM_KEYS=${MM_KEYS:-256,1024,4096}
RN_KEYS=${RN_KEYS:-1024,4096,8192}
BUDGET=${BUDGET:-10}
COLD=${COLD:-rmsnorm}   # matmul cold: 384 configurations, about 260 s (docs/benchmarks.md)
COLD_KEYS=${COLD_KEYS:-4096}  # the keys started cold (each tunes the whole space)
WORKER='timeout=120 python3 kernels/triton/dejavu_triton_worker.py'
mkdir -p "$OUTDIR"
DB=$OUTDIR/ladder.db
status=0
step() { echo "== $(date -u +%H:%M:%S) $*" >&2; }
problems() { # kernel keys -> JSON list of problems
    python3 - "$1" "$2" <<'EOF'
import json, sys
kernel, keys = sys.argv[1], [int(k) for k in sys.argv[2].split(",")]
if kernel == "matmul":
    print(json.dumps([{"M": k, "N": 4096, "K": 4096} for k in keys]))
else:
    print(json.dumps([{"rows": 4096, "N": k} for k in keys]))
EOF
}

step "ladders (budget $BUDGET per key)"
"$CLI" ladder --device "worker:kernel=matmul 'problem={\"M\":{M},\"N\":4096,\"K\":4096}' $WORKER" --key-param M \
    --keys "$MM_KEYS" --budget "$BUDGET" --db "$DB" | tee "$OUTDIR/ladder-matmul.txt" || status=1
"$CLI" ladder --device "worker:kernel=rmsnorm 'problem={\"rows\":4096,\"N\":{N}}' $WORKER" --key-param N \
    --keys "$RN_KEYS" --budget "$BUDGET" --db "$DB" | tee "$OUTDIR/ladder-rmsnorm.txt" || status=1
MM_IDS=$(sed -n 's/^ladder: .* sessions \([0-9,]*\) in .*/\1/p' "$OUTDIR/ladder-matmul.txt")
RN_IDS=$(sed -n 's/^ladder: .* sessions \([0-9,]*\) in .*/\1/p' "$OUTDIR/ladder-rmsnorm.txt")

step "deployment values and exports"
python3 kernels/triton/deployment.py --kernel matmul --problem '{"M":256,"N":4096,"K":4096}' > "$OUTDIR/deploy-matmul.json" || status=1
python3 kernels/triton/deployment.py --kernel rmsnorm --problem '{"rows":4096,"N":4096}' > "$OUTDIR/deploy-rmsnorm.json" || status=1
"$CLI" export --db "$DB" --session "$MM_IDS" --format triton-cache --deployment "$OUTDIR/deploy-matmul.json" \
    --out "$OUTDIR/triton-cache" 2> "$OUTDIR/export-matmul.log" || status=1
"$CLI" export --db "$DB" --session "$RN_IDS" --format triton-cache --deployment "$OUTDIR/deploy-rmsnorm.json" \
    --out "$OUTDIR/triton-cache" 2> "$OUTDIR/export-rmsnorm.log" || status=1
cat "$OUTDIR"/export-*.log >&2
"$CLI" export --db "$DB" --session "$RN_IDS" --format dejavu --deployment "$OUTDIR/deploy-rmsnorm.json" \
    --out "$OUTDIR/dejavu" 2> "$OUTDIR/export-dejavu.log"; echo "dejavu export exit $?" >> "$OUTDIR/export-dejavu.log"
"$CLI" bundle create --db "$DB" --session "$MM_IDS" --kernel triton_matmul_fp16 --export "triton-cache=$OUTDIR/triton-cache" \
    --out "$OUTDIR/matmul-bundle.tar.gz" > "$OUTDIR/bundle.txt" 2>&1 || status=1
"$CLI" bundle verify "$OUTDIR/matmul-bundle.tar.gz" >> "$OUTDIR/bundle.txt" 2>&1 || status=1
cat "$OUTDIR/export-dejavu.log" "$OUTDIR/bundle.txt" >&2

for kernel in matmul rmsnorm; do
    keys=$MM_KEYS; [ "$kernel" = rmsnorm ] && keys=$RN_KEYS
    step "$kernel: start-up with the export (fresh process, a copy of the export as TRITON_CACHE_DIR)"
    rm -rf "$OUTDIR/run-$kernel" && cp -r "$OUTDIR/triton-cache" "$OUTDIR/run-$kernel"
    TRITON_CACHE_DIR="$OUTDIR/run-$kernel" python3 bench/gpu/deployment_check.py --kernel "$kernel" \
        --problems "$(problems $kernel $keys)" --expected "$OUTDIR/export-$kernel.log" | tee "$OUTDIR/check-$kernel.jsonl" || status=1
    case ",$COLD," in *",$kernel,"*)
        step "$kernel: start-up without the export (empty TRITON_CACHE_DIR: Triton tunes)"
        rm -rf "$OUTDIR/cold-$kernel" && mkdir -p "$OUTDIR/cold-$kernel"
        TRITON_CACHE_DIR="$OUTDIR/cold-$kernel" python3 bench/gpu/deployment_check.py --kernel "$kernel" \
            --problems "$(problems $kernel $COLD_KEYS)" | tee "$OUTDIR/cold-$kernel.jsonl" || status=1
        rm -rf "$OUTDIR/cold-$kernel";;
    esac
    rm -rf "$OUTDIR/run-$kernel"
done
if [ -n "${DEJAVU_SRC:-}" ]; then
    # triton-dejavu itself (never committed; carried from a git-ignored folder): does it import here?
    step "triton-dejavu from $DEJAVU_SRC on this Triton"
    PYTHONPATH="$DEJAVU_SRC" python3 -c "import triton, triton_dejavu; print('triton', triton.__version__, 'triton_dejavu', triton_dejavu.__version__, 'imports')" \
        > "$OUTDIR/dejavu-import.txt" 2>&1; echo "exit $?" >> "$OUTDIR/dejavu-import.txt"
    tail -5 "$OUTDIR/dejavu-import.txt" >&2
fi
step "done, status $status"
exit $status
