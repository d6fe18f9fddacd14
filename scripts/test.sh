#!/usr/bin/env bash
# README command 2: install what is missing, then build everything (warnings are errors) and run
# every test twice: with the default preset, then with the address + undefined-behaviour
# sanitizer preset (app tests, the CLI and the workers they start included; any sanitizer report
# fails). Stops at the first preset that fails, with its status.
#   scripts/test.sh              both presets, default first (what CI runs: .ci/run)
#   scripts/test.sh --default    the default preset only
#   scripts/test.sh --sanitize   the sanitizer preset only
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    "") presets=(default sanitize) ;;
    --default) presets=(default) ;;
    --sanitize) presets=(sanitize) ;;
    *) echo "usage: scripts/test.sh [--default | --sanitize]" >&2; exit 2 ;;
esac
bash scripts/deps.sh
# Ray for the Ray slot's tests (pinned, into .venv/; about 20 s the first time, nothing after).
# Without PyPI they skip, saying why: the rest of the suite does not need it.
bash scripts/python-env.sh || echo "scripts/test.sh: no Ray environment; the ray tests will be skipped" >&2
# ccache, when installed, makes the second preset and later runs cheap; nothing needs it.
launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
for preset in "${presets[@]}"; do
    echo "== preset $preset: build" >&2
    cmake --preset "$preset" "${launcher[@]}" >/dev/null
    cmake --build --preset "$preset"
    echo "== preset $preset: tests" >&2
    ctest --preset "$preset" -j2
done
