#!/usr/bin/env bash
# Kernel time next to wall time for the GPU paths furthest from their floors (bench/RESULTS.md): runs a
# few small `spheremask bench` rows under Nsight Compute, timing every kernel (one
# metric, gpu__time_duration, so one replay pass), and the same rows without it for the wall time.
# The difference between the two is host work and transfers. Results: $OUT/profile.log.
# Usage (repository root, on the GPU machine): bench/device-profile.sh [build-dir]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}
OUT=${OUT:-$PWD/device-profile-out}
mkdir -p "$OUT"
LOG="$OUT/profile.log"
: >"$LOG"
if [[ ! -d "$BUILD/libs" && -f "$BUILD/libs.tar.xz" ]]; then xz -dc "$BUILD/libs.tar.xz" | tar -C "$BUILD" -xf -; fi
export LD_LIBRARY_PATH="$PWD/$BUILD/libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
CLI="$BUILD/host/cli/spheremask"
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
row() {  # row NAME BENCH-ARGS...
  local name=$1; shift
  echo "=== $name: wall" >>"$LOG"
  timeout 60 "$CLI" bench --backend cuda --json "$@" >>"$LOG" 2>&1
  echo "=== $name: kernels ($NCU)" >>"$LOG"
  timeout 120 "$NCU" --clock-control none --metrics gpu__time_duration.sum --print-summary per-kernel \
    "$CLI" bench --backend cuda --json --repeats 1 "$@" 2>&1 | grep -v '^==PROF==' >>"$LOG"
}
row identify-512-f16 --op identify --resident --dtype f16 --n 512 --gallery 2000 --probes 64
row resident-512-f32 --op verify --resident --dtype f32 --n 512 --count 2048
row resident-512-f16 --op verify --resident --dtype f16 --n 512 --count 2048
row per-call-512 --op verify --n 512 --count 512
row enroll-512 --op enroll --n 512 --count 128
echo "done in ${SECONDS}s" >>"$LOG"
