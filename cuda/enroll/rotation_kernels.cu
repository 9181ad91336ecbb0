// Kernels of the O(n²) rotation P = R(u → c)·Q (DESIGN §3; the formulas are detail/rotation.hpp, as on the CPU),
// its ‖P t − c‖∞ check, and the f32 ↔ f16 conversions of P.
#include <cuda_runtime.h>

#include <cmath>

#include "backend/backend_impl.hpp"
#include "cuda/core/block_reduce.cuh"
#include "cuda/core/cuda_check.hpp"
#include "cuda/core/kernels.hpp"
#include "cuda/core/launch_shapes.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/detail/rotation.hpp"

namespace spheremask::cuda {
namespace {

constexpr unsigned kThreads = 256;
using internal::kEnrollCheckFailed;
using internal::kEnrollDegenerate;
using internal::kEnrollOk;

// One block per matrix m. u = Q t is already computed (cuBLAS).
__global__ void rotation_vectors_kernel(uint32_t n, const float* q, const float* t, const float* u,
                                        const detail::Codeword* codewords, float* w, float* a, float* b,
                                        uint8_t* status) {
  const size_t m = blockIdx.x;
  const float* qm = q + m * n * n;
  const float* tm = t + m * n;
  const float* um = u + m * n;
  float* wm = w + m * n;
  float* am = a + m * n;
  float* bm = b + m * n;
  const detail::Codeword& c = codewords[m];
  const uint32_t alpha = c.alpha;
  const double magnitude = detail::codeword_magnitude(alpha);
  // cosθ = c·u: every thread sums the same α terms in the same order, so all agree without a broadcast.
  const double cos_theta = detail::rotation_cos(c, um, magnitude);
  for (uint32_t i = threadIdx.x; i < n; i += blockDim.x) wm[i] = detail::rotation_w_start(cos_theta, um[i]);
  __syncthreads();
  for (uint32_t k = threadIdx.x; k < alpha; k += blockDim.x)  // codeword indices are distinct: no race
    wm[c.index[k]] = detail::rotation_w_plus_codeword(wm[c.index[k]], c, k, magnitude);
  __syncthreads();
  double part = 0;
  for (uint32_t i = threadIdx.x; i < n; i += blockDim.x) part += double(wm[i]) * wm[i];
  const double sin_theta = sqrt(block_sum(part));
  if (detail::rotation_degenerate(sin_theta)) {  // uniform over the block: every thread has the same sum
    if (threadIdx.x == 0) status[m] = kEnrollDegenerate;
    return;
  }
  for (uint32_t i = threadIdx.x; i < n; i += blockDim.x) wm[i] = detail::rotation_w_unit(wm[i], sin_theta);
  // cᵀQ touches only the α rows of Q where c is nonzero (column-major: row r of column j at r + j·n).
  for (uint32_t j = threadIdx.x; j < n; j += blockDim.x) {
    float ctq = 0;
    for (uint32_t k = 0; k < alpha; ++k) ctq += detail::codeword_entry_f32(c, k, magnitude) * qm[c.index[k] + size_t(j) * n];
    detail::rotation_ab(ctq, tm[j], cos_theta, sin_theta, &am[j], &bm[j]);
  }
  if (threadIdx.x == 0) status[m] = kEnrollOk;
}

// Tile (blockIdx.y, blockIdx.x) of matrix blockIdx.z: P[i][j] = Q(i, j) + u_i a_j + w_i b_j, read
// column-major through shared memory so both the read of Q and the write of P are coalesced.
__global__ void form_p_kernel(uint32_t n, const float* q, const float* u, const float* w, const float* a,
                              const float* b, const uint8_t* status, float* p) {
  __shared__ float tile[kTile][kTile + 1];
  const size_t m = blockIdx.z;
  if (status[m] != kEnrollOk) return;  // uniform over the block, before any barrier
  const size_t nn = size_t(n) * n;
  const float* qm = q + m * nn;
  float* pm = p + m * nn;
  const float* um = u + m * n;
  const float* wm = w + m * n;
  const float* am = a + m * n;
  const float* bm = b + m * n;
  const uint32_t i0 = blockIdx.y * kTile, j0 = blockIdx.x * kTile;
  const uint32_t tx = threadIdx.x, ty = threadIdx.y;
  for (uint32_t r = ty; r < kTile; r += kTileRows) {
    const uint32_t i = i0 + tx, j = j0 + r;
    if (i < n && j < n) tile[r][tx] = qm[i + size_t(j) * n];  // tile[r][tx] = Q(i0 + tx, j0 + r)
  }
  __syncthreads();
  for (uint32_t r = ty; r < kTile; r += kTileRows) {
    const uint32_t i = i0 + r, j = j0 + tx;
    if (i < n && j < n) pm[size_t(i) * n + j] = detail::rotation_p(tile[tx][r], um[i], am[j], wm[i], bm[j]);
  }
}

// One block per matrix: y = P t on entry.
__global__ void rotation_check_kernel(uint32_t n, float* y, const detail::Codeword* codewords, uint8_t* status) {
  const size_t m = blockIdx.x;
  if (status[m] != kEnrollOk) return;
  float* ym = y + m * n;
  const detail::Codeword& c = codewords[m];
  const double magnitude = detail::codeword_magnitude(c.alpha);
  for (uint32_t k = threadIdx.x; k < c.alpha; k += blockDim.x) ym[c.index[k]] -= detail::codeword_entry_f32(c, k, magnitude);
  __syncthreads();
  int bad = 0;
  for (uint32_t i = threadIdx.x; i < n; i += blockDim.x) bad |= !detail::rotation_residual_ok(ym[i]);
  if (__syncthreads_or(bad) && threadIdx.x == 0) status[m] = kEnrollCheckFailed;
}

__global__ void to_half_kernel(size_t count, const float* in, uint16_t* out) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x)
    out[i] = detail::float_to_half(in[i]);
}

