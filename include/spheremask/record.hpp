// Helper-data record "SMHD" (DESIGN §4): writers write v2, readers read v1 and v2; parse validates
// every field.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "spheremask/params.hpp"

namespace spheremask {

constexpr uint16_t kRecordVersion1 = 1;
constexpr uint16_t kRecordVersion2 = 2;
constexpr size_t kRecordHeaderSize = 132;    // v1 header (magic .. verifier), the bytes before P
constexpr size_t kRecordHeaderSizeV2 = 136;  // v2 adds samples and reserved (u16 each) after hash_alg
constexpr size_t kRecordTrailerSize = 64;    // checksum + mac
constexpr size_t kRecordChunkBytes = 16384;  // v2: P is hashed in chunks of this many bytes
constexpr uint16_t kFlagDeterministic = 1;
constexpr uint8_t kHashSha256 = 1;      // v1: checksum = SHA-256 over header ‖ P, mac over header ‖ P
constexpr uint8_t kHashDigestTree = 2;  // v2: checksum = digest-tree root, mac over "spheremask/v2/mac" ‖ root

// How Record::parse treats a record. defer_checksum (v2 only; v1 records are always checked at parse):
// P's chunks are not hashed; the record is left "checksum pending" with the root it carries, to be
// checked where P is hashed anyway (on the GPU, from the P a per-call verification uploads). A pending
// record is used for no decision until its root matches: Engine::verify (and verify_and_derive,
// verify_and_upgrade) checks it first and returns Tampered on a mismatch; every other use refuses it
// (Error{InvalidRecord}): serialize, checksum, galleries, identify, frames. Use
// Engine::defers_checksums() to choose the option.
struct ParseOptions {
  bool allow_weak = false;
  bool defer_checksum = false;
};

struct SPHEREMASK_API Record {
  uint16_t version = kRecordVersion2;  // new records are v2; parse keeps a v1 record v1 (its MAC needs it)
  uint16_t flags = 0;
  uint32_t m = 0;
  uint32_t n = 0;
  uint32_t alpha = 0;
  Dtype dtype = Dtype::F32;
  uint8_t hash_alg = kHashDigestTree;     // kHashSha256 for v1, kHashDigestTree for v2
  uint16_t samples = 1;                   // templates averaged at enrollment (v2 header; v1 records: 1)
  std::array<uint8_t, 32> expander_id{};  // zeros = none
  std::array<uint8_t, 32> app_id{};       // zeros = none
  std::array<uint8_t, 16> salt{};
  std::array<uint8_t, 32> verifier{};
  std::vector<uint8_t> p;                 // n·n elements of dtype, row-major, little-endian
  std::array<uint8_t, 32> mac{};
  // v2: SHA-256 of each 16 KiB chunk of P, filled by parse and enroll so that neither verification nor
  // serialize hashes P again. They are trusted for P: after changing P in memory call update_digests().
  std::vector<std::array<uint8_t, 32>> p_digests;

  bool deterministic() const { return (flags & kFlagDeterministic) != 0; }
  size_t p_bytes() const { return size_t(n) * n * dtype_size(dtype); }
  size_t header_size() const { return version == kRecordVersion1 ? kRecordHeaderSize : kRecordHeaderSizeV2; }
  size_t serialized_size() const { return header_size() + p_bytes() + kRecordTrailerSize; }
  size_t chunk_count() const { return (p_bytes() + kRecordChunkBytes - 1) / kRecordChunkBytes; }

  // The header bytes exactly as serialized (132 in v1, 136 in v2).
  std::vector<uint8_t> header() const;
  // Recomputes p_digests from P (v2; clears them for v1).
  void update_digests();
  // v1: SHA-256 of header ‖ P. v2: the digest-tree root over the header and p_digests (computed from
  // P when p_digests does not hold one digest per chunk).
  std::array<uint8_t, 32> checksum() const;
  // Header ‖ P ‖ checksum ‖ mac. Throws Error{InvalidArgument} when P has the wrong size, the version is
  // unknown, hash_alg does not belong to the version, or a v2 record has samples = 0.
  std::vector<uint8_t> serialize() const;
  // Validates magic, version, flags, sizes against the byte count, n, α, security bits (unless
  // allow_weak), dtype, hash algorithm, samples and reserved (v2), checksum and finiteness of P. Throws
  // Error{InvalidRecord} naming the failing field.
  static Record parse(std::span<const uint8_t> bytes, bool allow_weak = false);
  static Record parse(std::span<const uint8_t> bytes, const ParseOptions& options);

  // Parsed with defer_checksum: the checksum has not been checked yet (and p_digests is empty).
  bool checksum_pending() const { return checksum_pending_; }
  // The root the bytes carried, still to be checked against header and P (only while pending).
  const std::array<uint8_t, 32>& pending_checksum() const { return pending_checksum_; }

 private:
  friend struct RecordParser;
  bool checksum_pending_ = false;
  std::array<uint8_t, 32> pending_checksum_{};
};

}  // namespace spheremask
