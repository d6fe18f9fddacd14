#!/usr/bin/env bash
# README command 1: install what is missing, build, and run a tuning session on an embedded
# recorded landscape (the replay device: no GPU needed). Extra arguments go to `dejavu-tune tune`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
tune=build/app/cli/dejavu-tune
db=build/demo-results.sqlite
"$tune" devices
echo
"$tune" tune --device replay:h100/triton_matmul_fp16_M4096_N4096_K4096 --strategy random --budget 100 --seed 1 --db "$db" "$@"
echo
"$tune" sessions --db "$db"
