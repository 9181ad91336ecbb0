#!/usr/bin/env bash
# CPU benchmark: spheremask vs the PyTorch peer, same machine, same thread count, both warmed up, both
# on OpenBLAS (Debian's python3-torch uses the system BLAS/LAPACK, which is OpenBLAS once
# libopenblas0 is installed: checked below). Prints JSON lines; run on a quiet machine.
# Usage: bench/cpu-bench.sh [build-dir] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${2:-1}
cli="$build/host/cli/spheremask"
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
lapack=$(readlink -f /usr/lib/x86_64-linux-gnu/liblapack.so.3 || true)
echo "{\"machine\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\", \"cores\": $(nproc --all), \"threads\": $threads, \"blas\": \"$blas\", \"lapack\": \"$lapack\", \"date\": \"$(date -u +%F)\"}"
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
for n in 512 1024; do
  count=$(( n == 512 ? 32 : 8 ))
  "$cli" bench --op enroll --n "$n" --alpha 16 --count "$count" --backend cpu --threads "$threads" --repeats 5 --json
  /usr/bin/python3 bench/peers/ironmask_torch.py --op enroll --n "$n" --alpha 16 --count "$count" --threads "$threads" --repeats 5
  "$cli" bench --op verify --n "$n" --alpha 16 --count 256 --backend cpu --threads "$threads" --repeats 5 --json
  /usr/bin/python3 bench/peers/ironmask_torch.py --op verify --n "$n" --alpha 16 --count 256 --threads "$threads" --repeats 5
  # From bytes (the server flow): each timed run parses the serialized records (SMHD v2: one chunked
  # hashing pass over P), then verifies; the peer parses header ‖ P ‖ mac and hashes P once for its MAC.
  for dtype in f32 f16; do
    "$cli" bench --op verify --from-bytes --dtype "$dtype" --n "$n" --alpha 16 --count 256 --backend cpu --threads "$threads" --repeats 5 --json
  done
  /usr/bin/python3 bench/peers/ironmask_torch.py --op verify --from-bytes --n "$n" --alpha 16 --count 256 --threads "$threads" --repeats 5
  # Records loaded once as a gallery: each record's MAC is checked on its first match only.
  "$cli" bench --op verify --resident --n "$n" --alpha 16 --count 256 --backend cpu --threads "$threads" --repeats 5 --json
  /usr/bin/python3 bench/peers/ironmask_torch.py --op verify --resident --n "$n" --alpha 16 --count 256 --threads "$threads" --repeats 5
done
