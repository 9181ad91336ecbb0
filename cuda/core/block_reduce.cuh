// Block-wide reductions for kernels launched with blockDim.x a multiple of 32 (≤ 1024). Every thread
// of the block must call them; every thread receives the result.
#pragma once
#include <cuda_runtime.h>

#include "cuda/decode/top_alpha.hpp"

namespace spheremask::cuda {

constexpr unsigned kFullMask = 0xffffffffu;

__device__ inline double block_sum(double v) {
  __shared__ double partial[32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(kFullMask, v, o);
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const unsigned warps = (blockDim.x + 31u) / 32u;
    double total = lane < warps ? partial[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) total += __shfl_down_sync(kFullMask, total, o);
    if (lane == 0) partial[0] = total;
  }
  __syncthreads();
  const double total = partial[0];
  __syncthreads();  // the next call may overwrite partial[]
  return total;
}

__device__ inline Ranked shfl_down_ranked(Ranked r, int offset) {
  return {__shfl_down_sync(kFullMask, r.abs, offset), __shfl_down_sync(kFullMask, r.index, offset)};
}

// The element ranking first (|y| descending, index ascending) among the threads' candidates.
__device__ inline Ranked block_best(Ranked r) {
  __shared__ float best_abs[32];
  __shared__ unsigned best_index[32];
  for (int o = 16; o > 0; o >>= 1) {
    const Ranked other = shfl_down_ranked(r, o);
    if (ranked_better(other, r)) r = other;
  }
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  if (lane == 0) { best_abs[warp] = r.abs; best_index[warp] = r.index; }
  __syncthreads();
  if (warp == 0) {
    const unsigned warps = (blockDim.x + 31u) / 32u;
    Ranked w = lane < warps ? Ranked{best_abs[lane], best_index[lane]} : ranked_none();
    for (int o = 16; o > 0; o >>= 1) {
      const Ranked other = shfl_down_ranked(w, o);
      if (ranked_better(other, w)) w = other;
    }
    if (lane == 0) { best_abs[0] = w.abs; best_index[0] = w.index; }
  }
  __syncthreads();
  const Ranked result{best_abs[0], best_index[0]};
  __syncthreads();
  return result;
}

}  // namespace spheremask::cuda
