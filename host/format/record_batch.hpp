// Parsing many serialized records at once (store scans), spread over threads. The checksums are most of
// the parse time: v1 bodies are hashed several records at a time on interleaved lanes, v2 records hash
// their own chunks on the lanes.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "spheremask/record.hpp"

namespace spheremask::internal {

// Record::parse, with the SHA-256 of a v1 record's body (all bytes before the checksum) already
// computed by the caller when body_sha256 is not null. hash_threads: threads for a v2 record's chunk
// digests (0 = decide from the size). defer_checksum: as ParseOptions (v2 records are left pending).
Record parse_record(std::span<const uint8_t> bytes, bool allow_weak, const crypto::Digest* body_sha256,
                    int hash_threads = 0, bool defer_checksum = false);

struct ParsedRecord {
  bool ok = false;
  Record record;      // when ok
  std::string error;  // the parse error's message otherwise
};

// Parses every blob; a bad blob gets its error and does not stop the others.
std::vector<ParsedRecord> parse_records(std::span<const std::vector<uint8_t>> blobs, bool allow_weak, int threads,
                                        bool defer_checksum = false);

}  // namespace spheremask::internal
