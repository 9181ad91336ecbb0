// Parsing many serialized records at once (store scans), spread over threads. The checksums are most of
// the parse time: v1 bodies are hashed several records at a time on interleaved lanes, v2 records hash
// their own chunks on the lanes.
#pragma once
#include <cstdint>
#include <functional>
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

// Receives P's bytes run by run, in order (the record's validated header fields, the offset of the run
// into P, the run), each run right after the parse hashed and scanned it, while it is still in cache.
using PRunSink = std::function<void(const Record& fields, size_t offset, std::span<const uint8_t> run)>;

// Record::parse without copying P, for verifying a serialized record in the same pass over P that checks
// it: a v2 record's chunks are hashed and scanned straight from `bytes` and each run is handed to on_run;
// the record comes back with p empty and p_digests filled (all its MAC needs). A v1 record (whose MAC
// covers P itself) is parsed as usual, keeps its P and is handed over as one run. What on_run computed
// counts only when this returns: the checksum and finiteness are checked after the last run.
Record parse_record_streaming(std::span<const uint8_t> bytes, bool allow_weak, const PRunSink& on_run);

struct ParsedRecord {
  bool ok = false;
  Record record;      // when ok
  std::string error;  // the parse error's message otherwise
};

// Parses every blob; a bad blob gets its error and does not stop the others.
std::vector<ParsedRecord> parse_records(std::span<const std::vector<uint8_t>> blobs, bool allow_weak, int threads,
                                        bool defer_checksum = false);

}  // namespace spheremask::internal
