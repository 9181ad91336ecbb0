// Shared by the libFuzzer harnesses: how an input is split into options and bytes, the checksum
// fix-up that lets mutations reach the checks behind a record's SHA-256, and invariant checks that
// abort (a crash libFuzzer records) when the library breaks a promise instead of merely crashing.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/error.hpp"
#include "spheremask/params.hpp"
#include "spheremask/record.hpp"

namespace spheremask::fuzz {

[[noreturn]] inline void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz invariant violated: %s (%s)\n", what, detail.c_str());
  std::abort();
}

#define FUZZ_CHECK(cond, detail) \
  do {                           \
    if (!(cond)) ::spheremask::fuzz::violated(#cond, detail); \
  } while (0)

// Byte 0 of every input holds options, the rest is the payload: bit 0 = allow_weak (small seeds have
// n ≤ 16, under 80 bits), bit 1 = rewrite the record checksum over the mutated bytes before parsing
// (otherwise nearly every mutation stops at the checksum and the checks after it are never reached).
struct Input {
  bool allow_weak = false;
  bool fix_checksum = false;
  std::vector<uint8_t> bytes;
};

inline Input split(const uint8_t* data, size_t size) {
  Input in;
  if (size == 0) return in;
  in.allow_weak = data[0] & 1;
  in.fix_checksum = data[0] & 2;
  in.bytes.assign(data + 1, data + size);
  return in;
}

// An SMHD v1 record ends with checksum ‖ mac (64 bytes); the checksum covers everything before them.
inline void fix_record_checksum(std::span<uint8_t> record) {
  if (record.size() < kRecordHeaderSize + kRecordTrailerSize) return;
  const size_t body = record.size() - kRecordTrailerSize;
  const auto digest = crypto::sha256(record.first(body));
  std::memcpy(record.data() + body, digest.data(), digest.size());
}

// A rejected input must name its failing field with the documented code.
inline void expect_error(const Error& e, ErrorCode code, const std::string& prefix) {
  const std::string msg = e.what();
  FUZZ_CHECK(e.code() == code, "code " + std::to_string(int(e.code())) + ": " + msg);
  FUZZ_CHECK(msg.find(prefix) != std::string::npos, "message without '" + prefix + "': " + msg);
}

// Every DESIGN §4 validation, re-checked independently on a record the parser accepted from `bytes`,
// and the byte-identical round trip.
inline void expect_valid_record(const Record& r, std::span<const uint8_t> bytes, bool allow_weak) {
  FUZZ_CHECK(bytes.size() >= 4 && std::memcmp(bytes.data(), "SMHD", 4) == 0, "magic");
  FUZZ_CHECK(bytes[4] == 1 && bytes[5] == 0, "version");
  FUZZ_CHECK((r.flags & ~kFlagDeterministic) == 0, "flags");
  FUZZ_CHECK(r.n >= 2 && r.n <= detail::kMaxN, "n = " + std::to_string(r.n));
  FUZZ_CHECK(r.m >= 1 && r.m <= detail::kMaxN, "m = " + std::to_string(r.m));
  FUZZ_CHECK(r.alpha >= 1 && r.alpha < r.n && r.alpha <= uint32_t(detail::kMaxAlpha), "alpha");
  FUZZ_CHECK(r.dtype == Dtype::F32 || r.dtype == Dtype::F16, "dtype");
  FUZZ_CHECK(r.hash_alg == kHashSha256, "hash_alg");
  FUZZ_CHECK(allow_weak || code_bits(r.n, r.alpha) >= kMinBits, "security bits");
  FUZZ_CHECK(bytes.size() == r.serialized_size() && r.p.size() == r.p_bytes(), "size");
  const size_t body = kRecordHeaderSize + r.p_bytes();
  const auto digest = crypto::sha256(bytes.first(body));
  FUZZ_CHECK(std::memcmp(digest.data(), bytes.data() + body, 32) == 0, "checksum");
  const size_t width = dtype_size(r.dtype);
  for (size_t i = 0; i < r.p.size(); i += width) {
    const uint32_t exp_mask = width == 4 ? 0x7f800000u : 0x7c00u;
    uint32_t bits = 0;
    std::memcpy(&bits, r.p.data() + i, width);
    FUZZ_CHECK((bits & exp_mask) != exp_mask, "non-finite P entry " + std::to_string(i / width));
  }
  const auto again = r.serialize();
  FUZZ_CHECK(again.size() == bytes.size() && std::memcmp(again.data(), bytes.data(), bytes.size()) == 0,
             "parse then serialize is not byte-identical");
}

}  // namespace spheremask::fuzz
