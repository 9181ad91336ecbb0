// Box-Muller mapping of the ChaCha20 stream to Gaussians (DESIGN §3). Element e uses pair k = e/2
// of block k/8, words 2(k mod 8) and +1; computed in double, rounded to float.
#pragma once
#include <cmath>
#include <cstdint>
#include "spheremask/detail/chacha20.hpp"

namespace spheremask::detail {

// Both Gaussians of pair w (0..7) from a block's 16 words.
SM_HD inline void gaussian_pair(const uint32_t words[16], int pair, float* even, float* odd) {
  const double two_m32 = 2.3283064365386963e-10;  // 2^-32
  const double u1 = (double(words[2 * pair]) + 1.0) * two_m32;
  const double u2 = double(words[2 * pair + 1]) * two_m32;
  const double r = sqrt(-2.0 * log(u1));
  const double angle = 6.283185307179586 * u2;
  *even = float(r * cos(angle));
  *odd = float(r * sin(angle));
}

SM_HD inline float gaussian_element(const uint32_t key[8], uint64_t e) {
  const uint64_t k = e / 2;
  uint32_t words[16];
  chacha20_stream_block(key, uint32_t(k / 8), words);
  float even, odd;
  gaussian_pair(words, int(k % 8), &even, &odd);
  return (e % 2 == 0) ? even : odd;
}

// Fills out[0..count) with stream elements first..first+count-1, one block per 16 elements.
SM_HD inline void gaussian_range(const uint32_t key[8], uint64_t first, uint64_t count, float* out) {
  uint64_t e = first;
  const uint64_t end = first + count;
  uint32_t words[16];
  while (e < end) {
    const uint64_t block = e / 16;
    chacha20_stream_block(key, uint32_t(block), words);
    const uint64_t block_end = (block + 1) * 16 < end ? (block + 1) * 16 : end;
    while (e < block_end) {  // one log/sqrt/sincos per pair, even when both elements are wanted
      float even, odd;
      gaussian_pair(words, int((e / 2) % 8), &even, &odd);
      if (e % 2 == 0) {
        out[e - first] = even;
        if (e + 1 < block_end) out[e + 1 - first] = odd;
        e += 2;
      } else {
        out[e - first] = odd;
        e += 1;
      }
    }
  }
}

}  // namespace spheremask::detail
