// Parsing many serialized records at once (store scans): the checksums — a SHA-256 over each whole
// record, most of the parse time — are hashed several at a time and the records spread over threads.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "crypto.hpp"
#include "spheremask/record.hpp"

namespace spheremask::internal {

// Record::parse, with the SHA-256 of the record's body (all bytes before the checksum) already
// computed by the caller when body_sha256 is not null.
Record parse_record(std::span<const uint8_t> bytes, bool allow_weak, const crypto::Digest* body_sha256);

struct ParsedRecord {
  bool ok = false;
  Record record;      // when ok
  std::string error;  // the parse error's message otherwise
};

// Parses every blob; a bad blob gets its error and does not stop the others.
std::vector<ParsedRecord> parse_records(std::span<const std::vector<uint8_t>> blobs, bool allow_weak, int threads);

}  // namespace spheremask::internal
