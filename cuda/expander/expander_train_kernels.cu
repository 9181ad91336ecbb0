#include <algorithm>

#include "cuda/core/block_reduce.cuh"
#include "cuda/core/cuda_check.hpp"
#include "cuda/expander/expander_train_kernels.hpp"
#include "spheremask/detail/bytes.hpp"

namespace spheremask::cuda {
namespace {

using detail::activate_owned;
using detail::adam_element;
using detail::backward_element;
using detail::gram_entry;
using detail::inverse_norm;

constexpr unsigned kRowThreads = 256;   // per-row kernels: one block per row
constexpr unsigned kFlatThreads = 256;  // elementwise kernels: grid-stride loops
constexpr size_t kMaxFlatBlocks = 8192;

unsigned flat_blocks(size_t count) {
  return unsigned(std::min(kMaxFlatBlocks, (count + kFlatThreads - 1) / kFlatThreads));
}

// As expander_activate_kernel (expander_kernels.cu) but out of place, keeping z and the norm.
__global__ void train_activate_kernel(uint32_t len, internal::TeAct act, bool fold, const float* z, float* y,
                                      float* norm) {
  const size_t off = size_t(blockIdx.x) * len;
  float* yr = y + off;
  const uint32_t h = fold ? len / 2 : 0;
  double norm2 = 0;
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) norm2 += activate_owned(j, h, act, z + off, yr);
  norm2 = block_sum(norm2);  // its barrier also makes the writes above visible to the block
  const float nrm = float(sqrt(norm2));
  const float inv = inverse_norm(nrm);
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) yr[j] *= inv;
  if (threadIdx.x == 0) norm[blockIdx.x] = nrm;
}

// One block per row i of the Gram matrices.
__global__ void gram_weights_kernel(uint32_t count, detail::GramArgs g, const float* gin, const float* gout, float* s,
                                    double* partial) {
  const uint32_t i = blockIdx.x;
  double acc = 0;
  for (uint32_t j = threadIdx.x; j < count; j += blockDim.x)
    acc += gram_entry(i, j, count, g, gin, gout, s + size_t(i) * count);
  acc = block_sum(acc);
  if (threadIdx.x == 0) partial[i] = acc;
}

// One block per row. dy is only read and dz only written: no in-place hazard.
__global__ void layer_backward_kernel(uint32_t len, internal::TeAct act, bool fold, const float* dy, const float* y,
                                      const float* norm, const float* z, float* dz) {
  const size_t off = size_t(blockIdx.x) * len;
  dy += off;
  y += off;
  z += off;
  dz += off;
  double dot = 0;
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) dot += double(y[j]) * dy[j];
  const float d = float(block_sum(dot));
  const float inv = inverse_norm(norm[blockIdx.x]);
  const uint32_t h = fold ? len / 2 : 0;
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) dz[j] = backward_element(j, h, act, dy, y, d, inv, z);
}

__global__ void adam_kernel(size_t count, detail::AdamStep a, const float* g, float* m, float* v, float* p) {
  for (size_t k = size_t(blockIdx.x) * blockDim.x + threadIdx.x; k < count; k += size_t(gridDim.x) * blockDim.x)
    adam_element(a, g[k], m[k], v[k], p[k]);
}

__global__ void nonfinite_kernel(size_t count, const float* p, int* flag) {
  for (size_t k = size_t(blockIdx.x) * blockDim.x + threadIdx.x; k < count; k += size_t(gridDim.x) * blockDim.x)
    if (!detail::finite_float(p[k])) *flag = 1;  // every writer writes the same value
}

}  // namespace

void launch_train_activate(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* z, float* y,
                           float* norm, cudaStream_t stream) {
  if (count == 0) return;
  train_activate_kernel<<<unsigned(count), kRowThreads, 0, stream>>>(len, act, fold, z, y, norm);
  SM_CUDA_CHECK_LAUNCH("train_activate_kernel");
}

void launch_gram_weights(size_t count, const detail::GramArgs& g, const float* gin, const float* gout, float* s,
                         double* partial, cudaStream_t stream) {
  if (count == 0) return;
  gram_weights_kernel<<<unsigned(count), kRowThreads, 0, stream>>>(uint32_t(count), g, gin, gout, s, partial);
  SM_CUDA_CHECK_LAUNCH("gram_weights_kernel");
}

void launch_layer_backward(size_t count, uint32_t len, internal::TeAct act, bool fold, const float* dy,
                           const float* y, const float* norm, const float* z, float* dz, cudaStream_t stream) {
  if (count == 0) return;
  layer_backward_kernel<<<unsigned(count), kRowThreads, 0, stream>>>(len, act, fold, dy, y, norm, z, dz);
  SM_CUDA_CHECK_LAUNCH("layer_backward_kernel");
}

void launch_adam_update(size_t count, const detail::AdamStep& a, const float* g, float* m, float* v, float* p,
                        cudaStream_t stream) {
  if (count == 0) return;
  adam_kernel<<<flat_blocks(count), kFlatThreads, 0, stream>>>(count, a, g, m, v, p);
  SM_CUDA_CHECK_LAUNCH("adam_kernel");
}

void launch_flag_nonfinite(size_t count, const float* p, int* flag, cudaStream_t stream) {
  if (count == 0) return;
  nonfinite_kernel<<<flat_blocks(count), kFlatThreads, 0, stream>>>(count, p, flag);
  SM_CUDA_CHECK_LAUNCH("nonfinite_kernel");
}

}  // namespace spheremask::cuda
