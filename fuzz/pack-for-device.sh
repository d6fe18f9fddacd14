#!/usr/bin/env bash
# Packs fuzz targets for a host without the project's build dependencies (the GPU host: no Qt, no
# muparser, no libarchive, no network), to be run there by fuzz/device-run.sh.
#
#   fuzz/pack-for-device.sh DEST [TARGET...]      (default targets: space_file triton_cache vllm_config worker_protocol)
#
# DEST (git-ignored: .fuzzpack/ is) receives
#   bin/fuzz_<target>   from build-fuzz (preset "fuzz": ASan + UBSan + libFuzzer), debug info stripped:
#                       a quarter of the size; symbols stay, findings are replayed here with the full build
#   lib/                every shared library they load that is neither glibc, libstdc++/libgcc nor in
#                       the Qt runtime that shared/device/qt-runtime.sh carries (muparser, libarchive
#                       and its compressors, libxml2, nettle, acl, zlib, pcre2-8, ...)
#   seeds/<target>/     the seeds (fuzz/corpus/<target>), replayed first as a check of the host
#   corpus/<target>/    the corpus grown so far here (fuzz/out/<target>/corpus), when there is one
#   dicts/              the libFuzzer dictionaries
#   qt/                 the Qt runtime .deb files and qt-runtime.sh (when FUZZPACK_QT_DEBS names a folder
#                       holding them, or when apt-get download can fetch them; about 15 MB)
#   env.sh              sets LD_LIBRARY_PATH to lib/ (sourced by device-run.sh)
#   device-run.sh       the runner
# and checks, with LD_LIBRARY_PATH set to DEST/lib alone, that every library a target loads comes
# from DEST/lib, glibc/libstdc++/libgcc or the Qt runtime's package list.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 1 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
dest=$1; shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(space_file triton_cache vllm_config worker_protocol)

# The libraries the GPU host has (glibc, the C++ runtime) and those qt-runtime.sh carries (its
# package list: libqt6core6 libqt6sql6 libicu72 libdouble-conversion3 libb2-1 libpcre2-16-0
# libglib2.0-0 libgomp1 ...): not packed.
host_or_qt='^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|libQt6[A-Za-z]*|libicu(uc|i18n|data)|libdouble-conversion|libb2|libpcre2-16|libglib-2\.0|libgomp)\.so'

[ -f build-fuzz/build.ninja ] || cmake --preset fuzz >/dev/null
nice -n 19 cmake --build build-fuzz -j2 --target "${targets[@]/#/fuzz_}"

rm -rf "$dest"
mkdir -p "$dest"/bin "$dest"/lib "$dest"/seeds "$dest"/corpus "$dest"/dicts
for t in "${targets[@]}"; do
    objcopy --strip-debug build-fuzz/fuzz/fuzz_"$t" "$dest"/bin/fuzz_"$t"
    mkdir -p "$dest"/seeds/"$t" "$dest"/corpus/"$t"
    cp fuzz/corpus/"$t"/* "$dest"/seeds/"$t"/
    if [ -d fuzz/out/"$t"/corpus ]; then cp fuzz/out/"$t"/corpus/* "$dest"/corpus/"$t"/ 2>/dev/null || true; fi
    ldd build-fuzz/fuzz/fuzz_"$t" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
done | sort -u | while read -r name path; do
    if ! grep -Eq "$host_or_qt" <<<"$name"; then cp -L "$path" "$dest"/lib/"$name"; fi
done
cp fuzz/dicts/* "$dest"/dicts/
cp fuzz/device-run.sh "$dest"/
cat >"$dest"/env.sh <<'EOF'
# Sourced by device-run.sh: the packed libraries first; the Qt runtime (qt-runtime.sh install) adds its own.
pack=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LD_LIBRARY_PATH=$pack/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
EOF

# The Qt runtime as Debian packages, as shared/device/README.md describes.
qt_script=${FUZZPACK_QT_SCRIPT:-/work/shared/device/qt-runtime.sh}
if [ -n "${FUZZPACK_QT_DEBS:-}" ]; then
    mkdir -p "$dest"/qt && cp "$FUZZPACK_QT_DEBS"/*.deb "$dest"/qt/ && cp "$qt_script" "$dest"/qt/
elif [ -x "$qt_script" ] && [ "${FUZZPACK_NO_QT:-0}" != 1 ]; then
    mkdir -p "$dest"/qt && "$qt_script" fetch "$dest"/qt >/dev/null && cp "$qt_script" "$dest"/qt/
else
    echo "note: no Qt runtime packed (FUZZPACK_NO_QT=1 or no $qt_script); the host must have Qt 6.4" >&2
fi

# Self-contained but for the host and the Qt runtime: every library resolves to DEST/lib or to one
# of those.
abs=$(cd "$dest" && pwd)
bad=0
for t in "${targets[@]}"; do
    while read -r name path; do
        case "$path" in "$abs"/lib/*) continue ;; esac
        grep -Eq "$host_or_qt" <<<"$name" && continue
        echo "fuzz_$t: $name resolves to $path, not to $dest/lib" >&2
        bad=1
    done < <(env -i LD_LIBRARY_PATH="$abs"/lib ldd "$abs"/bin/fuzz_"$t" | awk '$2 == "=>" { print $1, $3 }')
done
[ $bad = 0 ] || exit 1
du -sh "$dest"/bin "$dest"/lib "$dest"/seeds "$dest"/corpus "$dest"/qt 2>/dev/null || true
du -sh "$dest"