__global__ void to_float_kernel(size_t count, const uint16_t* in, float* out) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x)
    out[i] = detail::half_to_float(in[i]);
}

}  // namespace

void launch_rotation_vectors(uint32_t count, uint32_t n, const float* q, const float* t, const float* u,
                             const detail::Codeword* c, float* w, float* a, float* b, uint8_t* status,
                             cudaStream_t stream) {
  if (count == 0) return;
  rotation_vectors_kernel<<<count, kThreads, 0, stream>>>(n, q, t, u, c, w, a, b, status);
  SM_CUDA_CHECK_LAUNCH("rotation_vectors_kernel");
}

void launch_form_p(uint32_t count, uint32_t n, const float* q, const float* u, const float* w, const float* a,
                   const float* b, const uint8_t* status, float* p, cudaStream_t stream) {
  if (count == 0) return;
  const unsigned tiles = unsigned(ceil_div(n, kTile));
  form_p_kernel<<<dim3(tiles, tiles, count), dim3(kTile, kTileRows), 0, stream>>>(n, q, u, w, a, b, status, p);
  SM_CUDA_CHECK_LAUNCH("form_p_kernel");
}

void launch_rotation_check(uint32_t count, uint32_t n, float* y, const detail::Codeword* c, uint8_t* status,
                           cudaStream_t stream) {
  if (count == 0) return;
  rotation_check_kernel<<<count, kThreads, 0, stream>>>(n, y, c, status);
  SM_CUDA_CHECK_LAUNCH("rotation_check_kernel");
}

void launch_to_half(size_t count, const float* in, uint16_t* out, cudaStream_t stream) {
  if (count == 0) return;
  to_half_kernel<<<grid_stride_blocks(count, kThreads), kThreads, 0, stream>>>(count, in, out);
  SM_CUDA_CHECK_LAUNCH("to_half_kernel");
}

void launch_to_float(size_t count, const uint16_t* in, float* out, cudaStream_t stream) {
  if (count == 0) return;
  to_float_kernel<<<grid_stride_blocks(count, kThreads), kThreads, 0, stream>>>(count, in, out);
  SM_CUDA_CHECK_LAUNCH("to_float_kernel");
}

}  // namespace spheremask::cuda
