#!/usr/bin/env bash
# README command 2: install what is missing, build everything (warnings are errors) and run every test.
#   scripts/test.sh             default preset
#   scripts/test.sh --sanitize  the address + undefined-behaviour sanitizer preset
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# Ray for the Ray slot's tests (pinned, into .venv/; about 20 s the first time, nothing after).
# Without PyPI they skip, saying why: the rest of the suite does not need it.
bash scripts/python-env.sh || echo "scripts/test.sh: no Ray environment; the ray tests will be skipped" >&2
preset=default
if [ "${1:-}" = "--sanitize" ]; then preset=sanitize; fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j2
