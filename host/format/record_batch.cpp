#include "format/record_batch.hpp"

#include <algorithm>

#include "util/parallel.hpp"
#include "crypto/sha256_lanes.hpp"
#include "spheremask/error.hpp"

namespace spheremask::internal {

std::vector<ParsedRecord> parse_records(std::span<const std::vector<uint8_t>> blobs, bool allow_weak, int threads,
                                        bool defer_checksum) {
  std::vector<ParsedRecord> out(blobs.size());
  // Threads left over when there are fewer records than threads hash the chunks of each v2 record.
  const int per_record = blobs.empty() || blobs.size() >= size_t(std::max(threads, 1))
                             ? 1
                             : std::max(1, threads / int(blobs.size()));
  parallel_for(blobs.size(), threads, [&](size_t b, size_t e, int) {
    // v1 body = everything before the 64-byte trailer; a blob too short for that, or not v1, is
    // parsed (and rejected, or hashed chunk by chunk) the ordinary way.
    std::vector<crypto::Sha256Job> jobs;
    std::vector<size_t> hashed;
    for (size_t i = b; i < e; ++i)
      if (blobs[i].size() >= kRecordHeaderSize + kRecordTrailerSize && blobs[i][4] == kRecordVersion1 &&
          blobs[i][5] == 0) {
        jobs.push_back({{std::span<const uint8_t>(blobs[i].data(), blobs[i].size() - kRecordTrailerSize), {}, {}}});
        hashed.push_back(i);
      }
    std::vector<crypto::Digest> sums(jobs.size());
    crypto::sha256_many(jobs, sums.data());
    size_t k = 0;
    for (size_t i = b; i < e; ++i) {
      const crypto::Digest* sum = k < hashed.size() && hashed[k] == i ? &sums[k++] : nullptr;
      try {
        out[i].record = parse_record(blobs[i], allow_weak, sum, per_record, defer_checksum);
        out[i].ok = true;
      } catch (const Error& err) {
        out[i].error = err.what();
      }
    }
  });
  return out;
}

}  // namespace spheremask::internal
