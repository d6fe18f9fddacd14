#!/usr/bin/env bash
# README command 2: install what is missing, build everything (warnings are errors) and run every test.
#   scripts/test.sh             default preset
#   scripts/test.sh --sanitize  the address + undefined-behaviour sanitizer preset
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
preset=default
if [ "${1:-}" = "--sanitize" ]; then preset=sanitize; fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j2
