// Verification kernels: y = P·t for f16 P (f32 accumulation), and the fused top-α decode + device
// SHA-256 verifier + constant-time compare per y row (DESIGN §3 decode order): a warp per 32 rows up
// to n = 2048, a block per row beyond.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/core/block_reduce.cuh"
#include "cuda/core/cuda_check.hpp"
#include "cuda/core/kernels.hpp"
#include "cuda/core/launch_shapes.hpp"
#include "spheremask/detail/half.hpp"
#include "cuda/decode/top_alpha.hpp"

namespace spheremask::cuda {
namespace {

constexpr unsigned kDecodeThreads = 256;  // block kernel: threads per row
constexpr unsigned kDecodeWarps = 8;      // warp kernel: warps per block, 32 rows each
constexpr uint32_t kWarpDecodeMaxN = 2048;
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

// Where a decoded row's salt and verifier are, and what becomes of its result. Verification: row r
// against record r, a match flag and the codeword per row. Identification: row = record·probes + probe,
// every match appended to a hit list.
struct VerifyRows {
  const uint8_t* salts;
  const uint8_t* verifiers;
  uint8_t* match;
  detail::Codeword* codewords;
  __device__ const uint8_t* salt(size_t row) const { return salts + row * 16; }
  __device__ const uint8_t* verifier(size_t row) const { return verifiers + row * 32; }
  __device__ void result(size_t row, bool ok, const detail::Codeword& c) const {
    match[row] = ok ? 1 : 0;
    if (ok) codewords[row] = c;
  }
};

struct IdentifyRows {
  uint32_t probes;
  const uint8_t* salts;
  const uint8_t* verifiers;
  uint32_t record_base, probe_base;
  DeviceHit* hits;
  uint32_t capacity;
  uint32_t* hit_count;
  __device__ const uint8_t* salt(size_t row) const { return salts + (row / probes) * 16; }
  __device__ const uint8_t* verifier(size_t row) const { return verifiers + (row / probes) * 32; }
  __device__ void result(size_t row, bool ok, const detail::Codeword& c) const {
    if (!ok) return;
    const uint32_t slot = atomicAdd(hit_count, 1u);
    if (slot < capacity) {
      hits[slot].record = record_base + uint32_t(row / probes);
      hits[slot].probe = probe_base + uint32_t(row % probes);
      hits[slot].codeword = c;
    }
  }
};

// The canonical codeword from a row's selected indices, and whether its verifier matches; the
// digest and the selection are wiped.
__device__ bool verify_selection(const float* y, uint32_t n, uint32_t alpha, uint32_t* selected, const uint8_t* salt,
                                 const uint8_t* verifier, detail::Codeword* c) {
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

// Large n: one block per row. The block selects the top α together; thread 0 hashes the verifier.
template <class Rows>
__global__ void decode_block_kernel(uint32_t n, uint32_t alpha, const float* y, Rows rows) {
  __shared__ uint32_t selected[detail::kMaxAlpha];
  const size_t row = blockIdx.x;
  const float* yr = y + row * n;
  int bad = 0;
  for (uint32_t i = threadIdx.x; i < n; i += blockDim.x) bad |= !detail::finite_float(yr[i]);
  if (__syncthreads_or(bad)) {  // non-finite y never matches
    if (threadIdx.x == 0) rows.result(row, false, detail::Codeword{});
    return;
  }
  Ranked previous = ranked_before_all();
  for (uint32_t round = 0; round < alpha; ++round) {
    previous = block_best(best_after(yr, n, threadIdx.x, blockDim.x, previous));
    if (threadIdx.x == 0) selected[round] = previous.index;
  }
  if (threadIdx.x != 0) return;
  detail::Codeword c;
  rows.result(row, verify_selection(yr, n, alpha, selected, rows.salt(row), rows.verifier(row), &c), c);
  c.wipe();
}

__device__ inline Ranked warp_best(Ranked r) {  // every lane receives the warp's best
  for (int o = 16; o > 0; o >>= 1) {
    const Ranked other{__shfl_xor_sync(kFullMask, r.abs, o), __shfl_xor_sync(kFullMask, r.index, o)};
    if (ranked_better(other, r)) r = other;
  }
  return r;
}

// n ≤ kWarpDecodeMaxN: one warp per 32 rows. For each of its rows in turn the warp selects the top α
// (coalesced lane-strided scans of the row, which stays in L1, and shuffle reductions), and lane j keeps
// row j's selection. Then each lane hashes its own row's verifier: 32 SHA-256 side by side, where the
// block kernel hashes with one thread while the rest of its block waits.
template <class Rows>
__global__ void decode_warp_kernel(size_t row_count, uint32_t n, uint32_t alpha, const float* y, Rows rows) {
  const uint32_t lane = threadIdx.x & 31u;
  const size_t first = (size_t(blockIdx.x) * (blockDim.x / 32u) + threadIdx.x / 32u) * 32u;
  if (first >= row_count) return;  // the whole warp: first depends only on the warp
  const uint32_t mine = uint32_t(row_count - first < 32 ? row_count - first : 32);
  uint32_t selected[detail::kMaxAlpha];
  bool finite = false;
  for (uint32_t j = 0; j < mine; ++j) {
    const float* yr = y + (first + j) * n;
    int bad = 0;
    for (uint32_t i = lane; i < n; i += 32u) bad |= !detail::finite_float(yr[i]);
    bad = __any_sync(kFullMask, bad);
    if (lane == j) finite = !bad;
    if (bad) continue;  // non-finite y never matches
    Ranked previous = ranked_before_all();
    for (uint32_t round = 0; round < alpha; ++round) {
      previous = warp_best(best_after(yr, n, lane, 32u, previous));
      if (lane == j) selected[round] = previous.index;
    }
  }
  if (lane >= mine) return;
  const size_t row = first + lane;
  detail::Codeword c;
  const bool ok =
      finite && verify_selection(y + row * n, n, alpha, selected, rows.salt(row), rows.verifier(row), &c);
  rows.result(row, ok, c);
  c.wipe();
}

template <class Rows>
void launch_decode(size_t row_count, uint32_t n, uint32_t alpha, const float* y, Rows rows, cudaStream_t stream) {
  if (row_count == 0) return;
  if (n <= kWarpDecodeMaxN) {
    const size_t warps = ceil_div(row_count, size_t(32));
    decode_warp_kernel<<<unsigned(ceil_div(warps, size_t(kDecodeWarps))), kDecodeWarps * 32, 0, stream>>>(
        row_count, n, alpha, y, rows);
    SM_CUDA_CHECK_LAUNCH("decode_warp_kernel");
  } else {
    decode_block_kernel<<<unsigned(row_count), kDecodeThreads, 0, stream>>>(n, alpha, y, rows);
    SM_CUDA_CHECK_LAUNCH("decode_block_kernel");
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
  launch_decode(rows, n, alpha, y, VerifyRows{salts, verifiers, match, codewords}, stream);
}

void launch_identify_decode(uint32_t records, uint32_t probes, uint32_t n, uint32_t alpha, const float* y,
                            const uint8_t* salts, const uint8_t* verifiers, uint32_t record_base,
                            uint32_t probe_base, DeviceHit* hits, uint32_t capacity, uint32_t* hit_count,
                            cudaStream_t stream) {
  launch_decode(size_t(records) * probes, n, alpha, y,
                IdentifyRows{probes, salts, verifiers, record_base, probe_base, hits, capacity, hit_count}, stream);
}

}  // namespace spheremask::cuda
