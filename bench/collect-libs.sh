#!/usr/bin/env bash
# Copies the shared libraries that the built binaries need and that a bare GPU machine may lack
# (OpenBLAS, LAPACKE, gfortran, SQLite, OpenSSL, libstdc++, GoogleTest ...) into BUILD/libs, so that
# the build directory can be carried to the device and run with LD_LIBRARY_PATH=BUILD/libs.
# Left out: the CUDA toolkit's libraries (the device has the CUDA 13 runtime), the driver (libcuda)
# and glibc itself.
# The libraries are also packed into BUILD/libs.tar.xz (~11 MiB instead of ~57 MiB) so that the whole
# carry (test binary, CLI, libraries) stays under the device tool's 64 MiB; device-check.sh unpacks it.
# Usage: bench/collect-libs.sh [build-dir]   (default: $BUILD or build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}
DEST="$BUILD/libs"
mkdir -p "$DEST"

binaries=()
for f in "$BUILD/tests/spheremask_tests" "$BUILD/host/cli/spheremask" "$BUILD"/libspheremask.so*; do
  [[ -f "$f" ]] && binaries+=("$f")
done
[[ ${#binaries[@]} -gt 0 ]] || { echo "collect-libs: no binaries under $BUILD (build first)" >&2; exit 1; }

is_excluded() {
  case "$1" in
    /usr/local/cuda*|*/libcuda.so*|*/libnvidia*|*/libcudart*|*/libcublas*|*/libcusolver*|*/libcusparse*|\
    */libcurand*|*/libnvJitLink*|*/libnvrtc*) return 0 ;;  # CUDA toolkit / driver
    */libc.so*|*/libm.so*|*/libpthread.so*|*/libdl.so*|*/librt.so*|*/ld-linux*|*/libresolv.so*|*/libutil.so*) return 0 ;;  # glibc
  esac
  return 1
}

copied=0
while read -r lib; do
  [[ -n "$lib" && -e "$lib" ]] || continue
  is_excluded "$lib" && continue
  name=$(basename "$lib")
  if [[ ! -e "$DEST/$name" ]]; then
    cp -L "$lib" "$DEST/$name"  # -L: Debian's libblas/liblapack are alternatives symlinks
    copied=$((copied + 1))
  fi
done < <(for b in "${binaries[@]}"; do ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'; done | sort -u)

tar -C "$BUILD" -cf - libs | xz -T0 -6 >"$BUILD/libs.tar.xz"
echo "collect-libs: $copied new libraries in $DEST ($(du -sh "$DEST" | cut -f1)), packed as $BUILD/libs.tar.xz" \
  "($(du -sh "$BUILD/libs.tar.xz" | cut -f1)); carry $BUILD/tests/spheremask_tests $BUILD/host/cli/spheremask" \
  "$BUILD/libs.tar.xz (whole build dir: $(du -sh "$BUILD" | cut -f1); the carry limit is 64 MiB)"
missing=$(for b in "${binaries[@]}"; do ldd "$b" | grep "not found" || true; done | sort -u)
[[ -z "$missing" ]] || { echo "collect-libs: unresolved here:" >&2; echo "$missing" >&2; exit 1; }
