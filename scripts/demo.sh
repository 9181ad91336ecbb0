#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds, and runs the demo on synthetic faces with the embedded store.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
"${BUILD_DIR:-build}/host/cli/spheremask" demo "$@"
