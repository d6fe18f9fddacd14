#!/usr/bin/env bash
# Prepares what a GPU host without Qt needs to run dejavu-tune built here (Debian 12):
# the Qt runtime and muparser as Debian packages in .devicepkgs/ (git-ignored via .git/info/exclude),
# and a release build of the CLI. On the GPU host:
#   source .devicepkgs/qt-runtime.sh install .devicepkgs
#   ./build-release/app/cli/dejavu-tune tune --device "worker:... python3 kernels/triton/dejavu_triton_worker.py" ...
# (carry .devicepkgs and build-release/app/cli/dejavu-tune).
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.devicepkgs/' .git/info/exclude 2>/dev/null || echo '/.devicepkgs/' >> .git/info/exclude
if [ ! -f .devicepkgs/qt-runtime.sh ]; then
    ../shared/device/qt-runtime.sh fetch .devicepkgs
    cp ../shared/device/qt-runtime.sh .devicepkgs/
fi
(cd .devicepkgs && ls libmuparser2v5_*.deb >/dev/null 2>&1 || apt-get download libmuparser2v5)
cmake --preset release >/dev/null
cmake --build build-release --target dejavu-tune
