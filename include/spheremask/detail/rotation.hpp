// The rank-2 rotation P = R(u → c)·Q = Q + u·aᵀ + w·bᵀ (DESIGN §3), one element or one coefficient at a
// time. Both backends call these; only how they sum over n (serial, block reductions) and lay out the
// work stays per backend, so each formula and its floating-point operation order lives here once.
#pragma once
#include <cmath>
#include <cstdint>
#include "spheremask/detail/codeword.hpp"

namespace spheremask::detail {

// Below this sinθ the rotation is degenerate (u already at ±c): the caller draws a new Q.
constexpr double kRotationMinSin = 1e-6;
// Enrollment accepts P only if every |(P t − c)_i| is below this.
constexpr float kRotationCheckTolerance = 1e-4f;

// 1/√α, the magnitude of a codeword's nonzero entries, in double.
SM_HD inline double codeword_magnitude(uint32_t alpha) { return 1.0 / sqrt(double(alpha)); }

// The k-th nonzero entry of c (at row c.index[k]) given codeword_magnitude(c.alpha).
SM_HD inline double codeword_entry(const Codeword& c, uint32_t k, double magnitude) {
  return c.negative[k] ? -magnitude : magnitude;
}

// The same entry rounded to float (negation is exact, so this is also ±float(1/√α)).
SM_HD inline float codeword_entry_f32(const Codeword& c, uint32_t k, double magnitude) {
  return float(codeword_entry(c, k, magnitude));
}

// cosθ = cᵀu over the α nonzero entries in index order; every caller sums the same terms in the same order.
SM_HD inline double rotation_cos(const Codeword& c, const float* u, double magnitude) {
  double cos_theta = 0;
  for (uint32_t k = 0; k < c.alpha; ++k) cos_theta += codeword_entry(c, k, magnitude) * u[c.index[k]];
  return cos_theta;
}

// w_i = (c_i − cosθ·u_i)/sinθ is formed in three steps so sinθ can be taken from the unnormalized w:
// first −cosθ·u_i everywhere, then + c_i at the α rows of c, then the division.
SM_HD inline float rotation_w_start(double cos_theta, float u_i) { return float(-cos_theta * u_i); }
SM_HD inline float rotation_w_plus_codeword(float w, const Codeword& c, uint32_t k, double magnitude) {
  return w + codeword_entry_f32(c, k, magnitude);
}
SM_HD inline float rotation_w_unit(float w, double sin_theta) { return float(w / sin_theta); }

SM_HD inline bool rotation_degenerate(double sin_theta) { return sin_theta < kRotationMinSin; }

// Column j of the row vectors a, b from (cᵀQ)_j: wᵀQ = (cᵀQ − cosθ·tᵀ)/sinθ, then
// a = (cosθ − 1)·t − sinθ·wᵀQ and b = sinθ·t + (cosθ − 1)·wᵀQ.
SM_HD inline void rotation_ab(float ctq_j, float t_j, double cos_theta, double sin_theta, float* a_j, float* b_j) {
  const double wq = (double(ctq_j) - cos_theta * t_j) / sin_theta;
  const double tj = t_j;
  *a_j = float((cos_theta - 1.0) * tj - sin_theta * wq);
  *b_j = float(sin_theta * tj + (cos_theta - 1.0) * wq);
}

// P_ij = Q_ij + u_i·a_j + w_i·b_j.
SM_HD inline float rotation_p(float q_ij, float u_i, float a_j, float w_i, float b_j) {
  return q_ij + u_i * a_j + w_i * b_j;
}

// One entry of the check: residual_i = (P t)_i − c_i must be finite and below the tolerance (NaN fails).
SM_HD inline bool rotation_residual_ok(float residual) { return fabsf(residual) < kRotationCheckTolerance; }

}  // namespace spheremask::detail
