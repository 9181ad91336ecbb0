#!/usr/bin/env bash
# Sets up, builds, and runs every test (C++ GoogleTest, CLI, install, Python) through CTest.
# GPU tests skip without a device unless SPHEREMASK_REQUIRE_GPU=1.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
