#!/usr/bin/env bash
# Configures and builds into ${BUILD_DIR:-build}. CUDA (when nvcc exists) is built for
# ${CUDA_ARCH:-90}; never "native", since build machines may have no GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" \
  -DPython3_EXECUTABLE=/usr/bin/python3 ${CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$jobs"
