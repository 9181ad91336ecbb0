// Known-answer self-test of the shared host/device helpers (include/spheremask/detail) run inside a
// <<<1,1>>> kernel: the tests compare these results with the golden values, as they do for g++.
// Plain C++ types only (no CUDA headers), so tests include it on any build.
#pragma once
#include <cstddef>
#include <cstdint>

#include "spheremask/detail/codeword.hpp"

namespace spheremask::internal {

struct CudaDetailSelftest {
  uint32_t chacha_block[16];      // RFC 8439 §2.3.2: key 00..1f, counter 1, nonce 00000009 0000004a 00000000
  float gaussian[5];              // stream elements 0, 1, 1000, 1001, 65535 of key 00..1f
  float gaussian_range[16];       // elements 0..15 through gaussian_range
  uint8_t sha256_abc[32];         // SHA-256("abc")
  detail::Codeword sampled;       // sample_codeword(golden key_c, 64, 8)
  uint8_t encoded[detail::kMaxEncodedCodeword];  // encode_codeword(sampled)
  uint32_t encoded_size;
  uint8_t verifier[32];           // SHA-256("spheremask/v1/verifier" ‖ golden salt ‖ enc(sampled))
  bool decoded_ties_ok;           // decode_codeword on the golden tie vector, α = 3
  detail::Codeword decoded_ties;
  uint16_t half_of_third;         // float_to_half(1/3)
  float half_roundtrip;           // half_to_float(float_to_half(1/3))
};

// Runs the kernel on `device`. Throws Error{Unavailable} without a device, Error{Backend} on failure.
CudaDetailSelftest cuda_detail_selftest(int device, const uint8_t key_c[32], const uint8_t salt[16]);

}  // namespace spheremask::internal
