// Codewords of C(n, α): α positions (ascending) with signs, their sampling from a ChaCha20 key, and
// their canonical encoding enc(c) (DESIGN §3). Plain data so that kernels can use it too.
#pragma once
#include <cstddef>
#include <cstdint>
#include "spheremask/detail/bytes.hpp"
#include "spheremask/detail/chacha20.hpp"

namespace spheremask::detail {

constexpr int kMaxAlpha = 64;
constexpr uint32_t kMaxN = 16384;
// "SMCW" + u16 version + u32 n + u16 α + α·u32 + ⌈α/8⌉ sign bytes.
constexpr size_t kMaxEncodedCodeword = 4 + 2 + 4 + 2 + 4 * kMaxAlpha + kMaxAlpha / 8;

struct Codeword {
  uint32_t n = 0;
  uint32_t alpha = 0;
  uint32_t index[kMaxAlpha];   // ascending
  int8_t negative[kMaxAlpha];  // 1 where the sign is −

  SM_HD void wipe() {
    volatile uint32_t* vi = index;
    volatile int8_t* vn = negative;
    for (int i = 0; i < kMaxAlpha; ++i) { vi[i] = 0; vn[i] = 0; }
    n = 0; alpha = 0;
  }
};

SM_HD inline size_t encoded_codeword_size(uint32_t alpha) { return 12 + 4 * size_t(alpha) + (alpha + 7) / 8; }

// Writes enc(c) to out (encoded_codeword_size(alpha) bytes) and returns the size.
SM_HD inline size_t encode_codeword(const Codeword& c, uint8_t* out) {
  out[0] = 'S'; out[1] = 'M'; out[2] = 'C'; out[3] = 'W';
  store_le16(out + 4, 1);
  store_le32(out + 6, c.n);
  store_le16(out + 10, uint16_t(c.alpha));
  size_t p = 12;
  for (uint32_t k = 0; k < c.alpha; ++k, p += 4) store_le32(out + p, c.index[k]);
  const size_t sign_bytes = (c.alpha + 7) / 8;
  for (size_t b = 0; b < sign_bytes; ++b) out[p + b] = 0;
  for (uint32_t k = 0; k < c.alpha; ++k)
    if (c.negative[k]) out[p + k / 8] |= uint8_t(1u << (k % 8));
  return p + sign_bytes;
}

// Unbiased integer in [0, bound) by rejection on u32 words.
SM_HD inline uint32_t uniform_below(ChachaWordStream& ws, uint32_t bound) {
  const uint64_t two32 = 1ull << 32;
  const uint64_t limit = two32 - (two32 % bound);
  for (;;) {
    const uint32_t w = ws.next();
    if (w < limit) return w % bound;
  }
}

// Floyd's algorithm for the positions, then one word per position in the order chosen for the
// signs (negative iff the low bit is 1). Requires 1 <= alpha <= kMaxAlpha, alpha <= n.
SM_HD inline void sample_codeword(const uint8_t key[32], uint32_t n, uint32_t alpha, Codeword* c) {
  ChachaWordStream ws(key);
  uint32_t chosen[kMaxAlpha];
  uint32_t count = 0;
  for (uint32_t j = n - alpha; j < n; ++j) {
    const uint32_t r = uniform_below(ws, j + 1);
    bool taken = false;
    for (uint32_t q = 0; q < count; ++q) taken = taken || (chosen[q] == r);
    chosen[count++] = taken ? j : r;
  }
  int8_t neg_in_order[kMaxAlpha];
  for (uint32_t q = 0; q < count; ++q) neg_in_order[q] = int8_t(ws.next() & 1u);
  // Sort positions ascending, carrying signs (α ≤ 64: insertion sort).
  for (uint32_t a = 1; a < count; ++a) {
    const uint32_t pos = chosen[a];
    const int8_t neg = neg_in_order[a];
    uint32_t b = a;
    while (b > 0 && chosen[b - 1] > pos) { chosen[b] = chosen[b - 1]; neg_in_order[b] = neg_in_order[b - 1]; --b; }
    chosen[b] = pos; neg_in_order[b] = neg;
  }
  c->n = n;
  c->alpha = alpha;
  for (uint32_t q = 0; q < count; ++q) { c->index[q] = chosen[q]; c->negative[q] = neg_in_order[q]; }
  volatile uint32_t* vc = chosen;
  volatile int8_t* vn = neg_in_order;
  for (uint32_t q = 0; q < count; ++q) { vc[q] = 0; vn[q] = 0; }
  ws.wipe();
}

}  // namespace spheremask::detail
