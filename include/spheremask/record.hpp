// Helper-data record "SMHD" v1 (DESIGN §4): serialize, and parse with validation of every field.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "spheremask/params.hpp"

namespace spheremask {

constexpr size_t kRecordHeaderSize = 132;  // magic .. verifier: the bytes the MAC covers before P
constexpr size_t kRecordTrailerSize = 64;  // checksum + mac
constexpr uint16_t kFlagDeterministic = 1;
constexpr uint8_t kHashSha256 = 1;

struct SPHEREMASK_API Record {
  uint16_t flags = 0;
  uint32_t m = 0;
  uint32_t n = 0;
  uint32_t alpha = 0;
  Dtype dtype = Dtype::F32;
  uint8_t hash_alg = kHashSha256;
  uint16_t samples = 1;                   // templates averaged at enrollment (v2 header; v1 records: 1)
  std::array<uint8_t, 32> expander_id{};  // zeros = none
  std::array<uint8_t, 32> app_id{};       // zeros = none
  std::array<uint8_t, 16> salt{};
  std::array<uint8_t, 32> verifier{};
  std::vector<uint8_t> p;                 // n·n elements of dtype, row-major, little-endian
  std::array<uint8_t, 32> mac{};

  bool deterministic() const { return (flags & kFlagDeterministic) != 0; }
  size_t p_bytes() const { return size_t(n) * n * dtype_size(dtype); }
  size_t serialized_size() const { return kRecordHeaderSize + p_bytes() + kRecordTrailerSize; }

  // The 132 header bytes exactly as serialized (the MAC input starts with them).
  std::array<uint8_t, kRecordHeaderSize> header() const;
  // Header ‖ P ‖ SHA-256 checksum ‖ mac.
  std::vector<uint8_t> serialize() const;
  // Validates magic, version, flags, sizes against the byte count, n, α, security bits (unless
  // allow_weak), dtype, hash algorithm, checksum and finiteness of P. Throws Error{InvalidRecord}
  // naming the failing field.
  static Record parse(std::span<const uint8_t> bytes, bool allow_weak = false);
};

}  // namespace spheremask
