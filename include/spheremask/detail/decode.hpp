// Serial decode of y to the nearest codeword: the α coordinates first in the order
// (|y_i| descending, i ascending), sign + iff y_i >= 0 (so −0.0 is +). DESIGN §3.
#pragma once
#include <cstdint>
#include "spheremask/detail/bytes.hpp"
#include "spheremask/detail/codeword.hpp"

namespace spheremask::detail {

SM_HD inline bool ranks_before(float abs_a, uint32_t ia, float abs_b, uint32_t ib) {
  return abs_a > abs_b || (abs_a == abs_b && ia < ib);
}

// Canonical codeword from the α chosen indices of y (any order; sorted here in place): indices
// ascending, sign + iff y_i >= 0. Shared by the serial decode and the GPU's parallel selection.
SM_HD inline void codeword_from_indices(const float* y, uint32_t n, uint32_t alpha, uint32_t* idx, Codeword* c) {
  for (uint32_t a = 1; a < alpha; ++a) {
    const uint32_t v = idx[a];
    uint32_t b = a;
    while (b > 0 && idx[b - 1] > v) { idx[b] = idx[b - 1]; --b; }
    idx[b] = v;
  }
  c->n = n;
  c->alpha = alpha;
  for (uint32_t q = 0; q < alpha; ++q) {
    c->index[q] = idx[q];
    c->negative[q] = y[idx[q]] >= 0.0f ? 0 : 1;
  }
}

// Returns false (and leaves c unspecified) if any y_i is not finite.
SM_HD inline bool decode_codeword(const float* y, uint32_t n, uint32_t alpha, Codeword* c) {
  float best_abs[kMaxAlpha];
  uint32_t best_idx[kMaxAlpha];
  uint32_t count = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const float v = y[i];
    if (!finite_float(v)) return false;
    const float a = v < 0 ? -v : v;
    if (count == alpha && !ranks_before(a, i, best_abs[alpha - 1], best_idx[alpha - 1])) continue;
    uint32_t p = count < alpha ? count++ : alpha - 1;
    while (p > 0 && ranks_before(a, i, best_abs[p - 1], best_idx[p - 1])) {
      best_abs[p] = best_abs[p - 1]; best_idx[p] = best_idx[p - 1]; --p;
    }
    best_abs[p] = a; best_idx[p] = i;
  }
  codeword_from_indices(y, n, count, best_idx, c);
  return true;
}

}  // namespace spheremask::detail
