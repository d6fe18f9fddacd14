#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need (only those missing).
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config
          qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite
          libmuparser-dev libeigen3-dev zlib1g-dev nlohmann-json3-dev
          libqcustomplot-dev libqcustomplot2.1-qt6 xvfb xauth python3 libarchive-dev
          libamdhip64-dev)  # HIP + hiprtc: dejavu-hip-worker builds (its GPU test skips without an AMD GPU)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
