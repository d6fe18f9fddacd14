#!/usr/bin/env bash
# Retakes every studio screenshot in this folder from the real application on the shipped
# datasets, under Xvfb, in the light and the dark palette.
# Usage: docs/screenshots/take.sh [path/to/dejavu-studio]   (default: build/app/studio/dejavu-studio)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
studio="$(realpath "${1:-$here/../../build/app/studio/dejavu-studio}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" # no saved layout or recent files
shot() { # name view palette [extra args...]
    local name=$1 view=$2 palette=$3
    shift 3
    xvfb-run -a -s "-screen 0 1600x1000x24" "$studio" --database "$work/$name-$palette.sqlite" \
        --view "$view" --palette "$palette" --screenshot "$here/studio-$name-$palette.png" "$@"
}
session=(--device replay:kerneltuner/convolution_W7800 --strategy bayes --budget 200)
for palette in ${PALETTES:-light dark}; do
    shot setup setup "$palette" --device replay:kerneltuner/convolution_W7800 --strategy bayes --budget 200
    shot session session "$palette" "${session[@]}"
    shot effects effects "$palette" "${session[@]}"
    shot detail detail "$palette" "${session[@]}"
    shot compare compare "$palette"
    shot compare-landscapes compare-landscapes "$palette"
    shot slots slots "$palette" --device replay:h100/triton_matmul_fp16_M4096_N4096_K4096 --strategy bayes \
        --budget 100 --slots 4 --latency-ms 150
done
