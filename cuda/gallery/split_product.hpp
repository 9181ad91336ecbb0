// Identification on tensor cores (resident_gallery.cpp, IdentifyMath::TensorCores): an f16 gallery P
// times probes split into two f16 parts, with FP32 accumulation. The split, the bound on how far its y
// can be from the CPU's, and a CPU emulation of the product for tests. Plain C++ (SM_HD, no CUDA
// headers): the split kernel calls split_element, and g++ tests drive all of it.
//
// The split. For one call, s = 2^k with max|t|·s in [2^13, 2^14) (split_scale); per element
// τ = s·t (exact), hi = f16(τ), r = τ − hi (exact in f32), lo = f16(2^11·r). Then
// y = s⁻¹·(P·hi) + 2^-11·s⁻¹·(P·lo): two GEMMs over the same f16 P (the second adds into the first's
// y, β = 1); both scalings are powers of two, so exact. No f16 overflows: |τ| < 2^14 and |2^11·r| ≤ |τ|.
//
// Error model, per element y_i, with a_i = Σ_j |P_ij||t_j| and b_i = Σ_j |P_ij| (P exact: an f16 P is
// what the record stores, so the product is exact in P):
//  * split: |t_j − s⁻¹(hi_j + 2^-11·lo_j)| ≤ 2^-22|t_j| + 2^-36/s (f16 unit roundoff 2^-11 twice; the
//    2^-36 covers hi or lo falling into f16's subnormals);
//  * GEMMs: f16 × f16 products are exact in f32 (11 + 11 significant bits); the accumulation of n terms,
//    in any order, is taken to err by at most γ(n, u_tc)·Σ|terms| with u_tc = 2^-22 (4× the f32 unit
//    roundoff). That covers recursive summation rounding toward zero (2^-23 per addition) and the blocked
//    adders of tensor cores that align k products and the accumulator to the largest exponent with
//    truncation (Fasi et al., "Numerical behavior of NVIDIA tensor cores", 2021): (n/k)·(k+1)·2^-23 ≤
//    n·2^-22 for every block size k ≥ 1. Over both GEMMs γ(n, u_tc)·(1+2^-10)·a_i, plus one rounding of
//    the β = 1 sum, ≤ 2·u_tc·a_i;
//  * the CPU reference (f32 GEMM over P widened to f32, any order, FMA or not): γ(n, 2^-24)·a_i.
// So |y_gpu,i − y_cpu,i| ≤ D with D = max_i (E_gpu,i + E_cpu,i). If the CPU's α-th and (α+1)-th |y|
// differ by more than 2D, both select the same α indices with the same signs (any selected |y_cpu| > 2D
// keeps its sign, any pair across the boundary keeps its order): decision_bound returns 2D.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "spheremask/detail/half.hpp"
#include "spheremask/detail/hd.hpp"

namespace spheremask::cuda {

// 2^11: lo is stored scaled so that it stays in f16's normal range.
constexpr float kSplitLoScale = 2048.0f;
constexpr float kSplitLoUnscale = 1.0f / 2048.0f;

// s = 2^k with max_abs·s in [2^13, 2^14): |τ| < 2^14 keeps hi and 2^11·r finite in f16 and far from
// its subnormals. k is clamped to ±100 (s stays a finite normal float); max_abs == 0 (or not finite,
// which the engine rejects before) gives 1.
inline float split_scale(float max_abs) {
  if (!(max_abs > 0.0f) || !std::isfinite(max_abs)) return 1.0f;
  int e = 0;
  std::frexp(max_abs, &e);  // max_abs = m·2^e, m in [0.5, 1)
  int k = 14 - e;
  k = k < -100 ? -100 : (k > 100 ? 100 : k);
  return std::ldexp(1.0f, k);
}

// One probe element t, scaled by s, as f16 hi and lo (bit patterns).
SM_HD inline void split_element(float t, float s, uint16_t* hi, uint16_t* lo) {
  const float tau = t * s;
  *hi = detail::float_to_half(tau);
  const float r = tau - detail::half_to_float(*hi);  // exact: τ and hi agree in all but τ's low bits
  *lo = detail::float_to_half(r * kSplitLoScale);
}

// γ(k, u) = k·u / (1 − k·u): the classic bound on the relative error of a k-term floating-point sum.
inline double gamma_bound(double k, double u) { return k * u / (1.0 - k * u); }

// Tensor-core accumulation model: relative error per addition (see the file comment).
constexpr double kTensorCoreUnitRoundoff = 0x1p-22;
constexpr double kF32UnitRoundoff = 0x1p-24;

// 2D of the file comment: when the CPU's α-th and (α+1)-th |y| differ by more than this, the
// tensor-core product decodes to the same codeword. max_abs_dot = max_i Σ_j |P_ij||t_j|,
// max_abs_row = max_i Σ_j |P_ij|, s = split_scale of the call's probes.
inline double decision_bound(uint32_t n, double max_abs_dot, double max_abs_row, float s) {
  const double a = max_abs_dot;
  const double split = 0x1p-22 * a + 0x1p-36 * max_abs_row / double(s);
  const double gemm = gamma_bound(n, kTensorCoreUnitRoundoff) * (1.0 + 0x1p-10) * a + 2.0 * kTensorCoreUnitRoundoff * a;
  const double cpu = gamma_bound(n, kF32UnitRoundoff) * a;
  return 2.0 * (split + gemm + cpu);
}

// The CPU emulation of y = P·t through the split: exact products (f16 × f16 fits f32), accumulated
// in f32 in the order j = 0..n−1 with round-toward-zero (`toward_zero`, the pessimistic tensor-core
// model) or to nearest, then the two halves combined as the GPU's second GEMM does (β = 1).
// p: row-major n×n f16 bits; hi, lo: the split of one probe.
inline float round_toward_zero(double x) {
  float f = float(x);
  if (std::fabs(double(f)) > std::fabs(x)) f = std::nextafter(f, 0.0f);
  return f;
}

inline void emulate_split_product(const uint16_t* p, uint32_t n, const uint16_t* hi, const uint16_t* lo, float s,
                                  bool toward_zero, bool with_lo, float* y) {
  const float inv_s = 1.0f / s;  // a power of two: exact
  for (uint32_t i = 0; i < n; ++i) {
    float acc_hi = 0.0f, acc_lo = 0.0f;
    for (uint32_t j = 0; j < n; ++j) {
      const float pij = detail::half_to_float(p[size_t(i) * n + j]);
      const float prod_hi = pij * detail::half_to_float(hi[j]);  // exact
      const float prod_lo = pij * detail::half_to_float(lo[j]);  // exact
      if (toward_zero) {
        acc_hi = round_toward_zero(double(acc_hi) + double(prod_hi));
        acc_lo = round_toward_zero(double(acc_lo) + double(prod_lo));
      } else {
        acc_hi += prod_hi;
        acc_lo += prod_lo;
      }
    }
    const float first = acc_hi * inv_s;
    const float second = acc_lo * (kSplitLoUnscale * inv_s);
    if (!with_lo) {
      y[i] = first;
    } else {
      y[i] = toward_zero ? round_toward_zero(double(first) + double(second)) : first + second;
    }
  }
}

}  // namespace spheremask::cuda
