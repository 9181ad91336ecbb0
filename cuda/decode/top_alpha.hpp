// Pieces of the GPU decode + verifier kernel that do not depend on CUDA (SM_HD, so g++ tests can
// drive them): the selection order, the canonical codeword from the selected indices, the verifier
// digest and the constant-time compare.
//
// Parallel top-α: round r selects the element that ranks first among those ranking after the
// element selected in round r−1 (order: |y| descending, index ascending, a total order). Each thread
// proposes its best such element; a block reduction with `ranked_better` picks the winner.
#pragma once
#include <cstddef>
#include <cstdint>

#include "spheremask/detail/codeword.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/detail/sha256.hpp"

namespace spheremask::cuda {

struct Ranked {
  float abs;
  uint32_t index;
};

// Ranks after every real element (|y| ≥ 0): "no candidate".
SM_HD inline Ranked ranked_none() { return {-1.0f, 0xffffffffu}; }
// Ranks before every finite element: the "previous winner" before round 0.
SM_HD inline Ranked ranked_before_all() { return {detail::bits_float(0x7f800000u), 0u}; }  // +inf

SM_HD inline float abs_for_rank(float v) { return v < 0 ? -v : v; }  // same expression as decode_codeword

SM_HD inline bool ranked_better(Ranked a, Ranked b) { return detail::ranks_before(a.abs, a.index, b.abs, b.index); }

// Best element among y[start], y[start+stride], ... that ranks strictly after prev.
SM_HD inline Ranked best_after(const float* y, uint32_t n, uint32_t start, uint32_t stride, Ranked prev) {
  Ranked best = ranked_none();
  for (uint32_t i = start; i < n; i += stride) {
    const Ranked cand{abs_for_rank(y[i]), i};
    if (ranked_better(prev, cand) && ranked_better(cand, best)) best = cand;
  }
  return best;
}

// SHA-256("spheremask/v1/verifier" ‖ salt ‖ enc(c)), DESIGN §3.
SM_HD inline void verifier_digest(const uint8_t salt[16], const detail::Codeword& c, uint8_t out[32]) {
  const char label[] = "spheremask/v1/verifier";
  uint8_t enc[detail::kMaxEncodedCodeword];
  const size_t len = detail::encode_codeword(c, enc);
  detail::Sha256 h;
  h.update(reinterpret_cast<const uint8_t*>(label), sizeof(label) - 1);
  h.update(salt, 16);
  h.update(enc, len);
  h.final(out);
  volatile uint8_t* v = enc;
  for (size_t i = 0; i < len; ++i) v[i] = 0;
  volatile uint8_t* hb = h.buf;
  for (int i = 0; i < 64; ++i) hb[i] = 0;
}

SM_HD inline bool equal_ct32(const uint8_t* a, const uint8_t* b) {
  uint32_t diff = 0;
  for (int i = 0; i < 32; ++i) diff |= uint32_t(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace spheremask::cuda
