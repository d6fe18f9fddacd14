#!/usr/bin/env bash
# Builds and runs the benchmarks; prints Markdown tables for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
echo "## $(date -u +%Y-%m-%d) on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for b in build/bench/bench_*; do
    echo; echo "### $(basename "$b")"; echo
    "$b"
done
