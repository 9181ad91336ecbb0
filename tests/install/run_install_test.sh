#!/usr/bin/env bash
# Installs the current build tree into a temporary prefix, moves the prefix (the package must be
# relocatable), then builds and runs a C program (compiled as C) and a C++ program against it,
# once through find_package and once through pkg-config.
# Usage: run_install_test.sh <build-dir> <source-dir> [cmake] [c-compiler] [c++-compiler]
set -euo pipefail
build=$1
src=$2
cmake=${3:-cmake}
cc=${4:-cc}
cxx=${5:-c++}
work=$(mktemp -d "${TMPDIR:-/tmp}/spheremask-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "install into a temporary prefix, then relocate it"
"$cmake" --install "$build" --prefix "$work/staging" > "$work/install.log"
mv "$work/staging" "$work/prefix"
prefix=$work/prefix
so=$(find "$prefix" -name 'libspheremask.so.0' | head -n1)
[[ -n "$so" ]] || fail "libspheremask.so.0 not installed"
libdir=$(dirname "$so")

step "layout"
for f in include/spheremask/spheremask.h include/spheremask/version.h include/spheremask/spheremask.hpp \
         lib/cmake/spheremask/spheremaskConfig.cmake lib/cmake/spheremask/spheremaskConfigVersion.cmake \
         lib/pkgconfig/spheremask.pc bin/spheremask; do
  [[ -e "$prefix/$f" ]] || fail "$f not installed"
done
for internal in $(find "$src/host" "$src/cuda" -name '*.hpp' -o -name '*.cuh'); do  # internal headers never leave the build tree
  name=$(basename "$internal")
  [[ -z "$(find "$prefix/include" -name "$name")" ]] || fail "internal header $name installed"
done
soname=$(objdump -p "$libdir/libspheremask.so" | awk '/SONAME/ {print $2}')
[[ "$soname" == libspheremask.so.0 ]] || fail "soname is '$soname', expected libspheremask.so.0"
leaked=$(nm -DC --defined-only "$libdir/libspheremask.so" | awk '{ $1 = ""; $2 = ""; print }' |
         grep -v -E '^ +(sm_|spheremask::|typeinfo for spheremask::|typeinfo name for spheremask::|vtable for spheremask::)' || true)
[[ -z "$leaked" ]] || fail "symbols outside the API are exported:"$'\n'"$leaked"
# The command-line tools' code (host/tools, eval, attack, shard: the static spheremask_tools) is not in the
# library at all: neither exported nor hidden (the full symbol table, when the library is not stripped).
tool_symbols='spheremask::(eval|security|attack|shard)::|spheremask::(NpyMatrix|write_npy_f32|read_file|write_file_atomic|make_sealed_file|parse_sealed_file)\b'
tools_in_lib=$( { nm -DC --defined-only "$libdir/libspheremask.so"; nm -C --defined-only "$libdir/libspheremask.so" 2>/dev/null; } |
               grep -E "$tool_symbols" | head -5 || true)
[[ -z "$tools_in_lib" ]] || fail "CLI-only code is in libspheremask.so:"$'\n'"$tools_in_lib"
"$prefix/bin/spheremask" --help > /dev/null || fail "installed CLI does not run"

step "find_package: configure, build, run"
"$cmake" -S "$src/tests/install/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DSPHEREMASK_EXAMPLES_DIR="$src/examples" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" > "$work/configure.log" ||
  { cat "$work/configure.log"; fail "consumer configure"; }
"$cmake" --build "$work/consumer" -j 2 > "$work/build.log" || { cat "$work/build.log"; fail "consumer build"; }
grep -q 'Building C object.*server_flow.c' "$work/build.log" || fail "server_flow.c was not compiled as C"
"$work/consumer/server_flow_c"
"$work/consumer/consumer_cpp"

step "pkg-config: compile, link, run"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[[ "$(pkg-config --modversion spheremask)" == "$(grep -m1 '^Version:' "$prefix/lib/pkgconfig/spheremask.pc" | cut -d' ' -f2)" ]]
pc_lib=$(pkg-config --variable=libdir spheremask)
[[ "$(cd "$pc_lib" && pwd -P)" == "$(cd "$libdir" && pwd -P)" ]] || fail "pkg-config libdir $pc_lib is not $libdir"
read -r -a flags <<< "$(pkg-config --cflags --libs spheremask)"
"$cc" -x c -std=c99 -pedantic-errors -Wall -Wextra -Werror "$src/examples/server_flow.c" "${flags[@]}" \
  -Wl,-rpath,"$pc_lib" -o "$work/server_flow_pc"
"$cxx" -std=c++20 -Wall -Wextra -Werror "$src/tests/install/consumer/consumer.cpp" "${flags[@]}" \
  -Wl,-rpath,"$pc_lib" -o "$work/consumer_pc"
"$work/server_flow_pc"
"$work/consumer_pc"
echo "install test passed"
