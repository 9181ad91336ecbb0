// Per-element math of the template expander (DESIGN §3): activations and their derivatives, the fold,
// the normalization's backward, the Gram entry of the objective and one Adam update. The CPU net and
// trainer (host/expander/) and the CUDA kernels (cuda/expander/) call these same SM_HD functions, so the
// two backends cannot drift apart in the math; only the loops (and reduction orders) differ.
#pragma once
#include <math.h>

#include <cstddef>
#include <cstdint>

#include "spheremask/detail/hd.hpp"

namespace spheremask::detail {

enum class TeAct { Gelu, Relu, None };

// GELU in its exact erf form z·Φ(z), and GELU'(z) = Φ(z) + z·φ(z).
SM_HD inline float gelu(float z) { return 0.5f * z * (1.0f + erff(z * 0.70710678118654752f)); }
SM_HD inline float gelu_grad(float z) {
  const float cdf = 0.5f * (1.0f + erff(z * 0.70710678118654752f));
  const float pdf = 0.39894228040143268f * expf(-0.5f * z * z);
  return cdf + z * pdf;
}

SM_HD inline float te_apply(TeAct act, float v) {
  if (act == TeAct::Gelu) return gelu(v);
  if (act == TeAct::Relu) return fmaxf(v, 0.0f);
  return v;
}

// d act / dz: ReLU'(z) = [z > 0], identity 1.
SM_HD inline float te_act_grad(TeAct act, float z) {
  if (act == TeAct::Gelu) return gelu_grad(z);
  if (act == TeAct::Relu) return z > 0 ? 1.0f : 0.0f;
  return 1.0f;
}

SM_HD inline float inverse_norm(float norm) { return norm > 0 ? 1.0f / norm : 0.0f; }  // a zero row stays zero

// Forward of one row through activation and fold, element j (h = len/2 with fold, else 0). The fold
// is x[0:h] += x[h:2h] with the second half kept, so the owner of j < h writes y[j] = act(z[j]) +
// act(z[h+j]) and y[h+j] = act(z[h+j]); j ≥ 2h is written alone; h ≤ j < 2h writes nothing. Each
// element is written by exactly one owner, so z and y may be the same row and threads never race.
// Returns the squared values written (a thread's share of the row norm).
SM_HD inline double activate_owned(uint32_t j, uint32_t h, TeAct act, const float* z, float* y) {
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

// Backward of one row, element j: through the normalization, g = (dy − y·d)·inv (d = y·dy of the row,
// inv = 1/‖f‖); through the fold, h ≤ j < 2h also receives the gradient of j − h (a[h+j] fed f[j] and
// f[h+j]); through the activation, times act'(z[j]).
SM_HD inline float backward_element(uint32_t j, uint32_t h, TeAct act, const float* dy, const float* y, float d,
                                    float inv, const float* z) {
  float g = (dy[j] - y[j] * d) * inv;
  if (j >= h && j < 2 * h) g += (dy[j - h] - y[j - h] * d) * inv;
  return g * te_act_grad(act, z[j]);
}

// Gram entry (i, j) of the loss: gin and gout hold upper triangles, column-major count × count
// ((a, b), a ≤ b, at [a + b·count]). The weight is all + (Pairs, i ≠ j, same group ? within : 0).
// Writes s_row[j] = float(wt·diff) (row i of S = W∘D) and returns wt·diff².
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

// One Adam step of one parameter, in float:
//   m = b1·m + (1−b1)·g;  v = b2·v + (1−b2)·g·g;  p −= lr·(m·c1) / (√(v·c2) + eps)
// with c1, c2 the bias corrections of the step.
struct AdamStep {
  float lr, b1, one_minus_b1, b2, one_minus_b2, eps, c1, c2;
};
SM_HD inline void adam_element(const AdamStep& a, float g, float& m, float& v, float& p) {
  m = a.b1 * m + a.one_minus_b1 * g;
  v = a.b2 * v + a.one_minus_b2 * g * g;
  p -= a.lr * (m * a.c1) / (sqrtf(v * a.c2) + a.eps);
}

}  // namespace spheremask::detail
