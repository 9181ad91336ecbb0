#include "record_batch.hpp"

#include "parallel.hpp"
#include "sha256_lanes.hpp"
#include "spheremask/error.hpp"

namespace spheremask::internal {

std::vector<ParsedRecord> parse_records(std::span<const std::vector<uint8_t>> blobs, bool allow_weak, int threads) {
  std::vector<ParsedRecord> out(blobs.size());
  parallel_for(blobs.size(), threads, [&](size_t b, size_t e, int) {
    // Body = everything before the 64-byte trailer; a blob too short for that is parsed (and
    // rejected) the ordinary way.
    std::vector<crypto::Sha256Job> jobs;
    std::vector<size_t> hashed;
    for (size_t i = b; i < e; ++i)
      if (blobs[i].size() >= kRecordHeaderSize + kRecordTrailerSize) {
        jobs.push_back({{std::span<const uint8_t>(blobs[i].data(), blobs[i].size() - kRecordTrailerSize), {}, {}}});
        hashed.push_back(i);
      }
    std::vector<crypto::Digest> sums(jobs.size());
    crypto::sha256_many(jobs, sums.data());
    size_t k = 0;
    for (size_t i = b; i < e; ++i) {
      const crypto::Digest* sum = k < hashed.size() && hashed[k] == i ? &sums[k++] : nullptr;
      try {
        out[i].record = parse_record(blobs[i], allow_weak, sum);
        out[i].ok = true;
      } catch (const Error& err) {
        out[i].error = err.what();
      }
    }
  });
  return out;
}

}  // namespace spheremask::internal
