// DESIGN §3 key flow: verifier, HKDF key, MAC key and MAC, and the deterministic (insecure) key
// derivation for tests and benchmarks.
#pragma once
#include <span>
#include <array>
#include <cstdint>
#include <string_view>

#include "crypto/crypto.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/record.hpp"

namespace spheremask::keyflow {

// Wiped on destruction: enc(c) is as secret as c.
struct EncodedCodeword {
  uint8_t bytes[detail::kMaxEncodedCodeword];
  size_t size = 0;
  explicit EncodedCodeword(const detail::Codeword& c);
  ~EncodedCodeword();
  std::span<const uint8_t> span() const { return {bytes, size}; }
};

crypto::Digest verifier(const uint8_t salt[16], const detail::Codeword& c);
// verifier(salt, c_i) for many codewords of one record at once (interleaved SHA-256 lanes where the CPU has
// them; crypto/sha256_lanes.hpp): out[i] for codewords[i], bit-identical to verifier().
void verifiers(const uint8_t salt[16], std::span<const detail::Codeword> codewords, crypto::Digest* out);
// verifier(salt, c) equals the record's 32-byte verifier (compared in constant time).
bool verifier_matches(const uint8_t salt[16], const detail::Codeword& c, const uint8_t* expected);
// HKDF-Expand(HKDF-Extract(salt, enc(c)), "spheremask/v1/key" ‖ context, 32)
crypto::Digest derive_key(const uint8_t salt[16], const detail::Codeword& c, std::string_view context);
crypto::Digest mac_key(const uint8_t salt[16], const detail::Codeword& c);
// v1: HMAC-SHA-256(mac_key, header ‖ P). v2: HMAC-SHA-256(mac_key, "spheremask/v2/mac" ‖ root), the root
// over the record's chunk digests (P itself is not hashed again).
crypto::Digest record_mac(const crypto::Digest& mac_key, const Record& r);
// The MACs of several records at once (v1 bodies on interleaved SHA-256 lanes where the CPU has the SHA
// extensions).
void record_macs(const crypto::Digest* mac_keys, const Record* const* records, size_t count, crypto::Digest* out);

// SHA-256("spheremask/v1/det/" ‖ label ‖ seed ‖ u64le(index))
crypto::Digest deterministic_key(std::string_view label, const std::array<uint8_t, 32>& seed, uint64_t index);

}  // namespace spheremask::keyflow
