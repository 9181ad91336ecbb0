#!/usr/bin/env bash
# Installs the Debian packages spheremask builds and tests with (skipped when all are present).
# The CUDA toolkit is not a Debian package here: when nvcc is found under /usr/local/cuda the CUDA
# backend is built too, otherwise the build is CPU-only.
set -euo pipefail
packages=(build-essential cmake pkg-config libopenblas-dev liblapacke-dev libssl-dev openssl libsqlite3-dev
          libgtest-dev libcli11-dev nlohmann-json3-dev pybind11-dev python3-dev python3-numpy python3-pytest
          python3-matplotlib libopenmpi-dev openmpi-bin
          clang)  # clang: libFuzzer and the ASan+UBSan build of scripts/sanitize.sh
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
