#include "cuda/gallery/gallery_kernels.hpp"

#include <cuda_runtime.h>

#include "cuda/core/cuda_check.hpp"
#include "cuda/core/launch_shapes.hpp"
#include "cuda/gallery/split_product.hpp"

namespace spheremask::cuda {
namespace {

constexpr unsigned kThreads = 256;

__global__ void split_probes_kernel(size_t count, float scale, const float* t, uint16_t* hi, uint16_t* lo) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x)
    split_element(t[i], scale, hi + i, lo + i);
}

// One thread per probe: 48 bytes of salt and verifier and up to three pointers each.
__global__ void gather_verify_kernel(uint32_t count, uint32_t n, const uint32_t* index, const uint32_t* slot,
                                     const uint8_t* salts, const uint8_t* verifiers, const uint8_t* resident_p,
                                     const uint8_t* stream_p, size_t p_bytes, uint8_t* salts_out,
                                     uint8_t* verifiers_out, void** matrices, const float* x, float* y,
                                     float** x_out, float** y_out) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const size_t r = index[i];
  for (int b = 0; b < 16; ++b) salts_out[size_t(i) * 16 + b] = salts[r * 16 + b];
  for (int b = 0; b < 32; ++b) verifiers_out[size_t(i) * 32 + b] = verifiers[r * 32 + b];
  const uint32_t s = slot[i];
  // cuBLAS and the f16 GEMV take the matrix arrays as non-const pointers; they only read them.
  const uint8_t* p = (s & kStreamedSlot) ? stream_p + size_t(s & ~kStreamedSlot) * p_bytes : resident_p + size_t(s) * p_bytes;
  matrices[i] = const_cast<uint8_t*>(p);
  if (x_out) {
    x_out[i] = const_cast<float*>(x) + size_t(i) * n;
    y_out[i] = y + size_t(i) * n;
  }
}

}  // namespace

void launch_split_probes(size_t count, float scale, const float* t, uint16_t* hi, uint16_t* lo, cudaStream_t stream) {
  if (count == 0) return;
  split_probes_kernel<<<grid_stride_blocks(count, kThreads), kThreads, 0, stream>>>(count, scale, t, hi, lo);
  SM_CUDA_CHECK_LAUNCH("split_probes_kernel");
}

void launch_gather_verify(uint32_t count, uint32_t n, const uint32_t* index, const uint32_t* slot,
                          const uint8_t* salts, const uint8_t* verifiers, const uint8_t* resident_p,
                          const uint8_t* stream_p, size_t p_bytes, uint8_t* salts_out, uint8_t* verifiers_out,
                          void** matrices, const float* x, float* y, float** x_out, float** y_out,
                          cudaStream_t stream) {
  if (count == 0) return;
  gather_verify_kernel<<<unsigned(ceil_div(count, kThreads)), kThreads, 0, stream>>>(
      count, n, index, slot, salts, verifiers, resident_p, stream_p, p_bytes, salts_out, verifiers_out, matrices, x, y,
      x_out, y_out);
  SM_CUDA_CHECK_LAUNCH("gather_verify_kernel");
}

}  // namespace spheremask::cuda
