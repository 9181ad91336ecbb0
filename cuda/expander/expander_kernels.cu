#include "cuda/core/block_reduce.cuh"
#include "cuda/core/cuda_check.hpp"
#include "cuda/expander/expander_kernels.hpp"
#include "spheremask/detail/te_math.hpp"

namespace spheremask::cuda {
namespace {

constexpr unsigned kActivateThreads = 256;

// One block per row. With fold, the thread that owns j < h also writes h + j, so the in-place update
// never applies the activation twice; an odd row's last element (index 2h) is activated alone.
__global__ void expander_activate_kernel(uint32_t len, internal::TeAct act, bool fold, float* z) {
  float* row = z + size_t(blockIdx.x) * len;
  const uint32_t h = fold ? len / 2 : 0;
  double norm2 = 0;  // of the values this thread wrote; each element is written by one thread
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) norm2 += detail::activate_owned(j, h, act, row, row);
  norm2 = block_sum(norm2);  // its barrier also makes every write above visible to the block
  const float norm = float(sqrt(norm2));
  const float inv = detail::inverse_norm(norm);
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) row[j] *= inv;
}

}  // namespace

void launch_expander_activate(size_t count, uint32_t len, internal::TeAct act, bool fold, float* z,
                              cudaStream_t stream) {
  if (count == 0) return;
  expander_activate_kernel<<<unsigned(count), kActivateThreads, 0, stream>>>(len, act, fold, z);
  SM_CUDA_CHECK_LAUNCH("expander_activate_kernel");
}

}  // namespace spheremask::cuda
