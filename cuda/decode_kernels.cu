// Verification kernels: y = P·t for f16 P (f32 accumulation), and the fused top-α decode + device
// SHA-256 verifier + constant-time compare, one block per y row (DESIGN §3 decode order).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "block_reduce.cuh"
#include "cuda_check.hpp"
#include "kernels.hpp"
#include "launch_shapes.hpp"
#include "spheremask/detail/half.hpp"
#include "top_alpha.hpp"

namespace spheremask::cuda {
namespace {

constexpr unsigned kDecodeThreads = 256;
constexpr unsigned kGemvWarps = 8;

// Where matrix m of a batch starts: contiguous (the per-call verify) or a pointer list (a resident gallery).
struct StridedMatrices {
  const uint16_t* base;
  size_t stride;
  __device__ const uint16_t* operator()(size_t m) const { return base + m * stride; }
};
struct MatrixList {
  const uint16_t* const* starts;
  __device__ const uint16_t* operator()(size_t m) const { return starts[m]; }
};

// Two halves packed in a 32-bit word, widened exactly by the hardware conversion.
__device__ inline float low_half(uint32_t w) { return __half2float(__ushort_as_half(uint16_t(w & 0xffffu))); }
__device__ inline float high_half(uint32_t w) { return __half2float(__ushort_as_half(uint16_t(w >> 16))); }

// One warp per row i of matrix blockIdx.y. P is read 16 bytes (8 halves) per lane per step when the row is
// 16-byte aligned and n % 8 == 0 (every n the CLI uses), else one half at a time.
template <class Matrices>
__global__ void gemv_f16_kernel(uint32_t n, Matrices p, const float* t, float* y) {
  const uint32_t lane = threadIdx.x & 31u;
  const uint32_t row = blockIdx.x * kGemvWarps + (threadIdx.x >> 5);
  if (row >= n) return;  // whole warps leave together: row depends only on the warp
  const size_t m = blockIdx.y;
  const uint16_t* prow = p(m) + size_t(row) * n;
  const float* tm = t + m * n;
  float acc = 0;
  const bool vector = n % 8 == 0 && (reinterpret_cast<uintptr_t>(prow) & 15u) == 0 &&
                      (reinterpret_cast<uintptr_t>(tm) & 15u) == 0;  // the same for the whole warp
  if (vector) {
    const uint4* p8 = reinterpret_cast<const uint4*>(prow);
    const float4* t4 = reinterpret_cast<const float4*>(tm);
    for (uint32_t k = lane; k < n / 8; k += 32) {
      const uint4 h = p8[k];
      const float4 a = t4[2 * k], b = t4[2 * k + 1];
      acc += low_half(h.x) * a.x + high_half(h.x) * a.y + low_half(h.y) * a.z + high_half(h.y) * a.w +
             low_half(h.z) * b.x + high_half(h.z) * b.y + low_half(h.w) * b.z + high_half(h.w) * b.w;
    }
  } else {
    for (uint32_t j = lane; j < n; j += 32) acc += detail::half_to_float(prow[j]) * tm[j];
  }
  for (int o = 16; o > 0; o >>= 1) acc += __shfl_down_sync(kFullMask, acc, o);
  if (lane == 0) y[m * n + row] = acc;
}

template <class Matrices>
void launch_gemv_f16_kernel(uint32_t count, uint32_t n, Matrices p, const float* t, float* y, cudaStream_t stream) {
  if (count == 0) return;
  const dim3 grid(unsigned(ceil_div(n, kGemvWarps)), count);
  gemv_f16_kernel<<<grid, kGemvWarps * 32, 0, stream>>>(n, p, t, y);
  SM_CUDA_CHECK_LAUNCH("gemv_f16_kernel");
}

// Decodes y (length n) with the whole block. Returns true on thread 0 when the verifier of
// (salt, decoded codeword) equals `verifier`; then *c holds the codeword (thread 0 only).
__device__ bool decode_and_verify(const float* y, uint32_t n, uint32_t alpha, const uint8_t* salt,
                                  const uint8_t* verifier, detail::Codeword* c) {
  __shared__ uint32_t selected[detail::kMaxAlpha];
  int bad = 0;
  for (uint32_t i = threadIdx.x; i < n; i += blockDim.x) bad |= !detail::finite_float(y[i]);
  if (__syncthreads_or(bad)) return false;  // non-finite y never matches
  Ranked previous = ranked_before_all();
  for (uint32_t round = 0; round < alpha; ++round) {
    previous = block_best(best_after(y, n, threadIdx.x, blockDim.x, previous));
    if (threadIdx.x == 0) selected[round] = previous.index;
  }
  if (threadIdx.x != 0) return false;
  detail::codeword_from_indices(y, n, alpha, selected, c);
  uint8_t digest[32];
  verifier_digest(salt, *c, digest);
  const bool match = equal_ct32(digest, verifier);
  volatile uint8_t* vd = digest;
  for (int i = 0; i < 32; ++i) vd[i] = 0;
  volatile uint32_t* vs = selected;
  for (uint32_t i = 0; i < alpha; ++i) vs[i] = 0;
  return match;
}

__global__ void verify_decode_kernel(uint32_t n, uint32_t alpha, const float* y, const uint8_t* salts,
                                     const uint8_t* verifiers, uint8_t* match, detail::Codeword* codewords) {
  const size_t row = blockIdx.x;
  detail::Codeword c;
  const bool ok = decode_and_verify(y + row * n, n, alpha, salts + row * 16, verifiers + row * 32, &c);
  if (threadIdx.x == 0) {
    match[row] = ok ? 1 : 0;
    if (ok) codewords[row] = c;
    c.wipe();
  }
}

__global__ void identify_decode_kernel(uint32_t probes, uint32_t n, uint32_t alpha, const float* y,
                                       const uint8_t* salts, const uint8_t* verifiers, uint32_t record_base,
                                       uint32_t probe_base, DeviceHit* hits, uint32_t capacity,
                                       uint32_t* hit_count) {
  const size_t row = blockIdx.x;  // = record·probes + probe, the column of Y
  const uint32_t record = uint32_t(row / probes), probe = uint32_t(row % probes);
  detail::Codeword c;
  const bool ok =
      decode_and_verify(y + row * n, n, alpha, salts + size_t(record) * 16, verifiers + size_t(record) * 32, &c);
  if (threadIdx.x == 0) {
    if (ok) {
      const uint32_t slot = atomicAdd(hit_count, 1u);
      if (slot < capacity) {
        hits[slot].record = record_base + record;
        hits[slot].probe = probe_base + probe;
        hits[slot].codeword = c;
      }
    }
    c.wipe();
  }
}

}  // namespace

void launch_gemv_f16(uint32_t count, uint32_t n, const uint16_t* p, const float* t, float* y, cudaStream_t stream) {
  launch_gemv_f16_kernel(count, n, StridedMatrices{p, size_t(n) * n}, t, y, stream);
}

void launch_gemv_f16_list(uint32_t count, uint32_t n, const uint16_t* const* p, const float* t, float* y,
                          cudaStream_t stream) {
  launch_gemv_f16_kernel(count, n, MatrixList{p}, t, y, stream);
}

void launch_verify_decode(uint32_t rows, uint32_t n, uint32_t alpha, const float* y, const uint8_t* salts,
                          const uint8_t* verifiers, uint8_t* match, detail::Codeword* codewords, cudaStream_t stream) {
  if (rows == 0) return;
  verify_decode_kernel<<<rows, kDecodeThreads, 0, stream>>>(n, alpha, y, salts, verifiers, match, codewords);
  SM_CUDA_CHECK_LAUNCH("verify_decode_kernel");
}

void launch_identify_decode(uint32_t records, uint32_t probes, uint32_t n, uint32_t alpha, const float* y,
                            const uint8_t* salts, const uint8_t* verifiers, uint32_t record_base,
                            uint32_t probe_base, DeviceHit* hits, uint32_t capacity, uint32_t* hit_count,
                            cudaStream_t stream) {
  const uint64_t rows = uint64_t(records) * probes;
  if (rows == 0) return;
  identify_decode_kernel<<<unsigned(rows), kDecodeThreads, 0, stream>>>(probes, n, alpha, y, salts, verifiers,
                                                                         record_base, probe_base, hits, capacity,
                                                                         hit_count);
  SM_CUDA_CHECK_LAUNCH("identify_decode_kernel");
}

}  // namespace spheremask::cuda
