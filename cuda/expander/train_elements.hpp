// Per-element math of the template expander's training kernels (expander_train_kernels.cu) and of the
// forward kernel (expander_kernels.cu), as SM_HD functions: the kernels call them from their thread
// loops, and a CPU test runs the very same functions serially (tests/expander/test_expander_train_stepper.cpp).
// The formulas are host/expander/expander_net.cpp's and host/expander/expander_train.cpp's. No CUDA headers needed.
#pragma once
#include <math.h>

#include <cstddef>
#include <cstdint>

#include "expander/expander_net.hpp"
#include "spheremask/detail/hd.hpp"

namespace spheremask::cuda {

// Activation: GELU in its exact erf form z·Φ(z), ReLU, identity.
SM_HD inline float te_apply(internal::TeAct act, float v) {
  if (act == internal::TeAct::Gelu) return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
  if (act == internal::TeAct::Relu) return fmaxf(v, 0.0f);
  return v;
}

// d act / dz: GELU'(z) = Φ(z) + z·φ(z); ReLU'(z) = [z > 0]; identity 1.
SM_HD inline float te_act_grad(internal::TeAct act, float z) {
  if (act == internal::TeAct::Gelu) {
    const float cdf = 0.5f * (1.0f + erff(z * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * expf(-0.5f * z * z);
    return cdf + z * pdf;
  }
  if (act == internal::TeAct::Relu) return z > 0 ? 1.0f : 0.0f;
  return 1.0f;
}

SM_HD inline float inverse_norm(float norm) { return norm > 0 ? 1.0f / norm : 0.0f; }  // a zero row stays zero

// Forward of one row, element j (h = len/2 with fold, else 0): the owner of j < h writes y[j] =
// act(z[j]) + act(z[h+j]) and y[h+j] = act(z[h+j]); j ≥ 2h is written alone; h ≤ j < 2h writes
// nothing. Returns the squared values written (for the row norm). z and y may be the same row.
SM_HD inline double activate_owned(uint32_t j, uint32_t h, internal::TeAct act, const float* z, float* y) {
  if (j < h) {
    const float lo = te_apply(act, z[j]), hi = te_apply(act, z[h + j]);
    const float sum = lo + hi;
    y[j] = sum;
    y[h + j] = hi;
    return double(sum) * sum + double(hi) * hi;
  }
  if (j >= 2 * h) {
    const float v = te_apply(act, z[j]);
    y[j] = v;
    return double(v) * v;
  }
  return 0;
}

// Gram entry (i, j) of the loss: gin and gout hold upper triangles, column-major count × count
// ((a, b), a ≤ b, at [a + b·count]). Writes s_row[j] = float(wt·diff) and returns wt·diff².
struct GramArgs {
  double all, within;
  bool pairs;
  uint32_t group;
};
SM_HD inline double gram_entry(uint32_t i, uint32_t j, size_t count, const GramArgs& g, const float* gin,
                               const float* gout, float* s_row) {
  const size_t at = size_t(i < j ? i : j) + size_t(i < j ? j : i) * count;
  const double diff = double(gout[at]) - double(gin[at]);
  double wt = g.all;
  if (g.pairs && j != i && i / g.group == j / g.group) wt += g.within;
  s_row[j] = float(wt * diff);
  return wt * diff * diff;
}

// Backward of one row, element j: g = (dy − y·d)·inv (d = y·dy of the row, inv = 1/‖f‖), plus the
// folded-in gradient of j − h for h ≤ j < 2h (a[h+j] fed f[j] and f[h+j]), times act'(z[j]).
SM_HD inline float backward_element(uint32_t j, uint32_t h, internal::TeAct act, const float* dy, const float* y,
                                    float d, float inv, const float* z) {
  float g = (dy[j] - y[j] * d) * inv;
  if (j >= h && j < 2 * h) g += (dy[j - h] - y[j - h] * d) * inv;
  return g * te_act_grad(act, z[j]);
}

// One Adam step of one parameter, in the CPU's float expression order:
//   m = b1·m + (1−b1)·g;  v = b2·v + (1−b2)·g·g;  p −= lr·(m·c1) / (√(v·c2) + eps).
struct AdamStep {
  float lr, b1, one_minus_b1, b2, one_minus_b2, eps, c1, c2;
};
SM_HD inline void adam_element(const AdamStep& a, float g, float& m, float& v, float& p) {
  m = a.b1 * m + a.one_minus_b1 * g;
  v = a.b2 * v + a.one_minus_b2 * g * g;
  p -= a.lr * (m * a.c1) / (sqrtf(v * a.c2) + a.eps);
}

SM_HD inline bool finite_value(float v) { return fabsf(v) <= 3.402823466e38f; }  // false for NaN and ±inf

}  // namespace spheremask::cuda
