#!/usr/bin/env bash
# scripts/sanitize.sh asan|tsan [ctest args...]
#   asan: clang, AddressSanitizer + UndefinedBehaviorSanitizer (-fno-sanitize-recover=undefined,
#         halt_on_error), libFuzzer coverage compiled in; runs every CPU test (label cpu) except the
#         install test (it links uninstrumented consumers against the library) and the MPI jobs (mpirun
#         and OpenMPI are not instrumented), then the fuzz label
#         (each harness for SPHEREMASK_FUZZ_SECONDS, default 20). The Python tests are not built: the
#         interpreter is not instrumented and would need the ASan runtime preloaded.
#   tsan: ThreadSanitizer, runs the tests labelled threads (tests/CMakeLists.txt lists them).
# Build directories: build-asan, build-tsan (ccache is used when present). CUDA is off in both.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/sanitize.sh asan|tsan [ctest args...]}
shift
jobs=${JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# One BLAS thread: OpenBLAS's own pool is not instrumented (TSan) and the tests choose their threads.
export OPENBLAS_NUM_THREADS=1
common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython3_EXECUTABLE=/usr/bin/python3 -DSPHEREMASK_ENABLE_CUDA=OFF -DSPHEREMASK_BUILD_PYTHON=OFF "${launcher[@]}")
case "$kind" in
  asan)
    command -v clang++ >/dev/null || { echo "sanitize.sh: clang++ not found (scripts/install-deps.sh installs it)" >&2; exit 2; }
    dir=${BUILD_DIR:-build-asan}
    cmake -S . -B "$dir" "${common[@]}" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DSPHEREMASK_SANITIZE=address,undefined -DSPHEREMASK_BUILD_FUZZERS=ON \
      -DSPHEREMASK_FUZZ_SECONDS="${SPHEREMASK_FUZZ_SECONDS:-20}"
    cmake --build "$dir" -j "$jobs" --target spheremask_tests spheremask_fuzzers
    export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    cd "$dir"
    ctest --output-on-failure -j "$jobs" -L cpu -LE mpi -E '^install_consumers$' "$@"
    ctest --output-on-failure -j "$jobs" -L fuzz "$@"
    ;;
  tsan)
    dir=${BUILD_DIR:-build-tsan}
    cmake -S . -B "$dir" "${common[@]}" -DSPHEREMASK_SANITIZE=thread
    cmake --build "$dir" -j "$jobs" --target spheremask_tests
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
    cd "$dir"
    ctest --output-on-failure -j "$jobs" -L threads "$@"
    ;;
  *)
    echo "sanitize.sh: unknown kind '$kind' (asan or tsan)" >&2
    exit 2
    ;;
esac
