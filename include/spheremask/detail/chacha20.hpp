// RFC 8439 ChaCha20 block function (20 rounds). Used as the index-addressable random stream
// for Gaussian matrices and codeword sampling (DESIGN §3).
#pragma once
#include <cstdint>
#include "spheremask/detail/bytes.hpp"
#include "spheremask/detail/hd.hpp"

namespace spheremask::detail {

SM_HD inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

SM_HD inline void chacha_quarter(uint32_t* x, int a, int b, int c, int d) {
  x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 16);
  x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 12);
  x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 8);
  x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 7);
}

// key: 8 little-endian words; nonce: 3 words. Writes the 16 output words.
SM_HD inline void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                                 uint32_t out[16]) {
  uint32_t s[16] = {0x61707865u, 0x3320646Eu, 0x79622D32u, 0x6B206574u,
                    key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
                    counter, nonce[0], nonce[1], nonce[2]};
  uint32_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = s[i];
  for (int round = 0; round < 10; ++round) {
    chacha_quarter(x, 0, 4, 8, 12); chacha_quarter(x, 1, 5, 9, 13);
    chacha_quarter(x, 2, 6, 10, 14); chacha_quarter(x, 3, 7, 11, 15);
    chacha_quarter(x, 0, 5, 10, 15); chacha_quarter(x, 1, 6, 11, 12);
    chacha_quarter(x, 2, 7, 8, 13); chacha_quarter(x, 3, 4, 9, 14);
  }
  for (int i = 0; i < 16; ++i) out[i] = x[i] + s[i];
}

SM_HD inline void key_words(const uint8_t key[32], uint32_t out[8]) {
  for (int i = 0; i < 8; ++i) out[i] = load_le32(key + 4 * i);
}

// Stream block b with the zero nonce (the only nonce the Gaussian and codeword streams use).
SM_HD inline void chacha20_stream_block(const uint32_t key[8], uint32_t b, uint32_t out[16]) {
  const uint32_t zero_nonce[3] = {0, 0, 0};
  chacha20_block(key, b, zero_nonce, out);
}

// Sequential u32 words of the stream: block 0 words 0..15, block 1, ...
struct ChachaWordStream {
  uint32_t key[8];
  uint32_t block = 0;
  uint32_t buf[16];
  int used = 16;
  SM_HD explicit ChachaWordStream(const uint8_t k[32]) { key_words(k, key); }
  SM_HD uint32_t next() {
    if (used == 16) { chacha20_stream_block(key, block++, buf); used = 0; }
    return buf[used++];
  }
  SM_HD void wipe() {
    for (int i = 0; i < 8; ++i) reinterpret_cast<volatile uint32_t*>(key)[i] = 0;
    for (int i = 0; i < 16; ++i) reinterpret_cast<volatile uint32_t*>(buf)[i] = 0;
  }
};

}  // namespace spheremask::detail
