// One step of Stewart's method (DESIGN §3): the LAPACK larfg normalization of a Gaussian column x into a
// Householder reflector H = I − τ·v·vᵀ with v_0 = 1 and H·x = β·e_0. Both backends call these; the sum
// ‖x‖² stays per backend (serial on the CPU, a block reduction on the GPU), both in double.
#pragma once
#include <cmath>
#include <cstdint>
#include "spheremask/detail/hd.hpp"

namespace spheremask::detail {

struct HouseholderStep {
  double scale;  // v_j = x_j·scale for j ≥ 1
  float tau;     // τ = (β − x_0)/β
  float sign;    // sign(β): column k of Q is multiplied by it after forming Q (the Haar sign fix)
};

// From x_0 and ‖x‖²: β = −sign(x_0)·‖x‖, scale = 1/(x_0 − β).
SM_HD inline HouseholderStep householder_step(double x0, double norm2) {
  const double beta = -copysign(sqrt(norm2), x0);
  return {1.0 / (x0 - beta), float((beta - x0) / beta), beta >= 0 ? 1.0f : -1.0f};
}

SM_HD inline float householder_scaled(float x_j, double scale) { return float(x_j * scale); }

// The last column has no reflector (τ = 0); its sign is that of the Gaussian on the diagonal.
SM_HD inline float householder_last_sign(float diagonal) { return diagonal >= 0.0f ? 1.0f : -1.0f; }

}  // namespace spheremask::detail
