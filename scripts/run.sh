#!/usr/bin/env bash
# README command 1: install what is missing, build, then run the main job on an embedded
# recorded landscape (the replay device: no GPU needed):
#   - with a display ($DISPLAY or $WAYLAND_DISPLAY set): the studio, set up on the H100 matmul landscape;
#   - without one: the command-line tool runs a Bayesian-optimisation session, then the same search
#     again to show that the result store remembers (nothing is measured twice).
# Extra arguments go to `dejavu-tune tune` (CLI) or to `dejavu-studio` (studio).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
db=build/demo-results.sqlite
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${DEJAVU_CLI:-}" != "1" ]; then
    exec build/app/studio/dejavu-studio --database "$db" \
        --device replay:h100/triton_matmul_fp16_M4096_N4096_K4096 --strategy bayes --budget 100 "$@"
fi
tune=build/app/cli/dejavu-tune
"$tune" devices
echo
"$tune" tune --device replay:h100/triton_matmul_fp16_M4096_N4096_K4096 --strategy bayes --budget 60 --seed 1 --db "$db" "$@"
echo
echo "The same search again: every configuration is answered from the result store."
"$tune" tune --device replay:h100/triton_matmul_fp16_M4096_N4096_K4096 --strategy bayes --budget 60 --seed 1 --db "$db" --quiet "$@"
echo
"$tune" sessions --db "$db"
