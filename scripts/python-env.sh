#!/usr/bin/env bash
# Installs Ray, pinned with every dependency in requirements-ray.txt, into the project's virtual
# environment .venv/ (Debian has no Ray package), for the Ray slot (docs/ray.md). Idempotent: with
# the same requirements and Python it returns at once. Exit 1 (with the reason) when PyPI cannot
# be reached; the Ray tests then skip, saying so.
#   DEJAVU_PYTHON=/path/to/python3 scripts/python-env.sh    build the environment on another Python
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
requirements=requirements-ray.txt
python=${DEJAVU_PYTHON:-}
if [ -z "$python" ]; then
    if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else python=python3; fi
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
apt_install() {
    echo "installing: $*" >&2
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "$@"
}
command -v "$python" >/dev/null || apt_install python3

# What the environment was built from: the pins and the interpreter's version.
want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.dejavu-stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi

"$python" -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
if [ -e "$venv" ] && ! [ -f "$venv/.dejavu-stamp" ] && ! [ -x "$venv/bin/python" ]; then
    echo "scripts/python-env.sh: $venv exists and is not a virtual environment; move it away" >&2
    exit 1
fi
rm -f "$venv/.dejavu-stamp"
# --clear: an environment of another Python version is rebuilt rather than mixed.
if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version.split()[0] != sys.argv[1])' \
        "$("$python" -c 'import sys; print(sys.version.split()[0])')"; then
    "$python" -m venv --clear "$venv"
fi
start=$(date +%s)
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
        --timeout 15 --retries 1 -r "$requirements"; then
    echo "scripts/python-env.sh: cannot install $requirements into $venv (is PyPI reachable?);" \
         "the Ray slot cannot run and its tests will be skipped" >&2
    exit 1
fi
echo "$want" > "$venv/.dejavu-stamp"
echo "scripts/python-env.sh: Ray installed into $venv in $(( $(date +%s) - start )) s ($(du -sh "$venv" | cut -f1))" >&2
