#!/usr/bin/env bash
# scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]   fuzz one harness longer than CI does
# scripts/fuzz.sh list                                     the harnesses (tests/fuzz/fuzz_*.cpp)
# scripts/fuzz.sh seeds                                    regenerate tests/fuzz/corpus from the library
# Builds the harness in the ASan+UBSan build of scripts/sanitize.sh (build-asan, clang). The committed
# corpus is only read; new inputs go to build-asan/tests/fuzz/work/TARGET/corpus and crashers to
# .../artifacts. A crasher becomes a regression input: fix the bug, then copy the file into
# tests/fuzz/corpus/TARGET/ as regress-<what> (every ctest -L fuzz run replays it first).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS | list | seeds}
dir=${BUILD_DIR:-build-asan}
if [ "$target" = list ]; then
  ls tests/fuzz/fuzz_*.cpp | xargs -n1 basename | sed 's/\.cpp$//'
  exit 0
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPHEREMASK_ENABLE_CUDA=OFF -DSPHEREMASK_BUILD_PYTHON=OFF \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSPHEREMASK_SANITIZE=address,undefined \
  -DSPHEREMASK_BUILD_FUZZERS=ON "${launcher[@]}" >/dev/null
if [ "$target" = seeds ]; then
  cmake --build "$dir" -j "${JOBS:-$(nproc)}" --target spheremask_fuzz_seeds
  rm -rf tests/fuzz/corpus.new
  "$dir/tests/fuzz/spheremask_fuzz_seeds" tests/fuzz/corpus.new
  # Keep the regression inputs (regress-*) that earlier runs added next to the seeds.
  find tests/fuzz/corpus -name 'regress-*' 2>/dev/null | while read -r f; do
    mkdir -p "tests/fuzz/corpus.new/$(basename "$(dirname "$f")")"
    cp "$f" "tests/fuzz/corpus.new/$(basename "$(dirname "$f")")/"
  done
  rm -rf tests/fuzz/corpus && mv tests/fuzz/corpus.new tests/fuzz/corpus
  exit 0
fi
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
shift 2
[ -f "tests/fuzz/$target.cpp" ] || { echo "fuzz.sh: no harness tests/fuzz/$target.cpp (scripts/fuzz.sh list)" >&2; exit 2; }
cmake --build "$dir" -j "${JOBS:-$(nproc)}" --target "$target"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
dict=()
[ -f "tests/fuzz/dict/$target.dict" ] && dict=(-dict="tests/fuzz/dict/$target.dict")
exec tests/fuzz/run_fuzzer.sh "$dir/tests/fuzz/$target" "$dir/tests/fuzz/work/$target" "tests/fuzz/corpus/$target" \
  "$seconds" "${dict[@]}" "$@"
