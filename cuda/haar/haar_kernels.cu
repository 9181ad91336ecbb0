// Kernels of Stewart's method on the GPU (DESIGN §3): the ChaCha20 Gaussian stream written straight
// into the Householder matrix, the larfg normalization of its columns, the two element-wise steps of the
// compact-WY path (T⁻¹ from VᵀV, the identity Q starts from), and the final sign fix.
#include <cuda_runtime.h>

#include <cmath>

#include "cuda/core/block_reduce.cuh"
#include "cuda/core/cuda_check.hpp"
#include "cuda/haar/haar_method.hpp"
#include "cuda/core/kernels.hpp"
#include "cuda/core/launch_shapes.hpp"
#include "spheremask/detail/gaussian.hpp"
#include "spheremask/detail/householder.hpp"

namespace spheremask::cuda {
namespace {

constexpr unsigned kThreads = 256;

__device__ inline void wipe_words(uint32_t* w, int count) {
  volatile uint32_t* v = w;
  for (int i = 0; i < count; ++i) v[i] = 0;
}

__global__ void gaussian_range_kernel(KeyWords key, uint64_t first, size_t count, float* out) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  out[i] = detail::gaussian_element(key.w, first + i);
}

// One thread per ChaCha20 block (16 stream elements) of matrix blockIdx.y.
__global__ void householder_fill_kernel(const KeyWords* keys, uint32_t n, uint64_t blocks_per_matrix, float* a) {
  const uint64_t block = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (block >= blocks_per_matrix) return;
  uint32_t key[8];
  for (int i = 0; i < 8; ++i) key[i] = keys[blockIdx.y].w[i];
  uint32_t words[16];
  detail::chacha20_stream_block(key, uint32_t(block), words);
  float* am = a + size_t(blockIdx.y) * n * n;
  for (int pair = 0; pair < 8; ++pair) {
    const uint64_t e = block * 16 + 2 * pair;
    const uint64_t slot_even = householder_slot(e, n), slot_odd = householder_slot(e + 1, n);
    if (slot_even == kNoSlot && slot_odd == kNoSlot) continue;
    float even, odd;
    detail::gaussian_pair(words, pair, &even, &odd);
    if (slot_even != kNoSlot) am[slot_even] = even;
    if (slot_odd != kNoSlot) am[slot_odd] = odd;
  }
  wipe_words(key, 8);
  wipe_words(words, 16);
}

// Block (k, m): column k of matrix m by detail/householder.hpp, as the CPU (norm² in double, larfg convention).
__global__ void householder_normalize_kernel(uint32_t n, float* a, float* tau, float* sign) {
  const uint32_t k = blockIdx.x;
  const size_t m = blockIdx.y;
  float* column = a + m * n * n + size_t(k) * n;
  float* tau_m = tau + m * n;
  float* sign_m = sign + m * n;
  if (k + 1 == n) {  // last column: no reflector; its sign comes from the Gaussian on the diagonal
    if (threadIdx.x == 0) {
      tau_m[k] = 0.0f;
      sign_m[k] = detail::householder_last_sign(column[k]);
    }
    return;
  }
  float* x = column + k;
  const uint32_t len = n - k;
  const double x0 = x[0];  // read by every thread before the barrier inside block_sum; written after
  double part = 0;
  for (uint32_t j = threadIdx.x; j < len; j += blockDim.x) part += double(x[j]) * x[j];
  const double norm2 = block_sum(part);
  const detail::HouseholderStep step = detail::householder_step(x0, norm2);
  for (uint32_t j = 1 + threadIdx.x; j < len; j += blockDim.x) x[j] = detail::householder_scaled(x[j], step.scale);
  if (threadIdx.x == 0) {
    x[0] = 1.0f;
    tau_m[k] = step.tau;
    sign_m[k] = step.sign;
  }
}

__global__ void sign_fix_kernel(size_t total, uint32_t n, float* q, const float* sign) {
  const size_t nn = size_t(n) * n;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += size_t(gridDim.x) * blockDim.x) {
    const size_t m = i / nn;
    const size_t column = (i % nn) / n;  // column-major: element (row, column) at row + column·n
    q[i] *= sign[m * n + column];
  }
}

// T⁻¹ = diag(1/τ) + strictly-upper(S) in place of S = VᵀV (k = n−1, column-major k×k per matrix).
__global__ void form_t_inverse_kernel(size_t total, uint32_t n, const float* tau, float* s) {
  const uint32_t k = n - 1;
  const size_t kk = size_t(k) * k;
  for (size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += size_t(gridDim.x) * blockDim.x) {
    const size_t m = e / kk, local = e % kk;
    const uint32_t row = uint32_t(local % k), column = uint32_t(local / k);
    s[e] = t_inverse_element(row, column, s[e], tau + m * n);
  }
}

__global__ void set_identity_kernel(size_t total, uint32_t n, float* q) {
  const size_t nn = size_t(n) * n;
  for (size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += size_t(gridDim.x) * blockDim.x) {
    const size_t local = e % nn;
    q[e] = local % n == local / n ? 1.0f : 0.0f;
  }
}

}  // namespace

void launch_gaussian_range(KeyWords key, uint64_t first, size_t count, float* out, cudaStream_t stream) {
  if (count == 0) return;
  gaussian_range_kernel<<<unsigned(ceil_div(count, kThreads)), kThreads, 0, stream>>>(key, first, count, out);
  SM_CUDA_CHECK_LAUNCH("gaussian_range_kernel");
}

void launch_householder_fill(const KeyWords* keys, uint32_t count, uint32_t n, float* a, cudaStream_t stream) {
  if (count == 0) return;
  const uint64_t blocks = householder_stream_blocks(n);
  const dim3 grid(unsigned(ceil_div(blocks, kThreads)), count);
  householder_fill_kernel<<<grid, kThreads, 0, stream>>>(keys, n, blocks, a);
  SM_CUDA_CHECK_LAUNCH("householder_fill_kernel");
}

void launch_householder_normalize(uint32_t count, uint32_t n, float* a, float* tau, float* sign, cudaStream_t stream) {
  if (count == 0) return;
  householder_normalize_kernel<<<dim3(n, count), kThreads, 0, stream>>>(n, a, tau, sign);
  SM_CUDA_CHECK_LAUNCH("householder_normalize_kernel");
}

void launch_form_t_inverse(uint32_t count, uint32_t n, const float* tau, float* s, cudaStream_t stream) {
  const size_t total = size_t(count) * (n - 1) * (n - 1);
  if (total == 0) return;
  form_t_inverse_kernel<<<grid_stride_blocks(total, kThreads), kThreads, 0, stream>>>(total, n, tau, s);
  SM_CUDA_CHECK_LAUNCH("form_t_inverse_kernel");
}

void launch_set_identity(uint32_t count, uint32_t n, float* q, cudaStream_t stream) {
  const size_t total = size_t(count) * n * n;
  if (total == 0) return;
  set_identity_kernel<<<grid_stride_blocks(total, kThreads), kThreads, 0, stream>>>(total, n, q);
  SM_CUDA_CHECK_LAUNCH("set_identity_kernel");
}

void launch_sign_fix(uint32_t count, uint32_t n, float* q, const float* sign, cudaStream_t stream) {
  const size_t total = size_t(count) * n * n;
  if (total == 0) return;
  sign_fix_kernel<<<grid_stride_blocks(total, kThreads), kThreads, 0, stream>>>(total, n, q, sign);
  SM_CUDA_CHECK_LAUNCH("sign_fix_kernel");
}

}  // namespace spheremask::cuda
