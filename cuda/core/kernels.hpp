// Launchers of the backend's kernels (defined in the *_kernels.cu files). Every launcher enqueues on
// `stream` and checks the launch; none synchronizes.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "spheremask/detail/codeword.hpp"

namespace spheremask::cuda {

struct KeyWords {
  uint32_t w[8];  // ChaCha20 key as little-endian words
};

// Hit of the identification decode kernel.
struct DeviceHit {
  uint32_t record;
  uint32_t probe;
  detail::Codeword codeword;
};

// --- Haar (haar_kernels.cu) ---
// out[i] = Gaussian stream element first + i of key (DESIGN §3).
void launch_gaussian_range(KeyWords key, uint64_t first, size_t count, float* out, cudaStream_t stream);
// a (count matrices, column-major n×n, zeroed by the caller): x_k into rows k.. of column k, and the
// sign element on the diagonal (n−1, n−1).
void launch_householder_fill(const KeyWords* keys, uint32_t count, uint32_t n, float* a, cudaStream_t stream);
// larfg normalization of every column (β, v with v[0] = 1, τ) and sign(β) per column; column n−1: τ = 0.
void launch_householder_normalize(uint32_t count, uint32_t n, float* a, float* tau, float* sign, cudaStream_t stream);
// Compact WY (haar_method.hpp): s (count column-major (n−1)×(n−1) matrices, VᵀV on entry) ← T⁻¹ =
// diag(1/τ) + strictly-upper(VᵀV); tau holds n entries per matrix.
void launch_form_t_inverse(uint32_t count, uint32_t n, const float* tau, float* s, cudaStream_t stream);
// q (count n×n matrices) ← I.
void launch_set_identity(uint32_t count, uint32_t n, float* q, cudaStream_t stream);
// Q ← Q·diag(sign), Q column-major.
void launch_sign_fix(uint32_t count, uint32_t n, float* q, const float* sign, cudaStream_t stream);

// --- Rotation (rotation_kernels.cu); status per EnrollStatus ---
// From u = Q t: w, a = (cos−1)t − sin·wᵀQ, b = sin·t + (cos−1)·wᵀQ; status Ok or Degenerate.
void launch_rotation_vectors(uint32_t count, uint32_t n, const float* q, const float* t, const float* u,
                             const detail::Codeword* c, float* w, float* a, float* b, uint8_t* status,
                             cudaStream_t stream);
// p (row-major) = Q + u aᵀ + w bᵀ for matrices whose status is Ok.
void launch_form_p(uint32_t count, uint32_t n, const float* q, const float* u, const float* w, const float* a,
                   const float* b, const uint8_t* status, float* p, cudaStream_t stream);
// y = P t on entry (overwritten): status Ok → CheckFailed unless ‖y − c‖∞ < 1e-4.
void launch_rotation_check(uint32_t count, uint32_t n, float* y, const detail::Codeword* c, uint8_t* status,
                           cudaStream_t stream);
void launch_to_half(size_t count, const float* in, uint16_t* out, cudaStream_t stream);
void launch_to_float(size_t count, const uint16_t* in, float* out, cudaStream_t stream);

// --- Decode (decode_kernels.cu) ---
// y[b] = P_b · t_b with P_b row-major f16, accumulated in f32.
void launch_gemv_f16(uint32_t count, uint32_t n, const uint16_t* p, const float* t, float* y, cudaStream_t stream);
// The same with P_b at p[b] (a device array of count pointers).
void launch_gemv_f16_list(uint32_t count, uint32_t n, const uint16_t* const* p, const float* t, float* y,
                          cudaStream_t stream);
// Row r: decode y + r·n, verifier of (salt r, enc(c)) against verifier r; match[r], and codewords[r] on a match.
void launch_verify_decode(uint32_t rows, uint32_t n, uint32_t alpha, const float* y, const uint8_t* salts,
                          const uint8_t* verifiers, uint8_t* match, detail::Codeword* codewords, cudaStream_t stream);
// Rows r·probes + b (record r of the chunk, probe b of the block): every match appended to hits
// (first `capacity` of them; hit_count counts all).
void launch_identify_decode(uint32_t records, uint32_t probes, uint32_t n, uint32_t alpha, const float* y,
                            const uint8_t* salts, const uint8_t* verifiers, uint32_t record_base,
                            uint32_t probe_base, DeviceHit* hits, uint32_t capacity, uint32_t* hit_count,
                            cudaStream_t stream);

}  // namespace spheremask::cuda
